import t from 'tap';
import { OUTPUT_FORMATS, formatsOf, outputOption, render, type Renderers } from '../../../checks/report/formats.js';
import { LINT_RENDERERS } from '../../../checks/lint/format.js';
import { CHECK_RENDERERS } from '../../../checks/identity/format.js';
import { paletteFor } from '../../../checks/report/color.js';

const ctx = { palette: paletteFor({ isTTY: false }, {}), version: '9.9.9' };

t.test('each command offers the formats the registry lists for it, in registry order', async (t) => {
  t.same(formatsOf('lint'), ['text', 'json', 'junit', 'sarif']);
  t.same(formatsOf('check'), ['table', 'short', 'json', 'junit', 'sarif']);
});

t.test('every renderer table covers exactly its command\'s formats', async (t) => {
  t.same(Object.keys(LINT_RENDERERS).sort(), [...formatsOf('lint')].sort());
  t.same(Object.keys(CHECK_RENDERERS).sort(), [...formatsOf('check')].sort());
  for (const f of Object.keys(OUTPUT_FORMATS)) t.ok((OUTPUT_FORMATS as Record<string, { commands: readonly string[] }>)[f]!.commands.length > 0, `${f} is offered by some command`);
});

t.test('the -o option takes its choices, default and help from the registry', async (t) => {
  const o = outputOption('check', 'table');
  t.same(o.argChoices, ['table', 'short', 'json', 'junit', 'sarif']);
  t.equal(o.defaultValue, 'table');
  t.equal(o.flags, '-o, --output <format>');
});

t.test('render dispatches to the chosen renderer with the context', async (t) => {
  const seen: string[] = [];
  const renderers: Renderers<'lint', number> = {
    text: (n, c) => (seen.push('text'), `${n} ${c.version}`),
    json: (n) => (seen.push('json'), JSON.stringify({ n })),
    junit: () => (seen.push('junit'), '<x/>'),
    sarif: () => (seen.push('sarif'), '{}'),
  };
  t.equal(render(renderers, 'text', 3, ctx), '3 9.9.9');
  t.equal(render(renderers, 'json', 4, ctx), '{"n":4}');
  t.same(seen, ['text', 'json']);
});

t.test('every JSON-shaped format renders one parseable document ending in a newline', async (t) => {
  const lint = { results: [], repaired: 0 };
  const check = { success: true, results: [], categories: [] };
  for (const f of ['json', 'sarif'] as const) {
    const a = render(LINT_RENDERERS, f, lint, ctx);
    const b = render(CHECK_RENDERERS, f, check, ctx);
    t.ok(a.endsWith('\n') && b.endsWith('\n'), `${f} ends in a newline`);
    t.doesNotThrow(() => JSON.parse(a), `lint ${f} parses`);
    t.doesNotThrow(() => JSON.parse(b), `check ${f} parses`);
  }
  t.match(render(LINT_RENDERERS, 'sarif', lint, ctx), /"version": "9\.9\.9"/);
  t.match(render(CHECK_RENDERERS, 'junit', check, ctx), /^<\?xml /);
});
