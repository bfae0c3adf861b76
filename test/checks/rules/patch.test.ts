import t from 'tap';
import fjp from 'fast-json-patch';
import { resolveConfig } from '../../../checks/config.js';
import { judge, repairPatch } from '../../../checks/rules/engine.js';
import { applyPatch, mergeOps, setOp } from '../../../checks/rules/patch.js';

t.test('setOp creates missing parents in one add, replaces present leaves', async (t) => {
  const o = { spec: { privateKey: { size: 384 } } };
  t.same(setOp(o, ['spec', 'privateKey', 'size'], 256), { op: 'replace', path: '/spec/privateKey/size', value: 256 });
  t.same(setOp(o, ['spec', 'privateKey', 'algorithm'], 'ECDSA'), { op: 'add', path: '/spec/privateKey/algorithm', value: 'ECDSA' });
  t.same(setOp({}, ['spec', 'isCA'], true), { op: 'add', path: '/spec', value: { isCA: true } });
  t.same(setOp({ spec: { privateKey: 'junk' } }, ['spec', 'privateKey', 'algorithm'], 'ECDSA'), { op: 'replace', path: '/spec/privateKey', value: { algorithm: 'ECDSA' } });
  t.same(setOp({ metadata: { labels: {} } }, ['metadata', 'labels', 'a/b~c'], 'x'), { op: 'add', path: '/metadata/labels/a~1b~0c', value: 'x' });
});

t.test('mergeOps folds same-path adds, dedupes appends, orders array removals from the end', async (t) => {
  t.same(
    mergeOps([
      { op: 'add', path: '/spec/privateKey', value: { algorithm: 'RSA' } },
      { op: 'add', path: '/spec/privateKey', value: { rotationPolicy: 'Always' } },
      { op: 'add', path: '/spec/privateKey', value: { algorithm: 'ECDSA' } },
      { op: 'add', path: '/spec/usages/-', value: 'server auth' },
      { op: 'add', path: '/spec/usages/-', value: 'server auth' },
      { op: 'remove', path: '/spec/sources/1' },
      { op: 'remove', path: '/spec/sources/3' },
    ]),
    [
      { op: 'add', path: '/spec/privateKey', value: { algorithm: 'ECDSA', rotationPolicy: 'Always' } },
      { op: 'add', path: '/spec/usages/-', value: 'server auth' },
      { op: 'remove', path: '/spec/sources/3' },
      { op: 'remove', path: '/spec/sources/1' },
    ],
  );
});

t.test('applyPatch is pure and follows RFC 6902', async (t) => {
  const o = { a: { b: [1, 2, 3] }, c: 'x' };
  const out = applyPatch(o, [
    { op: 'add', path: '/a/b/-', value: 4 },
    { op: 'add', path: '/a/b/0', value: 0 },
    { op: 'remove', path: '/a/b/1' },
    { op: 'replace', path: '/c', value: 'y' },
    { op: 'add', path: '/d', value: { e: 1 } },
  ]);
  t.same(out, { a: { b: [0, 2, 3, 4] }, c: 'y', d: { e: 1 } });
  t.same(o, { a: { b: [1, 2, 3] }, c: 'x' }, 'input untouched');
  t.throws(() => applyPatch(o, [{ op: 'replace', path: '/nope', value: 1 }]), /does not resolve/);
  t.throws(() => applyPatch(o, [{ op: 'remove', path: '/a/x/y' }]), /does not resolve/);
});

t.test('a list where a mapping is wanted (spec: []) is replaced, never added into', async (t) => {
  t.same(setOp({ spec: [] }, ['spec', 'isCA'], true), { op: 'replace', path: '/spec', value: { isCA: true } });
  t.same(setOp({ spec: { usages: [] } }, ['spec', 'usages', 'x'], 1), { op: 'replace', path: '/spec/usages', value: { x: 1 } });
  t.same(setOp({ spec: { usages: ['a'] } }, ['spec', 'usages', 0], 'b'), { op: 'replace', path: '/spec/usages/0', value: 'b' }, 'a list index still indexes');
  for (const spec of [[], [1, 2], 'x', 7, null]) {
    const object = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'linkerd-identity-issuer', namespace: 'linkerd' }, spec };
    const ops = repairPatch(judge(object, resolveConfig(), { lint: false }).findings);
    t.ok(ops.length > 0, `spec ${JSON.stringify(spec)}: repaired`);
    // validate: true makes fast-json-patch refuse what the API server would refuse
    const applied = fjp.applyPatch(structuredClone(object), ops as never, true, false).newDocument as unknown as { spec: Record<string, unknown> };
    t.equal(applied.spec.isCA, true, `spec ${JSON.stringify(spec)}: the patch applies and makes a mapping`);
  }
});
