import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { findingKey, judge, repairPatch } from '../../../checks/rules/engine.js';

const issuer = () => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'linkerd-identity-issuer', namespace: 'linkerd', labels: {} },
  spec: { secretName: 'linkerd-identity-issuer', commonName: 'identity.linkerd.cluster.local', issuerRef: { name: 'x', kind: 'ClusterIssuer' }, privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' } },
});

t.test('severity overrides: off drops the rule, warning softens it', async (t) => {
  const o = issuer();
  const off = judge(o, resolveConfig({ rules: { 'certificate/is-ca': { severity: 'off' } } }), { lint: false });
  t.same(off.findings, []);
  const warn = judge(o, resolveConfig({ rules: { 'certificate/is-ca': { severity: 'warning' } } }), { lint: false });
  t.same(warn.findings.map((f) => [f.rule, f.severity]), [['certificate/is-ca', 'warning']]);
});

t.test('repair: false keeps the finding but offers no patch', async (t) => {
  const { findings } = judge(issuer(), resolveConfig({ rules: { 'certificate/is-ca': { repair: false } } }), { lint: false });
  t.equal(findings[0]?.fixable, false);
  t.equal(findings[0]?.patch, undefined);
  t.same(repairPatch(findings), []);
});

t.test('lint-only rules never run in the webhook', async (t) => {
  const o = { ...issuer(), apiVersion: 'cert-manager.io/v1beta1' };
  t.ok(judge(o, resolveConfig(), { lint: true }).findings.some((f) => f.rule === 'certificate/legacy-api'));
  t.notOk(judge(o, resolveConfig(), { lint: false }).findings.some((f) => f.rule === 'certificate/legacy-api'));
});

t.test('objects without a role are judged with no finding at all', async (t) => {
  const o = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'web' }, spec: { secretName: 'web' } };
  t.same(judge(o, resolveConfig(), { lint: true }), { role: null, findings: [] });
});

t.test('findingKey identifies a violation by rule and field', async (t) => {
  t.equal(findingKey({ rule: 'certificate/is-ca', path: 'spec.isCA' }), 'certificate/is-ca|spec.isCA');
});

t.test('complete: a referenced object absent from the whole view is reported as not found, always a warning', async (t) => {
  const o = issuer();
  const issuerRef = (findings: ReturnType<typeof judge>['findings']) => findings.filter((f) => f.rule === 'setup/issuer-ref');
  t.same(issuerRef(judge(o, resolveConfig(), { lint: true, related: [] }).findings), [], 'an incomplete view (a lint input): cannot know, silent');
  const found = issuerRef(judge(o, resolveConfig(), { lint: false, related: [], complete: true }).findings);
  t.equal(found.length, 1);
  t.match(found[0], { severity: 'warning', path: 'spec.issuerRef.name', fixable: false, message: /ClusterIssuer x, which does not exist/ });
  const insisted = issuerRef(judge(o, resolveConfig({ rules: { 'setup/issuer-ref': { severity: 'error' } } }), { lint: false, related: [], complete: true }).findings);
  t.equal(insisted[0]?.severity, 'warning', 'a configured error severity does not make a missing object deny');
  const present = [{ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'x' }, spec: { ca: { secretName: 'linkerd-trust-anchor' } } }];
  t.same(issuerRef(judge(o, resolveConfig(), { lint: false, related: present, complete: true }).findings), [], 'found: nothing to say');
});
