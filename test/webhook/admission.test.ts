import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import fjp from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import { resolveConfig } from '../../checks/config.js';
import { judge } from '../../checks/rules/engine.js';
import type { K8sObject, PatchOp } from '../../checks/rules/types.js';
import {
  admit,
  budget,
  findingWarning,
  pointerToDotted,
  repairWarning,
  WARNING_MAX_BYTES,
  WARNINGS_TOTAL_MAX_BYTES,
  type Admission,
} from '../../webhook/admission.js';
import type { AdmissionRequest } from '../../webhook/review.js';
import { crdDir, reviewOf, seedObject, seedObjects, type ReviewOptions } from './helpers.js';

const SEED_FILES = ['000-external-issuer-v1alpha2.yaml', '001-cert-manager-trust-manager.yaml', '002-on-cluster-ca.yaml', '003-external-ca.yaml', '004-vault.yaml'];
const enforce = resolveConfig();

function req(object: K8sObject | null, o: ReviewOptions = {}): AdmissionRequest {
  return reviewOf(object, o).request;
}

function patchOf(a: Admission): PatchOp[] {
  if (a.response.patch === undefined) return [];
  if (a.response.patchType !== 'JSONPatch') throw new Error(`patchType ${a.response.patchType}`);
  return JSON.parse(Buffer.from(a.response.patch, 'base64').toString('utf8')) as PatchOp[];
}

/** Apply with an independent RFC 6902 implementation, validating every op. */
function applied(object: K8sObject, ops: PatchOp[]): K8sObject {
  return fjp.applyPatch(structuredClone(object), ops as fjp.Operation[], true, false).newDocument;
}

function crdValidator(file: string): ValidateFunction {
  const crd = parseYaml(readFileSync(join(crdDir(), file), 'utf8')) as {
    spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> };
  };
  const version = crd.spec.versions[0];
  if (!version) throw new Error(`${file} has no versions`);
  return new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(version.schema.openAPIV3Schema);
}
const crdSchemas: Record<string, ValidateFunction> = {
  Certificate: crdValidator('cert-manager.io_certificates.yaml'),
  Bundle: crdValidator('trust.cert-manager.io_bundles.yaml'),
};

function clone<T>(o: T): T {
  return structuredClone(o);
}

const issuer = seedObject('001-cert-manager-trust-manager.yaml', 'Certificate', 'linkerd-identity-issuer');
const anchor = seedObject('001-cert-manager-trust-manager.yaml', 'Certificate', 'linkerd-trust-anchor');
const bundle = seedObject('001-cert-manager-trust-manager.yaml', 'Bundle', 'linkerd-identity-trust-roots');

/** The guide's issuer with cert-manager's RSA default, no rotation, a P-384 key and no cert sign. */
function brokenIssuer(): K8sObject {
  const o = clone(issuer) as K8sObject & { spec: Record<string, unknown> };
  o.spec.isCA = false;
  o.spec.privateKey = { algorithm: 'RSA', rotationPolicy: 'Never' };
  o.spec.usages = ['digital signature', 'client auth'];
  return o;
}

t.test('every seed object: mutate, apply with fast-json-patch, validate, stay CRD-valid, mutate again', async (t) => {
  let judged = 0;
  for (const file of SEED_FILES) {
    for (const object of seedObjects(file)) {
      if (object.kind !== 'Certificate' && object.kind !== 'Bundle') continue;
      const name = `${file} ${String(object.kind)} ${String((object.metadata as { name?: string }).name)}`;
      const mutated = admit(req(object), enforce, 'mutate');
      if (mutated.role === null) {
        t.same(mutated.response, { uid: mutated.response.uid, allowed: true }, `${name}: not Linkerd's, untouched and silent`);
        t.same(admit(req(object), enforce, 'validate').response.warnings, undefined, `${name}: no validation warnings either`);
        continue;
      }
      judged++;
      t.equal(mutated.response.allowed, true, `${name}: mutate allows`);
      const repaired = applied(object, patchOf(mutated));
      const validated = admit(req(repaired), enforce, 'validate');
      t.equal(validated.response.allowed, true, `${name}: the repaired object passes validation (${validated.response.status?.message ?? 'ok'})`);
      t.same(
        judge(repaired, enforce, { lint: false }).findings.filter((f) => f.fixable),
        [],
        `${name}: nothing fixable is left`,
      );
      // The v1alpha2 seed is no longer served; its fields are judged by lint's legacy-api rule.
      const schema = object.apiVersion === 'cert-manager.io/v1' || object.kind === 'Bundle' ? crdSchemas[String(object.kind)] : undefined;
      if (schema) t.ok(schema(repaired), `${name}: the repaired object satisfies the CRD schema ${JSON.stringify(schema.errors?.slice(0, 2))}`);
      t.equal(admit(req(repaired), enforce, 'mutate').response.patch, undefined, `${name}: a second mutate returns no patch`);
    }
  }
  t.ok(judged >= 7, `judged ${judged} Linkerd objects from the seeds`);
  // The guides that forget rotationPolicy get exactly that repaired.
  const onCluster = admit(req(seedObject('002-on-cluster-ca.yaml', 'Certificate', 'linkerd-identity-issuer')), enforce, 'mutate');
  t.same(patchOf(onCluster), [{ op: 'add', path: '/spec/privateKey/rotationPolicy', value: 'Always' }]);
  t.same(onCluster.repaired, ['certificate/rotation-policy']);
  t.match(onCluster.response.warnings, [/^spec\.privateKey\.rotationPolicy: set to "Always" \(certificate\/rotation-policy\)$/]);
});

t.test('a badly broken issuer is repaired in one idempotent patch, one warning per repair', async (t) => {
  const object = brokenIssuer();
  const m = admit(req(object), enforce, 'mutate');
  t.equal(m.decision, 'patched');
  t.equal(m.response.allowed, true);
  const fixable = judge(object, enforce, { lint: false }).findings.filter((f) => f.fixable);
  t.ok(fixable.length >= 4, `${fixable.length} fixable findings`);
  t.equal(m.response.warnings?.length, fixable.length, 'one warning per repair');
  for (const w of m.response.warnings ?? []) {
    t.ok(Buffer.byteLength(w) <= 130, `short repair warning: ${w}`);
    t.match(w, /^spec\.[\w.]+: .+ \((certificate\/[\w-]+)\)$/);
  }
  t.same(new Set(m.repaired), new Set(fixable.map((f) => f.rule)));
  const repaired = applied(object, patchOf(m)) as K8sObject & { spec: { isCA: unknown; privateKey: Record<string, unknown>; usages: string[] } };
  t.equal(repaired.spec.isCA, true);
  t.equal(repaired.spec.privateKey.algorithm, 'ECDSA');
  t.equal(repaired.spec.privateKey.rotationPolicy, 'Always');
  t.ok(repaired.spec.usages.includes('cert sign') && repaired.spec.usages.includes('server auth'));
  t.ok(crdSchemas.Certificate?.(repaired), 'still a valid Certificate');
  t.equal(admit(req(repaired), enforce, 'validate').response.allowed, true);
  const again = admit(req(repaired), enforce, 'mutate');
  t.equal(again.response.patch, undefined, 'idempotent');
  t.equal(again.response.warnings, undefined);
  t.equal(again.decision, 'allowed');
});

t.test('validate in enforce mode denies what the mutation did not repair, naming field and rule', async (t) => {
  const object = brokenIssuer();
  const v = admit(req(object), enforce, 'validate');
  t.equal(v.response.allowed, false);
  t.equal(v.decision, 'denied');
  t.equal(v.response.status?.code, 403);
  t.equal(v.response.status?.reason, 'Forbidden');
  const message = v.response.status?.message ?? '';
  t.match(message, /^linkerd-cert-guard denied Certificate linkerd\/linkerd-identity-issuer: /);
  for (const rule of ['certificate/is-ca', 'certificate/key-algorithm', 'certificate/rotation-policy', 'certificate/usages']) {
    t.ok(v.denied.includes(rule), `denied by ${rule}`);
    t.ok(message.includes(`(${rule})`), `message names ${rule}`);
  }
  t.match(message, /spec\.isCA/);
  t.match(message, /spec\.privateKey\.algorithm/);
  t.match(message, /Write `rotationPolicy: Always`/, 'and says what to write');
});

t.test('unrepairable objects are denied with the field named', async (t) => {
  const wrongNamespace = clone(issuer) as K8sObject & { metadata: { namespace: string } };
  wrongNamespace.metadata.namespace = 'default';
  const m = admit(req(wrongNamespace), enforce, 'mutate');
  t.equal(m.response.patch, undefined, 'nothing to repair');
  const v = admit(req(wrongNamespace), enforce, 'validate');
  t.equal(v.response.allowed, false);
  t.same(v.denied, ['certificate/namespace']);
  t.match(v.response.status?.message, /linkerd-cert-guard denied Certificate default\/linkerd-identity-issuer: metadata\.namespace is default: .*Create it in namespace linkerd\. \(certificate\/namespace\)/);

  const leaky = clone(bundle) as K8sObject & { spec: { sources: Array<{ secret: { name: string; key: string } }> } };
  const first = leaky.spec.sources[0];
  if (first) first.secret.key = 'tls.key';
  const lv = admit(req(leaky), enforce, 'validate');
  t.equal(lv.response.allowed, false);
  t.same(lv.denied, ['bundle/no-private-keys']);
  t.match(lv.response.status?.message, /^linkerd-cert-guard denied Bundle linkerd-identity-trust-roots: spec\.sources\[0\]\.secret\.key is tls\.key/);
  t.equal(admit(req(leaky), enforce, 'mutate').response.patch, undefined);
});

t.test("the request's namespace counts when the object's metadata omits it", async (t) => {
  const bare = clone(issuer) as K8sObject & { metadata: { namespace?: string } };
  delete bare.metadata.namespace;
  const review = reviewOf(bare);
  const inDefault = admit({ ...review.request!, namespace: 'default' }, enforce, 'validate');
  t.equal(inDefault.response.allowed, false);
  t.same(inDefault.denied, ['certificate/namespace']);
  const inLinkerd = admit({ ...review.request!, namespace: 'linkerd' }, enforce, 'validate');
  t.equal(inLinkerd.response.allowed, true);
});

t.test('objects outside Linkerd scope: allowed, no patch, no warning, in every mode and endpoint', async (t) => {
  const workload = seedObject('003-external-ca.yaml', 'Certificate', 'mesh-workload-cert');
  const broken = clone(workload) as K8sObject & { spec: Record<string, unknown> };
  broken.spec.privateKey = { algorithm: 'RSA', rotationPolicy: 'Never' };
  for (const mode of ['enforce', 'repair', 'audit'] as const) {
    for (const endpoint of ['mutate', 'validate'] as const) {
      const a = admit(req(broken, { uid: 'u-1' }), resolveConfig({ mode }), endpoint);
      t.same(a.response, { uid: 'u-1', allowed: true }, `${mode} ${endpoint}`);
      t.equal(a.decision, 'ignored');
    }
  }
});

t.test('DELETE and CONNECT are always allowed without warnings', async (t) => {
  const broken = brokenIssuer();
  for (const endpoint of ['mutate', 'validate'] as const) {
    const del = admit(req(null, { operation: 'DELETE', oldObject: broken, uid: 'del' }), resolveConfig({ strict: true }), endpoint);
    t.same(del.response, { uid: 'del', allowed: true }, `DELETE ${endpoint}`);
    const connect = admit({ ...req(broken), operation: 'CONNECT', uid: 'c' }, enforce, endpoint);
    t.same(connect.response, { uid: 'c', allowed: true }, `CONNECT ${endpoint}`);
  }
});

t.test('UPDATE: an old violation is a warning unless strict; a new one is denied', async (t) => {
  const old = clone(issuer) as K8sObject & { spec: Record<string, unknown>; metadata: Record<string, unknown> };
  old.spec.isCA = false; // already broken before this edit
  const edited = clone(old);
  edited.metadata.labels = { team: 'mesh' };
  const v = admit(req(edited, { operation: 'UPDATE', oldObject: old }), enforce, 'validate');
  t.equal(v.response.allowed, true, 'editing an already broken object is allowed');
  t.equal(v.decision, 'warned');
  t.match(v.response.warnings, [/^spec\.isCA.*\(certificate\/is-ca; already present before this update\)$/]);
  t.same(v.warned, ['certificate/is-ca']);

  const strict = admit(req(edited, { operation: 'UPDATE', oldObject: old }), resolveConfig({ strict: true }), 'validate');
  t.equal(strict.response.allowed, false, 'strict denies it');
  t.same(strict.denied, ['certificate/is-ca']);

  const worse = clone(edited);
  worse.spec.privateKey = { algorithm: 'ECDSA', size: 384, rotationPolicy: 'Always' };
  const w = admit(req(worse, { operation: 'UPDATE', oldObject: old }), enforce, 'validate');
  t.equal(w.response.allowed, false, 'a violation the update introduces is denied');
  t.same(w.denied, ['certificate/key-size']);
  t.ok(w.warned.includes('certificate/is-ca'), 'the old one is still a warning');

  // The mutating side repairs old and new alike.
  const m = admit(req(worse, { operation: 'UPDATE', oldObject: old }), enforce, 'mutate');
  t.same(new Set(m.repaired), new Set(['certificate/is-ca', 'certificate/key-size']));
});

t.test('dryRun requests are judged exactly like real ones', async (t) => {
  const object = brokenIssuer();
  for (const endpoint of ['mutate', 'validate'] as const) {
    const real = admit(req(object, { uid: 'same' }), enforce, endpoint);
    const dry = admit(req(object, { uid: 'same', dryRun: true }), enforce, endpoint);
    t.same(dry, real, endpoint);
  }
});

t.test('modes', async (t) => {
  const object = brokenIssuer();
  const wrongNs = clone(object) as K8sObject & { metadata: { namespace: string } };
  wrongNs.metadata.namespace = 'default';
  const findings = judge(wrongNs, enforce, { lint: false }).findings;

  const repair = resolveConfig({ mode: 'repair' });
  const rm = admit(req(wrongNs), repair, 'mutate');
  t.equal(rm.decision, 'patched', 'repair mode repairs');
  const rv = admit(req(wrongNs), repair, 'validate');
  t.equal(rv.response.allowed, true, 'repair mode never denies');
  t.equal(rv.response.warnings?.length, findings.length, 'and warns every remaining finding');
  t.equal(rv.response.status, undefined);

  const audit = resolveConfig({ mode: 'audit' });
  const am = admit(req(wrongNs), audit, 'mutate');
  t.same(am.response, { uid: am.response.uid, allowed: true }, 'audit mode never patches');
  const av = admit(req(wrongNs), audit, 'validate');
  t.equal(av.response.allowed, true);
  t.equal(av.response.warnings?.length, findings.length, 'audit returns every finding as a warning');
  for (const f of findings) t.ok(av.response.warnings?.some((w) => w.includes(`(${f.rule})`) && w.startsWith(f.path)), `warning for ${f.rule} at ${f.path}`);

  const enforced = admit(req(wrongNs), enforce, 'validate');
  t.equal(enforced.response.allowed, false);
  const warningSeverity = findings.filter((f) => f.severity === 'warning');
  t.equal(enforced.response.warnings?.length ?? 0, warningSeverity.length, 'enforce warns exactly the non-denied findings');

  // Config: a rule turned to warning is no longer denied; repair: false stops the repair.
  const relaxed = resolveConfig({ rules: { 'certificate/is-ca': { severity: 'warning', repair: false } } });
  const onlyIsCa = clone(issuer) as K8sObject & { spec: Record<string, unknown> };
  onlyIsCa.spec.isCA = false;
  t.equal(admit(req(onlyIsCa), relaxed, 'mutate').response.patch, undefined, 'repair disabled by config');
  const rel = admit(req(onlyIsCa), relaxed, 'validate');
  t.equal(rel.response.allowed, true);
  t.match(rel.response.warnings, [/\(certificate\/is-ca\)$/]);
});

t.test('uid is echoed and a clean object gets a bare allow', async (t) => {
  const a = admit(req(anchor, { uid: '5f0e1c1e-8f39-4e41-bb07-b1f0a1b7f8a3' }), enforce, 'validate');
  t.same(a.response, { uid: '5f0e1c1e-8f39-4e41-bb07-b1f0a1b7f8a3', allowed: true });
  t.equal(a.decision, 'allowed');
});

t.test('warnings respect Kubernetes limits', async (t) => {
  const long = { rule: 'certificate/usages', severity: 'warning' as const, path: 'spec.usages', message: `spec.usages ${'é'.repeat(400)}\nsecond line`, fixable: false };
  const w = findingWarning(long);
  t.ok(Buffer.byteLength(w) <= WARNING_MAX_BYTES, `${Buffer.byteLength(w)} bytes`);
  t.match(w, /\.\.\. \(certificate\/usages\)$/, 'clipped, rule kept');
  t.notMatch(w, /\n/);
  const many = budget(Array.from({ length: 40 }, () => 'x'.repeat(250)));
  const total = many.reduce((n, s) => n + Buffer.byteLength(s), 0);
  t.ok(total <= WARNINGS_TOTAL_MAX_BYTES, `${total} bytes in total`);
  t.match(many[many.length - 1], /^\.\.\. and \d+ more finding\(s\)/);
  t.same(budget(['a', 'b']), ['a', 'b']);
  const repairLong = repairWarning({ ...long, fixable: true, patch: [{ op: 'add', path: '/spec/usages/-', value: 'x'.repeat(300) }] });
  t.ok(repairLong.length <= 120, 'repair notes stay near 120 characters');
  t.equal(repairWarning({ ...long, path: 'spec.isCA', rule: 'certificate/is-ca', fixable: true, patch: [{ op: 'replace', path: '/spec/isCA', value: true }] }), 'spec.isCA: set to true (certificate/is-ca)');
  t.equal(
    repairWarning({ ...long, rule: 'bundle/no-default-cas', path: 'spec.sources[1].useDefaultCAs', fixable: true, patch: [{ op: 'remove', path: '/spec/sources/1' }] }),
    'spec.sources[1].useDefaultCAs: removed spec.sources[1] (bundle/no-default-cas)',
  );
});

t.test('pointerToDotted', async (t) => {
  t.equal(pointerToDotted('/spec/privateKey/algorithm'), 'spec.privateKey.algorithm');
  t.equal(pointerToDotted('/spec/usages/-'), 'spec.usages');
  t.equal(pointerToDotted('/spec/sources/0/secret'), 'spec.sources[0].secret');
  t.equal(pointerToDotted('/metadata/labels/linkerd.io~1is-control-plane'), 'metadata.labels.linkerd.io/is-control-plane');
});


t.test('a broken Bundle is repaired into one that satisfies the Bundle CRD', async (t) => {
  const object = clone(bundle) as K8sObject & { spec: { sources: unknown[]; target: { configMap: { key: string } } } };
  object.spec.sources.push({ useDefaultCAs: true });
  object.spec.target.configMap.key = 'ca.crt';
  const before = admit(req(object), enforce, 'validate');
  t.equal(before.response.allowed, false, 'denied as it is');
  t.ok(before.denied.includes('bundle/no-default-cas') && before.denied.includes('bundle/target-key'), before.denied.join(', '));
  const m = admit(req(object), enforce, 'mutate');
  t.equal(m.decision, 'patched');
  t.same(new Set(m.repaired), new Set(['bundle/no-default-cas', 'bundle/target-key']));
  const repaired = applied(object, patchOf(m)) as typeof object;
  t.equal(repaired.spec.target.configMap.key, 'ca-bundle.crt');
  t.notOk(JSON.stringify(repaired.spec.sources).includes('useDefaultCAs'));
  t.ok(crdSchemas.Bundle?.(repaired), `CRD-valid ${JSON.stringify(crdSchemas.Bundle?.errors?.slice(0, 2))}`);
  t.equal(admit(req(repaired), enforce, 'validate').response.allowed, true);
  t.equal(admit(req(repaired), enforce, 'mutate').response.patch, undefined, 'idempotent');
});

t.test('with the cluster view (the informer cache): present objects judged normally, missing ones only warned about', async (t) => {
  const seed = seedObjects('001-cert-manager-trust-manager.yaml');
  const caIssuer = seed.find((o) => o.kind === 'ClusterIssuer') as K8sObject & { metadata: { name: string } };
  const selfSigned: K8sObject = { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: caIssuer.metadata.name }, spec: { selfSigned: {} } };
  const anchorOnly = seed.filter((o) => o.kind === 'Certificate' && o !== issuer);

  const whole = admit(req(issuer), enforce, 'validate', seed);
  t.same(whole.response, { uid: whole.response.uid, allowed: true }, 'the seed 001 setup as the cluster holds it: allowed, silent');

  const refused = admit(req(issuer), enforce, 'validate', [...anchorOnly, selfSigned]);
  t.equal(refused.response.allowed, false, 'an identity issuer signed by a selfSigned ClusterIssuer that exists is denied');
  t.same(refused.denied, ['setup/issuer-self-signed']);
  t.match(refused.response.status?.message, /^linkerd-cert-guard denied Certificate linkerd\/linkerd-identity-issuer: spec\.issuerRef\.name: spec\.issuerRef names ClusterIssuer linkerd-identity-issuer, which is selfSigned.*\(setup\/issuer-self-signed\)$/);
  t.equal(admit(req(issuer), enforce, 'validate').response.allowed, true, 'judged alone (no cache) the same object is allowed');

  const unknown = admit(req(issuer), enforce, 'validate', anchorOnly);
  t.equal(unknown.response.allowed, true, 'an issuerRef naming nothing the cache holds is allowed');
  t.equal(unknown.decision, 'warned');
  t.same(unknown.warned, ['setup/issuer-ref']);
  t.match(unknown.response.warnings, [/^spec\.issuerRef\.name: spec\.issuerRef names ClusterIssuer linkerd-identity-issuer, which does not exist \(or is not yet known\).*\(setup\/issuer-ref\)$/]);
  const insisted = admit(req(issuer), resolveConfig({ rules: { 'setup/issuer-ref': { severity: 'error' } } }), 'validate', anchorOnly);
  t.equal(insisted.response.allowed, true, 'a missing object never denies, whatever the configured severity');
  const silenced = admit(req(issuer), resolveConfig({ rules: { 'setup/issuer-ref': { severity: 'off' } } }), 'validate', anchorOnly);
  t.equal(silenced.response.warnings, undefined, 'turned off, it is not said at all');

  const namespaced = clone(issuer) as K8sObject & { spec: { issuerRef: Record<string, unknown> } };
  namespaced.spec.issuerRef = { name: 'linkerd-ca', kind: 'Issuer' };
  t.match(admit(req(namespaced), enforce, 'validate', anchorOnly).response.warnings, [/names Issuer linkerd-ca in namespace linkerd, which does not exist/]);
  const elsewhere: K8sObject = { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'linkerd-ca', namespace: 'cert-manager' }, spec: { ca: { secretName: 'linkerd-trust-anchor' } } };
  const wrongNs = admit(req(namespaced), enforce, 'validate', [...anchorOnly, elsewhere]);
  t.same(wrongNs.denied, ['setup/issuer-ref'], 'an Issuer that exists in another namespace is a violation against a present object: denied');

  // UPDATE: the reference was already selfSigned before this edit: a warning unless strict.
  const edited = clone(issuer) as K8sObject & { metadata: Record<string, unknown> };
  edited.metadata.labels = { team: 'mesh' };
  const update = admit(req(edited, { operation: 'UPDATE', oldObject: issuer }), enforce, 'validate', [...anchorOnly, selfSigned]);
  t.equal(update.response.allowed, true);
  t.match(update.response.warnings, [/\(setup\/issuer-self-signed; already present before this update\)$/]);
  t.equal(admit(req(edited, { operation: 'UPDATE', oldObject: issuer }), resolveConfig({ strict: true }), 'validate', [...anchorOnly, selfSigned]).response.allowed, false, 'strict denies it');

  const audit = admit(req(issuer), resolveConfig({ mode: 'audit' }), 'validate', [...anchorOnly, selfSigned]);
  t.equal(audit.response.allowed, true, 'audit only warns');
  t.match(audit.response.warnings, [/\(setup\/issuer-self-signed\)$/]);
  t.equal(admit(req(issuer), enforce, 'mutate', [...anchorOnly, selfSigned]).response.patch, undefined, 'nothing to repair');
});
