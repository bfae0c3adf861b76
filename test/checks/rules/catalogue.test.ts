/**
 * Every rule of the catalogue: a violating and a compliant case, and for every repair:
 * the repaired object passes all rules, a second repair is a no-op, and the repaired object
 * still validates against the real CRD schema.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { resolveConfig } from '../../../checks/config.js';
import { RULES, RULE_IDS } from '../../../checks/rules/catalogue.js';
import { applyPatch, judge, repairPatch } from '../../../checks/rules/engine.js';
import type { K8sObject } from '../../../checks/rules/types.js';
import { prunedFields, validateBundle, validateCertificate, validateClusterIssuer, validateIssuer } from '../../helpers/crd.js';
import { RULE_CASES, anchor, bundle, inLineCa, inLineKey, issuer, seed001, type Obj } from '../../helpers/rule-cases.js';

const cases = RULE_CASES;

t.test('every rule in the catalogue has a violating and a compliant case', async (t) => {
  for (const id of RULE_IDS) {
    t.ok(cases.some((c) => c.rule === id && c.path !== undefined), `${id} has a violating case`);
  }
  // compliant cases: explicit ones above, plus seed 001 itself, which no rule flags
  const config = resolveConfig();
  for (const o of seed001) t.same(judge(o as K8sObject, config, { lint: true, related: seed001 as K8sObject[] }).findings, [], `seed 001 ${o.kind} ${o.metadata.name} is compliant`);
  for (const r of RULES) {
    t.ok(r.title.length > 0 && r.rationale.length > 0 && r.repair.length > 0, `${r.id} is documented`);
  }
});

const CERT_MANAGER_CRDS: Record<string, string> = {
  Certificate: 'cert-manager.io_certificates.yaml',
  Issuer: 'cert-manager.io_issuers.yaml',
  ClusterIssuer: 'cert-manager.io_clusterissuers.yaml',
};

function crdCheck(o: Obj): { valid: boolean; errors: unknown } {
  const file = CERT_MANAGER_CRDS[o.kind as string];
  if (file !== undefined) {
    const v = o.kind === 'Certificate' ? validateCertificate() : o.kind === 'Issuer' ? validateIssuer() : validateClusterIssuer();
    // the API server would drop a field the v1 schema does not know: a repair must leave none
    const pruned = prunedFields(file, 'v1', o);
    return { valid: (v(o) as boolean) && pruned.length === 0, errors: pruned.length > 0 ? { pruned } : v.errors };
  }
  if (o.kind === 'Bundle') {
    const v = validateBundle();
    return { valid: v(o) as boolean, errors: v.errors };
  }
  return { valid: true, errors: null };
}

for (const c of cases) {
  t.test(`${c.rule}: ${c.name}`, async (t) => {
    const config = resolveConfig(c.config);
    const object = c.object() as K8sObject;
    const related = (c.related?.() ?? []) as K8sObject[];
    const { role, findings } = judge(object, config, { lint: true, related });
    t.not(role, null, 'the object is recognised as Linkerd\'s');
    const mine = findings.filter((f) => f.rule === c.rule);
    if (c.path === undefined) {
      t.same(mine, [], 'compliant: no finding');
      return;
    }
    t.equal(mine.length, 1, 'one finding');
    const f = mine[0];
    if (!f) return;
    t.equal(f.path, c.path, 'names the field');
    t.equal(f.severity, c.severity ?? 'error');
    t.equal(f.fixable, c.fixable ?? false);
    t.ok(f.message.length > 40 && /[Ww]rite|[Aa]dd|[Rr]emove|[Nn]ame|[Uu]se|[Cc]reate|[Mm]ove|[Kk]eep|[Ss]ource/.test(f.message), 'the message says what to write instead');
    if (!f.fixable) {
      t.equal(f.patch, undefined, 'no patch without a repair');
      return;
    }
    const patch = repairPatch(findings);
    t.ok(patch.length > 0, 'a repair patch');
    const repaired = applyPatch(object, patch);
    const again = judge(repaired, config, { lint: true, related });
    t.same(again.findings.filter((x) => x.fixable), [], 'the repaired object has nothing left to repair');
    t.same(again.findings.filter((x) => x.rule === c.rule), [], 'the repaired object passes this rule');
    t.same(repairPatch(again.findings), [], 'a second repair is a no-op');
    if (findings.every((x) => x.fixable)) t.same(again.findings, [], 'the repaired object passes all rules');
    const crd = crdCheck(repaired as Obj);
    t.ok(crd.valid, 'the repaired object satisfies the CRD schema', { errors: crd.errors });
  });
}

t.test('repairs of several rules at once merge into one minimal patch', async (t) => {
  const o = issuer();
  delete o.spec.privateKey;
  delete o.spec.isCA;
  const config = resolveConfig();
  const { findings } = judge(o as K8sObject, config, { lint: false });
  t.same(findings.map((f) => f.rule).sort(), ['certificate/is-ca', 'certificate/key-algorithm', 'certificate/rotation-policy']);
  const patch = repairPatch(findings);
  t.same(patch, [
    { op: 'add', path: '/spec/isCA', value: true },
    { op: 'add', path: '/spec/privateKey', value: { algorithm: 'ECDSA', rotationPolicy: 'Always' } },
  ]);
  const repaired = applyPatch(o, patch);
  t.same(judge(repaired as K8sObject, config, { lint: false }).findings, []);
  t.ok(validateCertificate()(repaired));
});

t.test('the seed 000 legacy Certificate is repaired into a valid v1 object', async (t) => {
  const docs = parseAllDocuments(readFileSync('test/fixtures/seeds/000-external-issuer-v1alpha2.yaml', 'utf8')).map((d) => d.toJS() as Obj);
  const cert = docs.find((d) => d.kind === 'Certificate') as K8sObject;
  const config = resolveConfig();
  const { findings } = judge(cert, config, { lint: true, related: docs as K8sObject[] });
  const repaired = applyPatch(cert, repairPatch(findings)) as Obj;
  t.equal(repaired.apiVersion, 'cert-manager.io/v1');
  t.same(repaired.spec.privateKey, { algorithm: 'ECDSA', rotationPolicy: 'Always' });
  t.notOk('keyAlgorithm' in repaired.spec);
  t.ok(validateCertificate()(repaired), 'valid against the v1 CRD');
  t.same(judge(repaired as K8sObject, config, { lint: true, related: docs as K8sObject[] }).findings, []);
});

t.test('legacy issuers and Certificates are converted as cert-manager converted them to v1', async (t) => {
  const config = resolveConfig();
  const repair = (o: Obj, related: Obj[]): Obj => applyPatch(o, repairPatch(judge(o as K8sObject, config, { lint: true, related: related as K8sObject[] }).findings)) as Obj;
  const acme = { apiVersion: 'cert-manager.io/v1alpha2', kind: 'ClusterIssuer', metadata: { name: 'linkerd-identity-issuer' }, spec: { acme: { server: 'https://acme.example.com/directory', privateKeySecretRef: { name: 'k' }, solvers: [{ http01: { ingress: {} } }, { selector: { dnsNames: ['a.example.com'] }, dns01: { clouddns: { project: 'p' }, cnameStrategy: 'Follow' } }] } } };
  t.same(repair(acme, [issuer()]), { ...acme, apiVersion: 'cert-manager.io/v1', spec: { acme: { ...acme.spec.acme, solvers: [{ http01: { ingress: {} } }, { selector: { dnsNames: ['a.example.com'] }, dns01: { cloudDNS: { project: 'p' }, cnameStrategy: 'Follow' } }] } } }, 'apiVersion and the DNS-01 provider renamed, nothing else touched');
  const cert = anchor();
  cert.apiVersion = 'cert-manager.io/v1alpha2';
  cert.spec.organization = ['Example Org'];
  cert.spec.emailSANs = ['pki@example.com'];
  cert.spec.uriSANs = ['spiffe://cluster.local/root'];
  cert.spec.subject = { countries: ['NL'] };
  const fixed = repair(cert, []);
  t.equal(fixed.apiVersion, 'cert-manager.io/v1');
  t.same(fixed.spec.subject, { countries: ['NL'], organizations: ['Example Org'] });
  t.same([fixed.spec.emailAddresses, fixed.spec.uris], [['pki@example.com'], ['spiffe://cluster.local/root']]);
  t.same(['organization', 'emailSANs', 'uriSANs'].filter((k) => k in fixed.spec), [], 'the legacy fields are gone');
  const kept = anchor();
  kept.spec.emailSANs = ['old@example.com'];
  kept.spec.emailAddresses = ['new@example.com'];
  t.same(repair(kept, []).spec.emailAddresses, ['new@example.com'], 'a v1 field already set is what cert-manager reads: it wins');
  const unrelated = { ...acme, metadata: { name: 'letsencrypt' } };
  t.same(judge(unrelated as K8sObject, config, { lint: true, related: [issuer()] as K8sObject[] }), { role: null, findings: [] }, 'an issuer no Linkerd Certificate names is not Linkerd\'s');
});

t.test('the CRD validators reject what the CRDs reject (so the schema assertions above can fail)', async (t) => {
  const bad = issuer();
  bad.spec.privateKey.algorithm = 'ecdsa'; // the enum is ECDSA
  t.notOk(validateCertificate()(bad));
  const b = bundle();
  b.spec.sources = [];
  t.notOk(validateBundle()(b), 'sources needs at least one item');
  const stray = issuer();
  stray.spec.keyAlgorithm = 'ecdsa';
  stray.spec.emailSANs = ['pki@example.com'];
  t.same(prunedFields('cert-manager.io_certificates.yaml', 'v1', stray), ['spec.keyAlgorithm', 'spec.emailSANs'], 'fields v1 does not know are found');
  t.same(prunedFields('cert-manager.io_clusterissuers.yaml', 'v1', { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'x' }, spec: { acme: { solvers: [{ dns01: { azuredns: {}, azureDNS: {} } }] } } }), ['spec.acme.solvers[0].dns01.azuredns']);
});

t.test('an inLine private key is found without any of its bytes in the finding', async (t) => {
  const o = bundle();
  o.spec.sources.push({ inLine: `${inLineCa}${inLineKey}` });
  const { findings } = judge(o as K8sObject, resolveConfig(), { lint: false });
  const f = findings.find((x) => x.rule === 'bundle/no-private-keys');
  t.ok(f, 'found');
  const keyLines = inLineKey.split('\n').filter((l) => l && !l.startsWith('-----'));
  for (const line of keyLines) t.notOk(JSON.stringify(findings).includes(line.slice(0, 16)), 'no key byte in any finding');
});
