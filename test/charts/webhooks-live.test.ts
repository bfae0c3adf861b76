/**
 * The chart's webhook configurations on a real kube-apiserver (the end-to-end tier's etcd and
 * kube-apiserver), pointed at a URL where nothing listens: a request that reaches the webhook is
 * refused by the validating webhook's failurePolicy Fail, a request the chart keeps away from it
 * goes through. So this proves, with the API server's own CEL, rules and namespaceSelector, that
 * the webhook is in the path of Linkerd's objects only, and that a down webhook never blocks
 * unrelated Certificates, its own namespace, status writes (cert-manager renewals) or DELETE.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { request } from 'node:https';
import { findTools, installCrds, messageOf, registerWebhooks, renderWebhooks, startEnv, stopAll, waitFor, type Cluster } from '../e2e/harness.js';
import { findHelm, renderChart } from './helm.js';

type Obj = k8s.KubernetesObject & { spec?: Record<string, unknown> };

/** Where each kind the chart renders is served (group/version path and plural). */
const RESOURCES: Record<string, { path: string; plural: string; namespaced: boolean }> = {
  ServiceAccount: { path: '/api/v1', plural: 'serviceaccounts', namespaced: true },
  ConfigMap: { path: '/api/v1', plural: 'configmaps', namespaced: true },
  Service: { path: '/api/v1', plural: 'services', namespaced: true },
  Deployment: { path: '/apis/apps/v1', plural: 'deployments', namespaced: true },
  PodDisruptionBudget: { path: '/apis/policy/v1', plural: 'poddisruptionbudgets', namespaced: true },
  CronJob: { path: '/apis/batch/v1', plural: 'cronjobs', namespaced: true },
  Role: { path: '/apis/rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  RoleBinding: { path: '/apis/rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  ClusterRole: { path: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { path: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings', namespaced: false },
  Issuer: { path: '/apis/cert-manager.io/v1', plural: 'issuers', namespaced: true },
  Certificate: { path: '/apis/cert-manager.io/v1', plural: 'certificates', namespaced: true },
  MutatingWebhookConfiguration: { path: '/apis/admissionregistration.k8s.io/v1', plural: 'mutatingwebhookconfigurations', namespaced: false },
  ValidatingWebhookConfiguration: { path: '/apis/admissionregistration.k8s.io/v1', plural: 'validatingwebhookconfigurations', namespaced: false },
};

/** A server-side dry-run create with strict field validation: an unknown or misplaced field is an error. */
function dryRunCreate(cluster: Cluster, obj: k8s.KubernetesObject): Promise<{ status: number; message: string }> {
  const r = RESOURCES[obj.kind ?? ''];
  if (!r) return Promise.resolve({ status: 0, message: `no resource mapping for ${obj.kind}` });
  const ns = r.namespaced ? `/namespaces/${obj.metadata?.namespace ?? 'default'}` : '';
  const url = `${cluster.server}${r.path}${ns}/${r.plural}?dryRun=All&fieldValidation=Strict`;
  const body = JSON.stringify(obj);
  return new Promise((done, fail) => {
    const req = request(url, { method: 'POST', ca: cluster.pki.caPem, headers: { authorization: `Bearer ${cluster.token}`, 'content-type': 'application/json' }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let message = text;
        try {
          message = String((JSON.parse(text) as { message?: unknown }).message ?? '');
        } catch {
          // not JSON: keep the raw text
        }
        done({ status: res.statusCode ?? 0, message });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout posting ${obj.kind}`)));
    req.on('error', fail);
    req.end(body);
  });
}

const found = findTools();
if (found.tools === null) {
  const how = `missing ${found.missing.join(', ')}: run \`bash test/e2e/provision.sh\` to enable it`;
  if (process.env['CI']) t.fail(`live chart tier cannot run under CI; ${how}`);
  else t.test('live chart tier', { skip: `live chart tier skipped; ${how}` }, async () => {});
} else {
  const tools = found.tools;
  t.test('rendered webhook configurations on a real API server, webhook unreachable', async (t) => {
    const env = await startEnv(tools);
    t.teardown(() => stopAll(env.dir));
    await installCrds(env.cluster);
    const kc = env.cluster.kc;
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    for (const name of ['apps', 'linkerd', 'linkerd-cert-guard']) await core.createNamespace({ body: { metadata: { name } } });

    const cert = (metadata: Record<string, unknown>, spec: Record<string, unknown>): Obj => ({
      apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata, spec: { issuerRef: { name: 'ca', kind: 'Issuer' }, ...spec },
    });
    const issuer = cert({ name: 'linkerd-identity-issuer', namespace: 'linkerd' }, { secretName: 'linkerd-identity-issuer', commonName: 'identity.linkerd.cluster.local', isCA: true });
    // Created before the webhook exists, to be updated and deleted while it is down.
    await objects.create(issuer);

    // Port 1: nothing listens, every call to the webhook fails.
    const rendered = await renderWebhooks(tools, 'https://127.0.0.1:1', env.cluster.pki.caPem);
    t.equal(rendered.mutating.length + rendered.validating.length, 2, 'both configurations rendered');
    await registerWebhooks(env.cluster, rendered);
    t.pass('the API server accepts the rendered configurations (rules, CEL matchConditions)');

    /** 'created', or the API server's message. */
    const attempt = async (obj: Obj): Promise<string> => {
      try {
        await objects.create(obj);
        return 'created';
      } catch (e) {
        return messageOf(e);
      }
    };
    await waitFor('the webhook configurations to take effect', async () => /failed calling webhook/.test(await attempt(cert({ name: 'linkerd-trust-anchor', namespace: 'apps' }, { secretName: 'probe', isCA: true }))), { timeoutMs: 30_000, intervalMs: 250 });

    const bundle = (name: string, target: Record<string, unknown>, labels?: Record<string, string>): Obj => ({
      apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', metadata: { name, ...(labels ? { labels } : {}) }, spec: { sources: [{ inLine: 'x' }], target },
    });
    const clusterBundle = (name: string, key: string): Obj => ({
      apiVersion: 'trust-manager.io/v1alpha2', kind: 'ClusterBundle', metadata: { name },
      spec: { sourceRefs: [{ kind: 'Secret', name: 'a', key: 'tls.crt' }], target: { namespaceSelector: { matchLabels: { team: 'a' } }, configMap: { data: [{ key }] } } },
    });
    const cases: Array<[string, Obj, 'skipped' | 'judged']> = [
      ['unrelated Certificate', cert({ name: 'web', namespace: 'apps' }, { secretName: 'web-tls', dnsNames: ['web.example'] }), 'skipped'],
      ['unrelated Certificate with generateName', cert({ generateName: 'web-', namespace: 'apps' }, { secretName: 'web2-tls' }), 'skipped'],
      ['Linkerd-named Certificate in the release namespace', cert({ name: 'linkerd-identity-issuer', namespace: 'linkerd-cert-guard' }, { secretName: 'linkerd-identity-issuer' }), 'skipped'],
      ['Certificate in kube-system', cert({ name: 'linkerd-trust-anchor', namespace: 'kube-system' }, { secretName: 'x' }), 'skipped'],
      ['issuer by secretName, generateName, wrong namespace', cert({ generateName: 'x-', namespace: 'apps' }, { secretName: 'linkerd-identity-issuer' }), 'judged'],
      ['issuer by dnsNames', cert({ name: 'y', namespace: 'apps' }, { secretName: 'y', dnsNames: ['identity.linkerd.cluster.local'] }), 'judged'],
      ['anchor by commonName', cert({ name: 'root', namespace: 'apps' }, { secretName: 'root', commonName: 'root.linkerd.cluster.local', isCA: true }), 'judged'],
      ['role label', cert({ name: 'z', namespace: 'apps', labels: { 'linkerd-cert-guard.io/role': 'trust-anchor' } }, { secretName: 'z' }), 'judged'],
      ['unrelated Bundle', bundle('corp', { configMap: { key: 'ca.crt' } }), 'skipped'],
      ['Bundle by name', bundle('linkerd-identity-trust-roots', { configMap: { key: 'ca.crt' } }), 'judged'],
      ['Bundle by target key', bundle('r2', { configMap: { key: 'ca-bundle.crt' } }), 'judged'],
      ['Bundle by namespaceSelector expression', bundle('r3', { configMap: { key: 'a' }, namespaceSelector: { matchExpressions: [{ key: 'linkerd.io/is-control-plane', operator: 'Exists' }] } }), 'judged'],
      ['unrelated ClusterBundle', clusterBundle('cb', 'x.pem'), 'skipped'],
      ['ClusterBundle by target key', clusterBundle('cb2', 'ca-bundle.crt'), 'judged'],
    ];
    for (const [what, obj, expected] of cases) {
      const result = await attempt(obj);
      if (expected === 'skipped') t.equal(result, 'created', `${what}: never sent to the webhook`);
      else t.match(result, /failed calling webhook "(certificates|bundles)\.validating\.linkerd-cert-guard\.io"/, `${what}: sent to the webhook (down, so refused)`);
      t.notMatch(result, /matchCondition|expression/i, `${what}: no CEL evaluation error`);
    }

    const web = await objects.read({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'web', namespace: 'apps' } }) as Obj;
    web.spec = { ...web.spec, dnsNames: ['web.example', 'www.example'] };
    t.equal((await objects.replace(web)).metadata?.name, 'web', 'UPDATE of an unrelated Certificate goes through');

    const current = (await custom.getNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace: 'linkerd', plural: 'certificates', name: 'linkerd-identity-issuer' })) as Obj & { status?: unknown };
    current.status = { conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'renewed', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] };
    const updated = (await custom.replaceNamespacedCustomObjectStatus({ group: 'cert-manager.io', version: 'v1', namespace: 'linkerd', plural: 'certificates', name: 'linkerd-identity-issuer', body: current })) as { status?: { conditions?: Array<{ message?: string }> } };
    t.equal(updated.status?.conditions?.[0]?.message, 'renewed', "status writes on Linkerd's issuer go through (cert-manager renewals never wait on the webhook)");

    const edited = (await objects.read({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'linkerd-identity-issuer', namespace: 'linkerd' } })) as Obj;
    edited.spec = { ...edited.spec, duration: '48h0m0s' };
    t.match(await objects.replace(edited).then(() => 'updated', messageOf), /failed calling webhook/, "UPDATE of Linkerd's issuer is refused while the webhook is down (fail closed)");
    await objects.delete(issuer);
    t.pass("DELETE of Linkerd's issuer goes through while the webhook is down");

    // Everything the chart renders (with every option that adds objects), as the API server
    // validates it. ServiceMonitor/PrometheusRule need the Prometheus Operator CRDs, absent here.
    const helm = findHelm() ?? tools.helm;
    const variants: Array<[string, Record<string, unknown>]> = [
      ['defaults + check CronJob with --proxy', { checkJob: { enabled: true, proxy: true } }],
      ['provided certificate', { tls: { source: 'secret', secretName: 'my-tls' }, webhook: { caBundle: Buffer.from(env.cluster.pki.caPem).toString('base64') } }],
      ['no matchConditions', { webhook: { matchConditions: { enabled: false } } }],
    ];
    for (const [variant, values] of variants) {
      const rendered = await renderChart(helm, { values });
      for (const obj of rendered) {
        if (obj.kind === 'ServiceMonitor' || obj.kind === 'PrometheusRule') continue;
        const r = await dryRunCreate(env.cluster, obj as k8s.KubernetesObject);
        t.equal(r.status, 201, `${variant}: ${obj.kind} ${obj.metadata.name}: valid for the API server${r.status === 201 ? '' : `: ${r.message}`}`);
      }
    }
  });
}
