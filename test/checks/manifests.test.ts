import t from 'tap';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, ftruncateSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readObjects } from '../../checks/cluster/files.js';
import { entriesOf, readSource } from '../../checks/lint/input.js';
import { LIMITS } from '../../checks/limits.js';
import {
  decodeManifest, decodeText, displayPath, encodeText, expandPaths, isListDocument, manifestItems, readInputFile, readManifestText, runBounds,
} from '../../checks/manifests.js';
import { runInProcess } from '../helpers/cli.js';

const anchor = (name: string, extra = ''): string =>
  `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: ${name}\n  namespace: cert-manager\nspec:\n  secretName: ${name}\n  isCA: true\n  commonName: root.linkerd.cluster.local\n  issuerRef: {kind: Issuer, name: root}\n  privateKey: {algorithm: ECDSA, rotationPolicy: Always}\n${extra}`;

t.test('a FIFO is refused at once, not opened for a read that never ends', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-input-'));
  const fifo = join(dir, 'pipe.yaml');
  execFileSync('mkfifo', [fifo]);
  t.throws(() => readInputFile(fifo, 'pipe.yaml'), { code: 'LCG_INPUT_UNREADABLE', message: 'cannot read pipe.yaml: not a regular file (a FIFO, socket or device); pipe it to - instead' });
  const lint = await runInProcess(['lint', fifo]);
  t.equal(lint.code, 2);
  t.match(lint.stderr, /^linkerd-cert-guard: cannot read .*pipe\.yaml: not a regular file/);
  const check = await runInProcess(['check', '--from', fifo]);
  t.equal(check.code, 2);
  t.match(check.stderr, /^linkerd-cert-guard: cannot read --from .*pipe\.yaml: not a regular file/);
});

t.test('a device (/dev/zero) is refused instead of read until memory runs out; /dev/null reads as empty', async (t) => {
  t.equal(readInputFile('/dev/null', '/dev/null').length, 0);
  const empty = await runInProcess(['lint', '-o', 'json', '/dev/null']);
  t.equal(empty.code, 0, empty.stderr);
  const lint = await runInProcess(['lint', '/dev/zero']);
  t.equal(lint.code, 2);
  t.equal(lint.stderr, 'linkerd-cert-guard: cannot read /dev/zero: not a regular file (a FIFO, socket or device); pipe it to - instead\n');
  const check = await runInProcess(['check', '--issuer-cert', '/dev/zero', '--issuer-key', '/dev/zero']);
  t.equal(check.code, 2);
  t.equal(check.stderr, 'linkerd-cert-guard: cannot read --issuer-cert /dev/zero: not a regular file (a FIFO, socket or device); pipe it to - instead\n');
});

t.test('a file over the size bound is refused before it is read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-input-'));
  const big = join(dir, 'big.yaml');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, LIMITS.inputBytes + 1); // sparse: costs no disk
  closeSync(fd);
  const r = await runInProcess(['lint', big]);
  t.equal(r.code, 2);
  t.match(r.stderr, /^linkerd-cert-guard: cannot read .*big\.yaml: larger than 64 MiB\n$/);
});

t.test('symbolic links to files and directories are followed, loops and duplicates read once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-input-'));
  mkdirSync(join(dir, 'real'));
  mkdirSync(join(dir, 'setup'));
  writeFileSync(join(dir, 'real', 'anchor.yaml'), anchor('linkerd-trust-anchor'));
  writeFileSync(join(dir, 'other.yaml'), anchor('linkerd-previous-anchor'));
  symlinkSync('../other.yaml', join(dir, 'setup', 'linked.yaml'));
  symlinkSync('../real', join(dir, 'setup', 'linked-dir'));
  symlinkSync('..', join(dir, 'setup', 'loop'));
  symlinkSync('nowhere.yaml', join(dir, 'setup', 'dangling.yaml'));
  const files = expandPaths([join(dir, 'setup')], '/');
  t.same(files.map((f) => f.slice(dir.length + 1)).sort(), ['setup/linked-dir/anchor.yaml', 'setup/linked.yaml']);
  const all = expandPaths([dir], '/');
  t.equal(all.length, 2, 'each real file once, however many names reach it');
  const r = await runInProcess(['lint', '-o', 'json', join(dir, 'setup')]);
  t.equal(r.code, 0, r.stderr);
  t.equal((JSON.parse(r.stdout) as { summary: { objects: number } }).summary.objects, 2);
});

t.test('bytes are decoded so that they can be written back as they were', async (t) => {
  const latin1 = Buffer.from('# caf\xe9\nkind: A\n', 'latin1');
  const d = decodeText(latin1);
  t.equal(d.format.encoding, 'latin1');
  t.same(encodeText(d.text, d.format), latin1);
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('kind: A # é\n')]);
  const b = decodeText(bom);
  t.same(b.format, { encoding: 'utf8', bom: true });
  t.equal(b.text, 'kind: A # é\n');
  t.same(encodeText(b.text, b.format), bom);
  const dir = mkdtempSync(join(tmpdir(), 'lcg-input-'));
  writeFileSync(join(dir, 'bom.yaml'), bom);
  t.same(readSource('bom.yaml', dir).values, [{ kind: 'A' }]);
});

t.test('list documents: v1 List and any kind ending in List with items, nested lists too, as kubectl flattens them', async (t) => {
  t.ok(isListDocument({ apiVersion: 'v1', kind: 'List', items: [] }));
  t.ok(isListDocument({ apiVersion: 'cert-manager.io/v1', kind: 'CertificateList', items: [{}] }));
  t.notOk(isListDocument({ kind: 'List' }), 'no items: not a list');
  t.notOk(isListDocument({ kind: 'SecretList', items: 'x' }), 'items must be an array');
  t.notOk(isListDocument({ kind: 'Certificate', items: [] }), 'a kind not ending in List keeps its items field');
  const text = [
    'apiVersion: v1\nkind: SecretList\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: a}}\n- apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n',
    '# a comment only\n',
    '- not an object\n',
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: linkerd}\n',
  ].join('---\n');
  const items = manifestItems(decodeManifest('m.yaml', text));
  t.same(items.map((i) => i.source), ['m.yaml#0.items[0]', 'm.yaml#0.items[1].items[0]', 'm.yaml#2', 'm.yaml#3'], 'empty documents skipped, non-objects kept for lint to report');
  t.same(items[1]?.prefix, ['items', 1, 'items', 0]);
  t.same(items.map((i) => i.docIndex), [0, 0, 2, 3]);
});

t.test('lint and check --from read the same objects from the same directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-manifests-'));
  mkdirSync(join(dir, 'nested'));
  mkdirSync(join(dir, '.hidden'));
  writeFileSync(join(dir, 'list.yaml'), `apiVersion: cert-manager.io/v1\nkind: CertificateList\nitems:\n- ${anchor('linkerd-trust-anchor').split('\n').join('\n  ')}\n`);
  writeFileSync(join(dir, 'nested', 'ns.json'), '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "linkerd", "labels": {"linkerd.io/is-control-plane": "true"}}}');
  writeFileSync(join(dir, '.hidden', 'skip.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: hidden}\n');
  writeFileSync(join(dir, 'notes.txt'), 'kind: Secret\n');
  const fromCheck = readObjects([dir], '/').map((o) => `${String(o.kind)}/${String((o.metadata as { name: string }).name)}`);
  t.same(fromCheck, ['Certificate/linkerd-trust-anchor', 'Namespace/linkerd'], 'recursive, hidden directories and other extensions skipped');
  const fromLint = expandPaths([dir], '/').flatMap((f) => entriesOf(readSource(f, '/')).map((e) => e.value as { kind: string; metadata: { name: string } }));
  t.same(fromLint.map((o) => `${o.kind}/${o.metadata.name}`), fromCheck);
  const r = await runInProcess(['lint', '-o', 'json', dir]);
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { objects: Array<{ source: string; role: string | null }> };
  t.same(report.objects.map((o) => [o.source.slice(dir.length + 1), o.role]), [['list.yaml#0.items[0]', 'trust-anchor'], ['nested/ns.json#0', 'control-plane-namespace']]);
});

t.test('decoding: merge keys apply, timestamps stay strings, syntax errors name the line of the file', async (t) => {
  const m = decodeManifest('a.yaml', 'kind: A\n---\nbase: &b {x: 1, y: 2}\nmerged: {<<: *b, y: 3}\nwhen: 2026-01-01T00:00:00Z\n');
  t.same(m.values[1], { base: { x: 1, y: 2 }, merged: { x: 1, y: 3 }, when: '2026-01-01T00:00:00Z' });
  t.same(m.slices.length, 2);
  t.same(m.sliceLines, [0, 1], 'the second slice starts at its --- line');
  t.throws(() => decodeManifest('b.yaml', 'kind: A\n---\nkind: B\nkind: C\n'), { code: 'LCG_YAML_SYNTAX', message: /^b\.yaml:4: duplicated mapping key/ });
  t.equal(displayPath('-'), '<stdin>');
  t.same(decodeManifest('-', '').values, [undefined]);
});

t.test('reading names the flag in every refusal, and bounds a run across its files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-manifests-'));
  t.throws(() => expandPaths(['nope'], dir, '--from'), { code: 'LCG_INPUT_UNREADABLE', message: 'cannot read --from nope: no such file or directory' });
  t.throws(() => readManifestText('nope.yaml', dir, undefined, '--from'), { code: 'LCG_INPUT_UNREADABLE', message: 'cannot read --from nope.yaml: no such file' });
  t.same(readManifestText('-', dir, Buffer.from('kind: A\n')).text, 'kind: A\n');
  const bounds = runBounds('--from');
  const half = decodeManifest('half.yaml', '---\nkind: A\n'.repeat(LIMITS.documents / 2));
  bounds.documents(half);
  bounds.documents(half);
  t.throws(() => bounds.documents(decodeManifest('one.yaml', 'kind: A\n')), { code: 'LCG_INPUT_TOO_LARGE', message: 'one.yaml: goes past the 100000 YAML documents --from reads in one run' });
  const objects = runBounds('lint');
  const file = decodeManifest('o.yaml', 'kind: A\n');
  for (let i = 0; i < LIMITS.documents; i++) objects.object(file);
  t.throws(() => objects.object(file), { code: 'LCG_INPUT_TOO_LARGE', message: 'o.yaml: goes past the 100000 objects lint reads in one run' });
});

t.test('a file named twice, or named and inside a directory named, is read once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-once-'));
  writeFileSync(join(dir, 'a.yaml'), 'kind: A\n');
  writeFileSync(join(dir, 'b.yaml'), 'kind: B\n');
  symlinkSync(join(dir, 'a.yaml'), join(dir, 'link.yaml'));
  t.same(expandPaths(['a.yaml', 'a.yaml', './a.yaml', 'link.yaml'], dir), ['a.yaml']);
  t.same(expandPaths(['a.yaml', '.'], dir), ['a.yaml', 'b.yaml'], 'the walk skips what was named');
  t.same(expandPaths(['-', '-'], dir), ['-', '-'], 'standard input is no file to compare');
});

t.test('a run past its document bound names the file as every other message does', async (t) => {
  const bounds = runBounds('lint');
  const many = decodeManifest('-', Array.from({ length: LIMITS.documents }, (_, i) => `kind: A${i}\n`).join('---\n'));
  bounds.documents(many);
  t.throws(() => bounds.documents(decodeManifest('-', 'kind: B\n')), { code: 'LCG_INPUT_TOO_LARGE', message: /^<stdin>: goes past/ });
});

t.test('depth reached through an alias is still refused; documents without one are not walked again', async (t) => {
  const open = (n: number) => '['.repeat(n);
  const close = (n: number) => ']'.repeat(n);
  // 60 levels under the anchor, placed 60 levels deep: each part passes js-yaml's maxDepth, the whole is 120
  const deep = `a: &x ${open(60)}1${close(60)}\nb: ${open(60)}*x${close(60)}\n`;
  t.throws(() => decodeManifest('alias-deep.yaml', deep), { code: 'LCG_INPUT_TOO_LARGE', message: /^alias-deep\.yaml:1: document 0 is nested deeper than 100 levels$/ });
  // the same shape written out is refused by the parser itself
  t.throws(() => decodeManifest('deep.yaml', `b: ${open(120)}1${close(120)}\n`), { code: 'LCG_YAML_SYNTAX' });
  t.same(decodeManifest('star.yaml', 'dnsNames: ["*.example.com"]\n').values, [{ dnsNames: ['*.example.com'] }], 'a * in a string is only a reason to walk');
});
