/**
 * The policies' CEL scope equals the rule engine's: the `role` variable names exactly the role
 * roleOf gives, and the matchCondition (the webhook's) lets every Linkerd object through, for the
 * default and a renamed configuration, over every case object, seed 001 and probes of each way an
 * object is recognised (or not).
 */
import t from 'tap';
import { resolveConfig, type Config } from '../../../checks/config.js';
import { roleOf } from '../../../checks/rules/scope.js';
import type { K8sObject } from '../../../checks/rules/types.js';
import { configVariables, policyPart } from '../../../checks/policy/generate.js';
import { matchCondition } from '../../../checks/policy/scope.js';
import { RULE_CASES, RENAMED_CONFIG, anchor, bundle, issuer, renamed, seed001, type Obj } from '../../helpers/rule-cases.js';
import { evaluatePolicies, toCel } from '../../helpers/policy-eval.js';
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';

function probes(): Obj[] {
  const strip = (o: Obj): Obj => {
    o.metadata.name = 'unrelated';
    delete o.metadata.labels;
    return o;
  };
  const out: Obj[] = [];
  // Certificates: each way of being recognised alone, and none
  const cert = (): Obj => { const o = strip(issuer()); o.spec.secretName = 'other'; delete o.spec.commonName; delete o.spec.dnsNames; return o; };
  out.push(cert());
  out.push(Object.assign(cert(), { metadata: { name: 'linkerd-identity-issuer', namespace: 'linkerd' } }));
  out.push(Object.assign(cert(), { metadata: { name: 'linkerd-previous-anchor', namespace: 'cert-manager' } }));
  { const o = cert(); o.spec.secretName = 'linkerd-trust-anchor'; out.push(o); }
  { const o = cert(); o.spec.commonName = 'identity.linkerd.cluster.local'; out.push(o); }
  { const o = cert(); o.spec.dnsNames = ['a.example', 'identity.linkerd.cluster.local']; out.push(o); }
  { const o = cert(); o.spec.commonName = 'root.linkerd.cluster.local'; out.push(o); }
  for (const role of ['identity-issuer', 'trust-anchor', 'trust-bundle', 'other']) {
    const o = cert(); o.metadata.labels = { 'linkerd-cert-guard.io/role': role }; out.push(o);
    const a = anchor(); a.metadata.labels = { 'linkerd-cert-guard.io/role': role }; out.push(a);
  }
  // Bundles
  const b = (): Obj => { const o = strip(bundle()); o.spec.target = { configMap: { key: 'other.pem' } }; return o; };
  out.push(b());
  { const o = b(); o.spec.target.namespaceSelector = { matchExpressions: [{ key: 'linkerd.io/is-control-plane', operator: 'Exists' }] }; out.push(o); }
  { const o = b(); o.spec.target.namespaceSelector = { matchLabels: { 'linkerd.io/is-control-plane': 'false' } }; out.push(o); }
  { const o = b(); o.spec.target.configMap.key = 'ca-bundle.crt'; out.push(o); }
  { const o = b(); o.spec.target = { secret: { key: 'ca-bundle.crt' } }; out.push(o); }
  for (const role of ['trust-bundle', 'identity-issuer']) { const o = b(); o.metadata.labels = { 'linkerd-cert-guard.io/role': role }; out.push(o); }
  // a misnamed Bundle sourcing Linkerd's anchor Secret (scope by relation, when the rule engine knows it)
  { const o = b(); o.spec.sources = [{ secret: { name: 'linkerd-trust-anchor', key: 'tls.crt' } }]; out.push(o); }
  return out;
}

function corpus(): Obj[] {
  const objects = [...RULE_CASES.map((c) => c.object()), ...seed001.map((o) => structuredClone(o)), ...probes()];
  return objects.filter((o) => (o.kind === 'Certificate' && o.apiVersion === 'cert-manager.io/v1') || (o.kind === 'Bundle' && o.apiVersion === 'trust.cert-manager.io/v1alpha1'));
}

const env = celEnv();
function evaluate(expression: string, bindings: Record<string, unknown>): unknown {
  const r = plan(env, parse(expression))(bindings as never);
  if (isCelError(r)) throw new Error(r.message);
  return r;
}

function celRole(object: Obj, config: Config): string {
  const kind = object.kind === 'Certificate' ? 'certificate' : 'bundle';
  const variables = new Map<string, unknown>();
  const bindings = { object: toCel(object), oldObject: null, request: toCel({ operation: 'CREATE', namespace: object.metadata?.namespace }), variables };
  for (const v of [...configVariables(config), ...policyPart(kind, 'deny').variables]) {
    variables.set(v.name, evaluate(v.expression, bindings));
    if (v.name === 'role') break;
  }
  return variables.get('role') as string;
}

for (const [label, layer, rename] of [['default', {}, false], ['renamed', RENAMED_CONFIG, true]] as const) {
  t.test(`${label} configuration: the CEL role is roleOf's, and the matchCondition admits every Linkerd object`, async (t) => {
    const config = resolveConfig(layer);
    const objects = corpus().map((o) => (rename ? renamed(o) : o));
    let recognised = 0;
    for (const o of objects) {
      const role = roleOf(o as K8sObject, config);
      const what = `${o.kind} ${o.metadata?.name} ${JSON.stringify(o.metadata?.labels ?? {})}`;
      t.equal(celRole(o, config), role ?? '', `${what}: role ${role}`);
      if (role !== null) {
        recognised++;
        const kind = o.kind === 'Certificate' ? 'certificate' : 'bundle';
        const bindings = { object: toCel(o), oldObject: null, request: toCel({ operation: 'CREATE' }) };
        t.equal(evaluate(matchCondition(kind, config), bindings), true, `${what}: reaches the policies`);
      }
    }
    t.ok(recognised >= 50 && recognised < objects.length, `some objects are Linkerd's (${recognised}), some are not`);
  });
}

t.test('an object that is not Linkerd\'s is never judged', async (t) => {
  const config = resolveConfig();
  const { generatePolicies } = await import('../../../checks/policy/generate.js');
  for (const o of probes().filter((x) => roleOf(x as K8sObject, config) === null)) {
    const broken = structuredClone(o);
    if (broken.kind === 'Certificate') { broken.spec.isCA = false; broken.spec.privateKey = { algorithm: 'RSA', size: 3072 }; }
    else broken.spec.sources = [{ secret: { name: 'x', key: 'tls.key' } }, { useDefaultCAs: true }];
    const out = evaluatePolicies(generatePolicies(config, 'enforce'), { operation: 'CREATE', namespace: broken.metadata.namespace, object: broken });
    t.same(out, { denied: [], warnings: [], audited: [], errors: [] }, `${broken.kind} ${JSON.stringify(broken.metadata)}: untouched`);
  }
});
