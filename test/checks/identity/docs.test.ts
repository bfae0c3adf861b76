import t from 'tap';
import { checksMarkdown } from '../../../checks/identity/docs.js';
import { allChecks } from '../../../checks/identity/run.js';
import { GUARD_HINT_BASE } from '../../../checks/identity/types.js';

t.test('every check has a section whose heading anchor is the id the hint URL names', async (t) => {
  const md = checksMarkdown();
  for (const c of allChecks()) {
    t.match(md, `\n### ${c.id}\n\n**${c.description}**`, c.id);
    if (!c.id.startsWith('l5d-')) t.equal(c.hint, GUARD_HINT_BASE + c.id);
  }
  t.match(md, /## linkerd-identity-trust-bundle\n/);
  t.match(md, /\*\*certificate config is valid\*\* \(fatal error\)/);
  t.match(md, /\*\*trust anchors are valid for at least 60 days\*\* \(warning\)/);
});

t.test('docs/checks.md is generated from the checks and up to date', async (t) => {
  const { readFileSync } = await import('node:fs');
  t.equal(readFileSync('docs/checks.md', 'utf8'), checksMarkdown(), 'run `npm run docs` after changing a check');
});
