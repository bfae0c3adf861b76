import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readObjects, readPem } from '../../../checks/cluster/files.js';
import { GuardError } from '../../../checks/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'lcg-files-'));

t.test('kubectl List output, multi-document files, directories', async (t) => {
  writeFileSync(join(dir, 'list.yaml'), 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\nmetadata:\n  resourceVersion: ""\n');
  writeFileSync(join(dir, 'multi.yml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: linkerd}\n---\n# only a comment\n---\nkind: SecretList\napiVersion: v1\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: c}}\n');
  writeFileSync(join(dir, 'ignored.txt'), 'not yaml: [');
  const names = readObjects([dir], '/').map((o) => `${String(o.kind)}/${(o.metadata as { name: string }).name}`);
  t.same(names, ['Secret/a', 'ConfigMap/b', 'Namespace/linkerd', 'Secret/c']);
  t.same(readObjects(['list.yaml'], dir).length, 2, 'relative to cwd');
  writeFileSync(join(dir, 'time.yaml'), 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: t}\nstatus:\n  notAfter: 2026-01-01T00:00:00Z\n');
  t.equal((readObjects(['time.yaml'], dir)[0]!.status as { notAfter: unknown }).notAfter, '2026-01-01T00:00:00Z', 'unquoted timestamps stay strings');
});

t.test('unreadable input is a one-line GuardError', async (t) => {
  t.throws(() => readObjects(['nope.yaml'], dir), new GuardError('LCG_INPUT_UNREADABLE', 'cannot read --from nope.yaml: no such file or directory'));
  mkdirSync(join(dir, 'bad'));
  writeFileSync(join(dir, 'bad', 'x.yaml'), 'a: b\n  c: [\n');
  t.throws(() => readObjects(['bad'], dir), { code: 'LCG_YAML_SYNTAX', message: /^bad\/x\.yaml:\d+: / });
  t.throws(() => readPem('missing.pem', dir, '--issuer-cert'), { code: 'LCG_INPUT_UNREADABLE', message: 'cannot read --issuer-cert missing.pem: no such file' });
  t.throws(() => readPem('bad', dir, '--trust-anchors'), { message: 'cannot read --trust-anchors bad: is a directory' });
  writeFileSync(join(dir, 'a.pem'), 'PEM');
  t.same(readPem('a.pem', dir, '--trust-bundle'), { text: 'PEM', from: 'a.pem' });
});
