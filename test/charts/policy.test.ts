/**
 * The chart's `enforcement` value with the real helm: which objects each choice renders, and that
 * the rendered ValidatingAdmissionPolicies are exactly what `linkerd-cert-guard policy` generates for
 * the same configuration (the chart carries files/policies.json and fills in its values), with the
 * webhook's own matchConditions.
 */
import t from 'tap';
import { resolveConfig, type Config } from '../../checks/config.js';
import { generatePolicies } from '../../checks/policy/generate.js';
import { RENAMED_CONFIG } from '../helpers/rule-cases.js';
import { FULLNAME, NAMESPACE, findHelm, helmTemplate, kinds, renderChart, type K8sObject } from './helm.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- rendered objects are compared as data

const helm = findHelm();
const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
const WEBHOOK_KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'Deployment', 'Service', 'PodDisruptionBudget'];
const POLICY_KINDS = ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'];

/** Labels are the chart's; matchConditions compared without their line breaks (a folded YAML scalar). */
function comparable(o: Obj): Obj {
  const c = structuredClone(o);
  delete c.metadata.labels;
  for (const m of c.spec.matchConditions ?? []) m.expression = squash(m.expression);
  return c;
}

/** JSON with sorted keys: helm's toJson sorts them, the generator writes them in its own order. */
function canonical(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sort) : x !== null && typeof x === 'object' ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Obj)[k])])) : x;
  return JSON.stringify(sort(v), null, 1);
}

if (helm === undefined) {
  t.test('chart policy tier', { skip: 'helm not found; run `bash test/e2e/provision.sh helm` (or set HELM)' }, async () => {});
} else {
  t.test('enforcement chooses what is rendered', async (t) => {
    const count = (objects: K8sObject[], ks: string[]) => kinds(objects).filter((k) => ks.includes(k)).length;
    const webhook = await renderChart(helm);
    t.equal(count(webhook, POLICY_KINDS), 0, 'webhook (default): no policies');
    t.equal(count(webhook, WEBHOOK_KINDS), 5, 'webhook: the webhook and its configurations');
    const policy = await renderChart(helm, { values: { enforcement: 'policy' } });
    t.equal(count(policy, POLICY_KINDS), 8, 'policy: four policies, four bindings');
    t.equal(count(policy, WEBHOOK_KINDS), 0, 'policy: no webhook in the request path, none running');
    t.notOk(policy.some((o) => o.kind === 'Certificate'), 'policy: no serving certificate');
    const both = await renderChart(helm, { values: { enforcement: 'both' } });
    t.equal(count(both, POLICY_KINDS), 8);
    t.equal(count(both, WEBHOOK_KINDS), 5);
    const bad = await helmTemplate(helm, { values: { enforcement: 'cel' } });
    t.not(bad.code, 0);
    t.match(bad.stderr, /enforcement.*must be one of 'webhook', 'policy', 'both'/);
  });

  const configs: Array<[string, Partial<Config>]> = [
    ['the default values (audit)', {}],
    ['enforce', { mode: 'enforce' }],
    ['repair, strict', { mode: 'repair', strict: true }],
    ['renamed names and namespaces', { ...RENAMED_CONFIG, mode: 'enforce' }],
    ['severity overrides and off', { mode: 'enforce', requireExplicitRotationPolicy: false, rules: { 'certificate/is-ca': { severity: 'off' }, 'certificate/common-name': { severity: 'error', repair: false }, 'bundle/name': { repair: false } } }],
  ];
  for (const [what, layer] of configs) {
    t.test(`${what}: the rendered policies are the generator's`, async (t) => {
      const objects = await renderChart(helm, { values: { enforcement: 'both', webhook: { excludeNamespaces: ['kube-system', 'tenant-a'] }, config: layer } });
      const rendered = objects.filter((o) => POLICY_KINDS.includes(o.kind)) as Obj[];
      const chartValues = { mode: 'audit', ...layer } as Partial<Config>;
      const config = resolveConfig(chartValues);
      const expected = generatePolicies(config, config.mode, { name: FULLNAME, excludeNamespaces: [NAMESPACE, 'kube-system', 'tenant-a'] });
      // helm orders objects by kind; the generator puts each binding after its policy
      const byName = (xs: Obj[]) => [...xs].sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
      t.equal(canonical(byName(rendered).map(comparable)), canonical(byName(expected).map(comparable)));
      for (const o of rendered) t.equal(o.metadata.labels['app.kubernetes.io/component'], 'policy', `${o.metadata.name}: labelled`);
      // one scope: the policies' matchConditions are the webhook's
      const webhooks = objects.filter((o) => o.kind === 'ValidatingWebhookConfiguration').flatMap((o) => (o as Obj).webhooks);
      for (const [target, kind] of [['certificates', 'certificates'], ['bundles', 'bundles']]) {
        const w = webhooks.find((x: Obj) => x.name.startsWith(`${target}.`));
        const p = rendered.find((x) => x.kind === 'ValidatingAdmissionPolicy' && x.metadata.name === `${FULLNAME}-${kind}-deny`);
        t.equal(squash(p?.spec.matchConditions[0].expression), squash(w.matchConditions[0].expression), `${kind}: the webhook's matchCondition`);
      }
    });
  }
}
