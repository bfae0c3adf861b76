import t from 'tap';
import { runInProcess } from '../../helpers/cli.js';

const seeds = 'test/fixtures/seeds';

interface JsonReport {
  success: boolean;
  summary: { objects: number; errors: number; warnings: number; repaired: number };
  objects: Array<{ source: string; kind: string | null; name: string | null; namespace: string | null; role: string | null; findings: Array<{ rule: string; severity: string; path: string; message: string; fixable: boolean }> }>;
}

async function lintJson(args: string[]): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const r = await runInProcess(['lint', '-o', 'json', ...args]);
  return { code: r.code, report: JSON.parse(r.stdout) as JsonReport, stderr: r.stderr };
}

t.test('seed 001: the complete setup lints with zero findings', async (t) => {
  const { code, report } = await lintJson([`${seeds}/001-cert-manager-trust-manager.yaml`]);
  t.equal(code, 0);
  t.equal(report.summary.objects, 9);
  t.same(report.objects.flatMap((o) => o.findings), []);
  t.same(
    report.objects.map((o) => [o.kind, o.name, o.role]),
    [
      ['Namespace', 'linkerd', 'control-plane-namespace'],
      ['ServiceAccount', 'cert-manager', null],
      ['Role', 'cert-manager-secret-creator', null],
      ['RoleBinding', 'cert-manager-secret-creator-binding', null],
      ['Issuer', 'linkerd-trust-root-issuer', 'signing-issuer'],
      ['Certificate', 'linkerd-trust-anchor', 'trust-anchor'],
      ['ClusterIssuer', 'linkerd-identity-issuer', 'signing-issuer'],
      ['Certificate', 'linkerd-identity-issuer', 'identity-issuer'],
      ['Bundle', 'linkerd-identity-trust-roots', 'trust-bundle'],
    ],
  );
  t.equal(report.objects[0]?.source, `${seeds}/001-cert-manager-trust-manager.yaml#0`);
});

for (const seed of ['002-on-cluster-ca.yaml', '003-external-ca.yaml', '004-vault.yaml']) {
  t.test(`seed ${seed}: the identity issuer is flagged for rotation-policy and nothing else is an error`, async (t) => {
    const { code, report } = await lintJson([`${seeds}/${seed}`]);
    t.equal(code, 1);
    const issuer = report.objects.find((o) => o.role === 'identity-issuer');
    t.ok(issuer);
    t.same(issuer?.findings.map((f) => [f.rule, f.severity, f.path, f.fixable]), [['certificate/rotation-policy', 'error', 'spec.privateKey.rotationPolicy', true]]);
    const otherErrors = report.objects.filter((o) => o !== issuer).flatMap((o) => o.findings.filter((f) => f.severity === 'error'));
    t.same(otherErrors, []);
  });
}

t.test("seed 003: workload and test Certificates get no finding", async (t) => {
  const { report } = await lintJson([`${seeds}/003-external-ca.yaml`]);
  for (const name of ['mesh-workload-cert', 'test-cert']) {
    const o = report.objects.find((x) => x.name === name);
    t.equal(o?.role, null, `${name} is not Linkerd's`);
    t.same(o?.findings, []);
  }
});

t.test('seed 004: the single-source Bundle is warned about overlap and selector only', async (t) => {
  const { report } = await lintJson([`${seeds}/004-vault.yaml`]);
  const bundle = report.objects.find((o) => o.kind === 'Bundle');
  t.same(bundle?.findings.map((f) => [f.rule, f.severity]).sort(), [['bundle/namespace-selector', 'warning'], ['bundle/rotation-overlap', 'warning']]);
});

t.test('seed 000: the v1alpha2 Certificate and its Issuer are flagged legacy-api and --fix makes both v1', async (t) => {
  const { report } = await lintJson([`${seeds}/000-external-issuer-v1alpha2.yaml`]);
  const cert = report.objects.find((o) => o.kind === 'Certificate');
  t.ok(cert?.findings.some((f) => f.rule === 'certificate/legacy-api' && f.severity === 'error' && f.fixable));
  const issuer = report.objects.find((o) => o.kind === 'Issuer');
  t.equal(issuer?.role, 'signing-issuer', 'the Issuer the identity issuer names is Linkerd\'s');
  t.same(issuer?.findings.map((f) => [f.rule, f.severity, f.path, f.fixable]), [['certificate/legacy-api', 'error', 'apiVersion', true]]);
  const fixed = await runInProcess(['lint', '--fix', `${seeds}/000-external-issuer-v1alpha2.yaml`]);
  t.match(fixed.stdout, /apiVersion: cert-manager\.io\/v1\nkind: Certificate/);
  t.match(fixed.stdout, /# The Certificate resource which specifies the desired certificate\./, 'comments kept');
  t.notMatch(fixed.stdout, /keyAlgorithm/);
  t.match(fixed.stdout, /privateKey:\n\s+algorithm: ECDSA\n\s+rotationPolicy: Always/);
  // the Issuer document: only its apiVersion changed
  t.ok(fixed.stdout.startsWith('# Seed 000: "Using external issuer certificates" (Linkerd 2.7-era guide).\n# The Issuer references the signing key pair stored in Secret linkerd-trust-anchor.\napiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: linkerd-trust-anchor\n  namespace: linkerd\nspec:\n  ca:\n    secretName: linkerd-trust-anchor\n---\n'));
  t.notMatch(fixed.stdout, /v1alpha2/, 'no legacy apiVersion is left');
  t.equal(fixed.code, 0, 'nothing at error level remains');
});

/**
 * Seed 000 (a v1alpha2 CA Issuer and the identity issuer it signs), completed by the trust anchor it reads,
 * issued by a selfSigned ClusterIssuer, and an application's ClusterIssuer: every legacy version and renamed field.
 */
const legacySetup = `${readFileSync(`${seeds}/000-external-issuer-v1alpha2.yaml`, 'utf8')}---
# the trust anchor, issued by a selfSigned ClusterIssuer
apiVersion: cert-manager.io/v1beta1
kind: ClusterIssuer
metadata:
  name: linkerd-trust-root-issuer # bootstrap only
spec:
  selfSigned: {}
---
apiVersion: cert-manager.io/v1alpha2
kind: Certificate
metadata: {name: linkerd-trust-anchor, namespace: linkerd}
spec:
  isCA: true
  commonName: root.linkerd.cluster.local
  secretName: linkerd-trust-anchor # read by the Issuer above
  duration: 87600h # ten years
  issuerRef: {kind: ClusterIssuer, name: linkerd-trust-root-issuer}
  keyAlgorithm: ecdsa # P-256 for Linkerd
  keySize: 256
  organization: [Example Org]
  emailSANs: [pki@example.com]
  privateKey:
    rotationPolicy: Always
---
# an application's issuer: not Linkerd's, left as it is
apiVersion: cert-manager.io/v1alpha2
kind: ClusterIssuer
metadata:
  name: letsencrypt
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef: {name: letsencrypt}
    solvers:
    - dns01:
        clouddns: {project: web}
`;

t.test('--fix converts a legacy Certificate with its Issuer and ClusterIssuer to v1, keeping all else; --write keeps the file whole', async (t) => {
  const dir = tmp();
  const file = join(dir, 'linkerd-pki.yaml');
  writeFileSync(file, legacySetup);
  const before = await lintJson([file]);
  t.same(
    before.report.objects.map((o) => [o.kind, o.name, o.role, o.findings.filter((f) => f.rule === 'certificate/legacy-api').length]),
    [['Issuer', 'linkerd-trust-anchor', 'signing-issuer', 1], ['Certificate', 'linkerd-identity-issuer', 'identity-issuer', 1], ['ClusterIssuer', 'linkerd-trust-root-issuer', 'signing-issuer', 1], ['Certificate', 'linkerd-trust-anchor', 'trust-anchor', 1], ['ClusterIssuer', 'letsencrypt', null, 0]],
  );
  const fixed = await runInProcess(['lint', '--fix', file]);
  t.equal(fixed.code, 0, fixed.stderr);
  const linkerds = fixed.stdout.split(/^---\n/m).slice(0, 4).join('---\n');
  t.notMatch(linkerds, /cert-manager\.io\/v1(alpha|beta)/, 'no legacy apiVersion is left on Linkerd\'s objects');
  t.equal(fixed.stdout.match(/^apiVersion: cert-manager\.io\/v1$/gm)?.length, 4);
  // every comment but the one on the moved keyAlgorithm line, which goes with the field
  const comments = legacySetup.split('\n').filter((l) => l.includes('#') && !l.includes('keyAlgorithm'));
  t.equal(comments.length, 8);
  for (const line of comments) t.ok(fixed.stdout.includes(`${line}\n`), `comment kept: ${line.trim()}`);
  // every other field is what it was: the objects equal the originals with only the conversions applied
  const want = parseAllDocuments(legacySetup).map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any -- fixture
  for (const o of want.slice(0, 4)) o.apiVersion = 'cert-manager.io/v1';
  const identity = want[1] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- fixture
  delete identity.spec.keyAlgorithm;
  identity.spec.privateKey = { algorithm: 'ECDSA', rotationPolicy: 'Always' };
  const anchor = want[3] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- fixture
  for (const k of ['keyAlgorithm', 'keySize', 'organization', 'emailSANs']) delete anchor.spec[k];
  anchor.spec.privateKey = { rotationPolicy: 'Always', algorithm: 'ECDSA', size: 256 };
  anchor.spec.subject = { organizations: ['Example Org'] };
  anchor.spec.emailAddresses = ['pki@example.com'];
  t.same(parseAllDocuments(fixed.stdout).map((d) => d.toJS()), want);
  t.ok(fixed.stdout.endsWith("    - dns01:\n        clouddns: {project: web}\n"), 'the application\'s issuer is byte for byte the same');
  const written = await runInProcess(['lint', '--fix', '--write', file]);
  t.equal(written.code, 0, written.stderr);
  const text = readFileSync(file, 'utf8');
  t.equal(text, fixed.stdout, '--write writes exactly what --fix prints, every document of the file');
  t.equal(parseAllDocuments(text).length, 5);
  t.same(readdirSync(dir), ['linkerd-pki.yaml'], 'no temporary file is left');
  const again = await lintJson([file]);
  t.same(again.report.objects.flatMap((o) => o.findings.filter((f) => f.severity === 'error')), [], 'nothing at error level remains');
});

import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const brokenIssuer = `# the identity issuer, before review
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: linkerd-identity-issuer
  namespace: linkerd
spec:
  secretName: linkerd-identity-issuer
  commonName: identity.linkerd.cluster.local
  issuerRef: {name: linkerd-identity-issuer, kind: ClusterIssuer}
  privateKey:
    algorithm: ECDSA # keep
    rotationPolicy: Always
`;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lcg-lint-'));
}

t.test('stdin, kind: List, non-object documents and unknown kinds', async (t) => {
  const input = [
    'apiVersion: v1\nkind: List\nitems:\n- apiVersion: cert-manager.io/v1\n  kind: Certificate\n  metadata: {name: linkerd-trust-anchor, namespace: cert-manager}\n  spec: {isCA: true, secretName: linkerd-trust-anchor, privateKey: {algorithm: ECDSA, rotationPolicy: Always}}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n',
    '--- just a string\n',
    '---\n- a\n- list\n',
    '---\napiVersion: example.com/v9\nkind: Gizmo\nmetadata: {name: linkerd-identity-issuer}\n',
  ].join('');
  const r = await runInProcess(['lint', '-o', 'json', '-'], { stdin: input });
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as JsonReport;
  t.same(report.objects.map((o) => [o.source, o.kind, o.role, o.findings.length]), [
    ['-#0.items[0]', 'Certificate', 'trust-anchor', 0],
    ['-#0.items[1]', 'ConfigMap', null, 0],
    ['-#1', null, null, 0],
    ['-#2', null, null, 0],
    ['-#3', 'Gizmo', null, 0],
  ]);
  t.same(report.summary, { objects: 5, errors: 0, warnings: 0, repaired: 0 });
});

t.test('a YAML syntax error is exit 2 with file:line: reason', async (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n');
  const r = await runInProcess(['lint', join(dir, 'bad.yaml')]);
  t.equal(r.code, 2);
  t.match(r.stderr, new RegExp(`^linkerd-cert-guard: ${dir.replace(/[/.]/g, '\\$&')}/bad\\.yaml:\\d+: .+\\n$`));
  t.equal(r.stderr.split('\n').length, 2, 'one line');
  const missing = await runInProcess(['lint', join(dir, 'nope.yaml')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /cannot read .*nope\.yaml: no such file or directory/);
  const none = await runInProcess(['lint']);
  t.equal(none.code, 2);
  t.match(none.stderr, /needs at least one PATH/);
  const badFlag = await runInProcess(['lint', '-o', 'xml', 'x']);
  t.equal(badFlag.code, 2);
  t.match(badFlag.stderr, /xml/);
});

t.test('directories are walked for *.yaml, *.yml and *.json; one directory is one setup', async (t) => {
  const dir = tmp();
  mkdirSync(join(dir, 'a', 'deep'), { recursive: true });
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'a', 'deep', 'issuer.yml'), brokenIssuer);
  writeFileSync(join(dir, 'b', 'bundle.json'), JSON.stringify({ apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', metadata: { name: 'linkerd-identity-trust-roots' }, spec: { sources: [{ secret: { name: 'linkerd-trust-anchor', key: 'tls.crt' } }, { secret: { name: 'linkerd-previous-anchor', key: 'tls.crt' } }], target: { configMap: { key: 'ca-bundle.crt' }, namespaceSelector: { matchLabels: { 'linkerd.io/is-control-plane': 'true' } } } } }));
  writeFileSync(join(dir, 'b', 'notes.txt'), 'not a manifest');
  const r = await runInProcess(['lint', '-o', 'json', dir]);
  const report = JSON.parse(r.stdout) as JsonReport;
  t.same(report.objects.map((o) => [o.source.slice(dir.length + 1), o.kind]), [['a/deep/issuer.yml#0', 'Certificate'], ['b/bundle.json#0', 'Bundle']]);
  t.same(report.objects[0]?.findings.map((f) => f.rule), ['certificate/is-ca']);
  t.equal(r.code, 1);
});

t.test('text output groups by file and object; colour only on a TTY without NO_COLOR', async (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'issuer.yaml'), brokenIssuer);
  const plain = await runInProcess(['lint', join(dir, 'issuer.yaml')]);
  t.equal(plain.code, 1);
  t.match(plain.stdout, /issuer\.yaml\n  Certificate linkerd\/linkerd-identity-issuer \(identity-issuer, line 7\)\n    error   certificate\/is-ca spec\.isCA:7 \[fixable\]\n/);
  t.match(plain.stdout, /× 1 object, 1 error, 0 warnings \(1 fixable with --fix\)\n$/);
  t.notMatch(plain.stdout, /\u001b\[/);
  const tty = await runInProcess(['lint', join(dir, 'issuer.yaml')], { tty: true, env: {} });
  t.match(tty.stdout, /\u001b\[31m/);
  const noColor = await runInProcess(['lint', join(dir, 'issuer.yaml')], { tty: true, env: { NO_COLOR: '1' } });
  t.notMatch(noColor.stdout, /\u001b\[/);
});

t.test('junit: a test case per Linkerd object, failures carry rule, field and line', async (t) => {
  const r = await runInProcess(['lint', '-o', 'junit', 'test/fixtures/seeds/002-on-cluster-ca.yaml']);
  t.equal(r.code, 1);
  t.match(r.stdout, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="linkerd-cert-guard lint" tests="2" failures="1"/);
  t.match(r.stdout, /<testcase name="Issuer linkerd\/linkerd-trust-anchor \(test\/fixtures\/seeds\/002-on-cluster-ca.yaml#0\)" classname="lint.signing-issuer"\/>/, 'the Issuer signing the identity issuer is judged (and passes)');
  t.match(r.stdout, /<testcase name="Certificate linkerd\/linkerd-identity-issuer \(test\/fixtures\/seeds\/002-on-cluster-ca.yaml#1\)" classname="lint.identity-issuer">/);
  t.match(r.stdout, /<failure message="certificate\/rotation-policy spec.privateKey.rotationPolicy" type="certificate\/rotation-policy">certificate\/rotation-policy at spec.privateKey.rotationPolicy \(line 29\)/);
});

t.test('sarif: results point at file and line, rules carry help', async (t) => {
  const r = await runInProcess(['lint', '-o', 'sarif', 'test/fixtures/seeds/004-vault.yaml']);
  const sarif = JSON.parse(r.stdout) as { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string; helpUri: string }> } }; results: Array<{ ruleId: string; level: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }> };
  t.equal(sarif.version, '2.1.0');
  const run = sarif.runs[0];
  t.ok(run?.tool.driver.rules.some((x) => x.id === 'bundle/no-private-keys' && x.helpUri.endsWith('#bundle-no-private-keys')));
  const rot = run?.results.find((x) => x.ruleId === 'certificate/rotation-policy');
  t.equal(rot?.level, 'error');
  t.same(rot?.locations[0]?.physicalLocation.artifactLocation.uri, 'test/fixtures/seeds/004-vault.yaml');
  t.equal(rot?.locations[0]?.physicalLocation.region.startLine, 34, 'the privateKey line (rotationPolicy is missing under it)');
  const sel = run?.results.find((x) => x.ruleId === 'bundle/namespace-selector');
  t.equal(sel?.level, 'warning');
});

t.test('--fail-on warning fails on warnings; --write repairs in place keeping comments', async (t) => {
  const warnOnly = await runInProcess(['lint', '--config', '/dev/null', 'test/fixtures/seeds/004-vault.yaml', '--fail-on', 'warning', '-o', 'json']);
  t.equal(warnOnly.code, 1);
  const dir = tmp();
  const file = join(dir, 'issuer.yaml');
  writeFileSync(file, brokenIssuer);
  const w = await runInProcess(['lint', '--fix', '--write', file]);
  t.equal(w.code, 0, w.stdout);
  const text = readFileSync(file, 'utf8');
  t.match(text, /^# the identity issuer, before review\n/);
  t.match(text, /algorithm: ECDSA # keep\n/);
  t.match(text, /\n  isCA: true\n/);
  const again = await runInProcess(['lint', '--fix', file]);
  t.equal(again.stdout, text, 'a second --fix changes nothing');
  const usage = await runInProcess(['lint', '--write', file]);
  t.equal(usage.code, 2);
});

t.test('configuration: flags and --config change what is Linkerd\'s and how strict', async (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'issuer.yaml'), brokenIssuer.replace(/namespace: linkerd/, 'namespace: mesh'));
  const def = await runInProcess(['lint', '-o', 'json', join(dir, 'issuer.yaml')]);
  t.ok((JSON.parse(def.stdout) as JsonReport).objects[0]?.findings.some((f) => f.rule === 'certificate/namespace'));
  const flag = await runInProcess(['lint', '-o', 'json', '--linkerd-namespace', 'mesh', join(dir, 'issuer.yaml')]);
  t.notOk((JSON.parse(flag.stdout) as JsonReport).objects[0]?.findings.some((f) => f.rule === 'certificate/namespace'));
  writeFileSync(join(dir, 'cfg.yaml'), 'rules:\n  certificate/is-ca: {severity: warning}\n  certificate/namespace: {severity: "off"}\n');
  const cfg = await runInProcess(['lint', '-o', 'json', '--config', join(dir, 'cfg.yaml'), join(dir, 'issuer.yaml')]);
  t.equal(cfg.code, 0);
  t.same((JSON.parse(cfg.stdout) as JsonReport).objects[0]?.findings.map((f) => [f.rule, f.severity]), [['certificate/is-ca', 'warning']]);
  writeFileSync(join(dir, 'bad-cfg.yaml'), 'mode: block\n');
  const bad = await runInProcess(['lint', '--config', join(dir, 'bad-cfg.yaml'), join(dir, 'issuer.yaml')]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /mode: must be one of enforce, repair, audit/);
});

t.test('the bundled examples: healthy is clean, needs-review is repaired down to what must be denied', async (t) => {
  const healthy = await runInProcess(['lint', '-o', 'json', 'examples/manifests/healthy']);
  t.equal(healthy.code, 0);
  t.same((JSON.parse(healthy.stdout) as JsonReport).summary, { objects: 6, errors: 0, warnings: 0, repaired: 0 });
  const review = await runInProcess(['lint', '-o', 'json', 'examples/manifests/needs-review']);
  t.equal(review.code, 1);
  const report = JSON.parse(review.stdout) as JsonReport;
  t.same(report.summary, { objects: 5, errors: 9, warnings: 1, repaired: 0 });
  const fixed = await runInProcess(['lint', '--fix', '-o', 'json', 'examples/manifests/needs-review']);
  const after = JSON.parse(fixed.stderr) as JsonReport;
  t.same(after.objects.flatMap((o) => o.findings.map((f) => f.rule)).sort(), ['bundle/no-private-keys', 'bundle/rotation-overlap', 'setup/anchor-sourced']);
  t.equal(after.summary.repaired, 7);
  t.match(fixed.stdout, /# no isCA, no privateKey: cert-manager would issue an RSA leaf\n/);
});
