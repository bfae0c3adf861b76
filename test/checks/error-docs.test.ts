import t from 'tap';
import { readFileSync } from 'node:fs';
import { messageShape, renderErrorReference, templateParameters } from '../../checks/error-docs.js';
import { ERRORS, type ErrorCode } from '../../checks/errors.js';

t.test('docs/errors.md is generated from the catalogue and up to date', async (t) => {
  t.equal(readFileSync('docs/errors.md', 'utf8'), renderErrorReference(), 'run `npm run docs` after changing an error');
  for (const code of Object.keys(ERRORS)) t.match(renderErrorReference(), `| \`${code}\` |`);
});

t.test('template parameters are read in order, optional ones included', async (t) => {
  t.same(templateParameters((flag: string, what: string, value: string, example?: string) => `${flag}${what}${value}${example ?? ''}`), ['flag', 'what', 'value', 'example']);
  t.same(templateParameters(() => 'x'), []);
  t.same(templateParameters(function named(a: string) { return a; }), ['a']);
});

t.test('every message shape names each of its parameters', async (t) => {
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    const shape = messageShape(code);
    for (const p of templateParameters(ERRORS[code].message as (...a: never[]) => string)) t.match(shape, `<${p}>`, `${code} shows <${p}>`);
    t.notMatch(shape, /undefined/, `${code}: no parameter left out`);
  }
});
