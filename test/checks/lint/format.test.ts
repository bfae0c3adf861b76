import t from 'tap';
import { parseSource, entriesOf } from '../../../checks/lint/input.js';
import { lintEntries } from '../../../checks/lint/run.js';
import { LINT_RENDERERS, RULE_DOC_BASE, toJUnitReport, toJsonDocument, toSarifDocument, toText } from '../../../checks/lint/format.js';
import { DEFAULT_CONFIG, resolveConfig } from '../../../checks/config.js';
import { ruleAnchorId } from '../../../checks/rules/docs.js';
import { paletteFor } from '../../../checks/report/color.js';

const plain = paletteFor({ isTTY: false }, {});
const config = resolveConfig(DEFAULT_CONFIG);

// an issuer missing isCA (error, fixable) beside an unrelated ConfigMap, in one file
const YAML = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: linkerd-identity-issuer
  namespace: linkerd
spec:
  secretName: linkerd-identity-issuer
  commonName: identity.linkerd.cluster.local
  duration: 48h
  renewBefore: 25h
  issuerRef: {name: linkerd-trust-anchor, kind: ClusterIssuer}
  privateKey: {algorithm: ECDSA, rotationPolicy: Always}
  usages: [cert sign, crl sign, server auth, client auth]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: default}
`;

function lint(path = 'deploy/identity.yaml') {
  const file = parseSource(path, YAML);
  return lintEntries(entriesOf(file), config);
}

t.test('json: one entry per document in input order, out-of-scope documents with role null', async (t) => {
  const doc = toJsonDocument(lint(), 0) as { success: boolean; summary: Record<string, number>; objects: Array<{ source: string; role: string | null; findings: Array<{ rule: string; fixable: boolean }> }> };
  t.equal(doc.success, false);
  t.same(doc.summary, { objects: 2, errors: 1, warnings: 0, repaired: 0 });
  t.same(doc.objects.map((o) => [o.source, o.role]), [['deploy/identity.yaml#0', 'identity-issuer'], ['deploy/identity.yaml#1', null]]);
  t.same(doc.objects[0]!.findings.map((f) => [f.rule, f.fixable]), [['certificate/is-ca', true]]);
  t.same(doc.objects[1]!.findings, []);
});

t.test('text: file, object, rule, field and line; the verdict line counts what --fix can do', async (t) => {
  const text = toText(lint(), 0, plain);
  t.match(text, /^deploy\/identity\.yaml\n  Certificate linkerd\/linkerd-identity-issuer \(identity-issuer, line \d+\)\n    error   certificate\/is-ca spec\.isCA:\d+ \[fixable\]\n/);
  t.match(text, /× 2 objects, 1 error, 0 warnings \(1 fixable with --fix\)\n$/);
  t.match(toText(lint(), 1, plain), /, 1 repaired\n$/);
  t.equal(toText([], 0, plain), '√ 0 objects, 0 errors, 0 warnings\n');
});

t.test('junit: one suite per file, one case per Linkerd object, errors as failures', async (t) => {
  const xml = toJUnitReport(lint());
  t.match(xml, /<testsuite name="deploy\/identity\.yaml" tests="1" failures="1"/, 'the ConfigMap is not a case: nothing was checked');
  t.match(xml, /<failure message="certificate\/is-ca spec\.isCA" type="certificate\/is-ca">/);
});

t.test('sarif: each finding at its file, line and logical location; every rule once, linked to its docs', async (t) => {
  const doc = toSarifDocument(lint('./deploy/identity.yaml'), '1.2.3') as {
    runs: Array<{ tool: { driver: { version: string; rules: Array<{ id: string; helpUri: string }> } }; results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }>;
  };
  const run = doc.runs[0]!;
  t.equal(run.tool.driver.version, '1.2.3');
  const ids = run.tool.driver.rules.map((r) => r.id);
  t.equal(new Set(ids).size, ids.length, 'no rule listed twice');
  t.equal(run.tool.driver.rules.find((r) => r.id === 'certificate/is-ca')?.helpUri, RULE_DOC_BASE + 'certificate-is-ca');
  t.equal(run.results.length, 1);
  t.equal(run.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri, 'deploy/identity.yaml', 'relative, without ./');
  t.ok(run.results[0]!.locations[0]!.physicalLocation.region.startLine > 1);
});

t.test('stdin has no artifact location', async (t) => {
  const file = parseSource('-', YAML);
  const doc = toSarifDocument(lintEntries(entriesOf(file), config), '1') as { runs: Array<{ results: Array<{ locations: Array<Record<string, unknown>> }> }> };
  t.equal(doc.runs[0]!.results[0]!.locations[0]!.physicalLocation, undefined);
});

t.test('ruleAnchorId is the anchor of a rule id', async (t) => {
  t.equal(ruleAnchorId('certificate/is-ca'), 'certificate-is-ca');
  t.equal(ruleAnchorId('bundle/no-private-keys'), 'bundle-no-private-keys');
});

t.test('LINT_RENDERERS: json is the json document, text the text report', async (t) => {
  const results = lint();
  const ctx = { palette: plain, version: '0' };
  t.same(JSON.parse(LINT_RENDERERS.json({ results, repaired: 0 }, ctx)), toJsonDocument(results, 0));
  t.equal(LINT_RENDERERS.text({ results, repaired: 0 }, ctx), toText(results, 0, plain));
});
