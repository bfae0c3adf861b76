import t from 'tap';
import { and, lit, not, or, orElse, present, text } from '../../../checks/policy/cel.js';

t.test('literals are JSON with sorted map keys, as Helm toJson writes them', async (t) => {
  t.equal(lit({ b: 1, a: [true, null, { d: 'x', c: 'y' }] }), '{"a":[true,null,{"c":"y","d":"x"}],"b":1}');
  t.equal(lit('say "hi"\n'), '"say \\"hi\\"\\n"', 'a string is quoted and escaped, never pasted into the CEL');
});

t.test('present guards every step of a path; orElse falls back when any is missing', async (t) => {
  t.equal(present('object', 'spec'), 'has(object.spec)');
  t.equal(present('object', 'spec.privateKey.size'), '(has(object.spec) && has(object.spec.privateKey) && has(object.spec.privateKey.size))');
  t.equal(orElse('object', 'spec.isCA', 'false'), '((has(object.spec) && has(object.spec.isCA)) ? object.spec.isCA : false)');
});

t.test('text joins literal text and CEL string expressions', async (t) => {
  t.equal(text`spec.secretName must be ${'variables.issuerName'}.`, '"spec.secretName must be " + (variables.issuerName) + "."');
  t.equal(text``, '""');
  t.equal(text`${'a'}`, '(a)');
});

t.test('and, or, not: one operand stays as it is, more are parenthesised', async (t) => {
  t.equal(and('x'), 'x');
  t.equal(and('x', 'y', 'z'), '(x && y && z)');
  t.equal(or('x', 'y'), '(x || y)');
  t.equal(not(or('x', 'y')), '!((x || y))');
});
