import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { runInProcess } from '../../helpers/cli.js';

const anchorNoPolicy = (name: string, nl = '\n'): string =>
  ['apiVersion: cert-manager.io/v1', 'kind: Certificate', 'metadata:', `  name: ${name}`, '  namespace: cert-manager', 'spec:', `  secretName: ${name}`, '  isCA: true', '  commonName: root.linkerd.cluster.local', '  issuerRef: {kind: Issuer, name: root}', '  privateKey:', '    algorithm: ECDSA', ''].join(nl);

async function fixWrite(bytes: Buffer): Promise<{ code: number; stderr: string; after: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-fix-'));
  const file = join(dir, 'x.yaml');
  writeFileSync(file, bytes);
  const r = await runInProcess(['lint', '--fix', '--write', file]);
  return { code: r.code, stderr: r.stderr, after: readFileSync(file) };
}

t.test('Latin-1 bytes the repair does not touch are written back as the same bytes', async (t) => {
  const text = `# propri\xe9taire: \xe9quipe s\xe9curit\xe9\n${anchorNoPolicy('linkerd-trust-anchor')}---\n# caf\xe9\nkind: ConfigMap\napiVersion: v1\n`;
  const r = await fixWrite(Buffer.from(text, 'latin1'));
  t.equal(r.code, 0, r.stderr);
  t.notOk(r.after.includes(Buffer.from('\ufffd')), 'no U+FFFD');
  t.ok(r.after.includes(Buffer.from('# propri\xe9taire: \xe9quipe s\xe9curit\xe9\n', 'latin1')), 'the repaired document keeps its Latin-1 comment');
  t.ok(r.after.subarray(-30).equals(Buffer.from('# caf\xe9\nkind: ConfigMap\napiVersion: v1\n', 'latin1').subarray(-30)), 'the untouched document byte for byte');
  t.match(r.after.toString('latin1'), /rotationPolicy: Always/);
});

t.test('a UTF-8 byte order mark is kept', async (t) => {
  const r = await fixWrite(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(anchorNoPolicy('linkerd-trust-anchor'))]));
  t.equal(r.code, 0, r.stderr);
  t.same([...r.after.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  t.equal(r.after.indexOf(Buffer.from([0xef, 0xbb, 0xbf]), 1), -1, 'only one');
  t.match(r.after.toString('utf8'), /rotationPolicy: Always/);
});

t.test('a CRLF file stays CRLF on every line, repaired documents included', async (t) => {
  const text = `${anchorNoPolicy('linkerd-trust-anchor', '\r\n')}---\r\n${anchorNoPolicy('linkerd-previous-anchor', '\r\n')}`;
  const r = await fixWrite(Buffer.from(text));
  t.equal(r.code, 0, r.stderr);
  const out = r.after.toString('utf8');
  t.equal((out.match(/rotationPolicy: Always/g) ?? []).length, 2);
  t.equal(out.replace(/\r\n/g, '').includes('\n'), false, 'no bare LF');
  t.equal(out.split('\r\n').length, text.split('\r\n').length + 2, 'one added line per document');
});

const LIST = `apiVersion: v1
kind: List
items:
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: {name: linkerd-trust-anchor, namespace: cert-manager}
  spec: &spec
    secretName: linkerd-trust-anchor
    isCA: true
    commonName: root.linkerd.cluster.local
    issuerRef: {kind: Issuer, name: root}
    privateKey: {algorithm: ECDSA, rotationPolicy: Always}
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: {name: linkerd-previous-anchor, namespace: cert-manager}
  spec: *spec
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: {name: linkerd-identity-issuer, namespace: linkerd}
  spec:
    <<: *spec
    secretName: linkerd-identity-issuer
    commonName: identity.linkerd.cluster.local
    dnsNames: [identity.linkerd.cluster.local]
    issuerRef: {kind: ClusterIssuer, name: linkerd-identity-issuer}
`;

t.test('a repair through an alias in a List item edits that item only', async (t) => {
  // the previous anchor shares the spec by alias; renaming its secret must not rename the anchor's
  const text = LIST.replace('  spec: *spec\n', '  spec: *spec\n').replace("privateKey: {algorithm: ECDSA, rotationPolicy: Always}", 'privateKey: {algorithm: ECDSA}');
  const r = await runInProcess(['lint', '--fix', '-'], { stdin: text });
  t.equal(r.stderr.includes('internal error'), false, r.stderr);
  const fixed = load(r.stdout) as { items: Array<{ spec: Record<string, unknown> & { privateKey: Record<string, unknown> } }> };
  t.same(fixed.items.map((i) => i.spec.privateKey.rotationPolicy), ['Always', 'Always', 'Always']);
  t.same(fixed.items.map((i) => i.spec.secretName), ['linkerd-trust-anchor', 'linkerd-trust-anchor', 'linkerd-identity-issuer'], 'each item keeps its own fields');
  t.same(fixed.items[2]?.spec.privateKey, { algorithm: 'ECDSA', rotationPolicy: 'Always' }, 'a merged field is copied in whole before it is edited');
  const again = await runInProcess(['lint', '-o', 'json', '-'], { stdin: r.stdout });
  const findings = (JSON.parse(again.stdout) as { objects: Array<{ findings: Array<{ rule: string }> }> }).objects.flatMap((o) => o.findings.map((f) => f.rule));
  t.notOk(findings.includes('certificate/rotation-policy'), 'the repair holds');
});

t.test('a field given by a merge key is not repaired again (no duplicate isCA)', async (t) => {
  const r = await runInProcess(['lint', '--fix', '-'], { stdin: LIST });
  t.equal(r.stderr.includes('internal error'), false, r.stderr);
  t.equal((r.stdout.match(/isCA:/g) ?? []).length, 1, 'isCA once, in the anchor the others merge or alias');
  t.doesNotThrow(() => load(r.stdout), 'the output is valid YAML (no duplicate key)');
});
