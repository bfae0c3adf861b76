/**
 * End-to-end: the webhook's informer cache on the real kube-apiserver. `serve` reads the cluster
 * with a ServiceAccount token granted exactly the chart's cache RBAC (rendered from the chart), so
 * the API server's own RBAC proves the grants suffice (list and watch, the Linkerd Namespace by
 * resourceNames). The webhook configurations come from the chart too. Needs etcd, kube-apiserver
 * and helm only (no controller runs): nothing here needs an issued certificate.
 */
import t from 'tap';
import { request } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { enterTier, installCrds, messageOf, metricSum, parseWarnings, registerWebhooks, renderWebhooks, startEnv, startServe, stopAll, waitFor, type Cluster, type Webhook } from './harness.js';
import { NAMESPACE, renderChart } from '../charts/helm.js';
import { seedObject } from '../webhook/helpers.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown> };

/** GET the webhook's /readyz: status and the one-line reason. */
function readyz(webhook: Webhook): Promise<{ status: number; text: string }> {
  return new Promise((done, fail) => {
    const req = request(`${webhook.url}/readyz`, { ca: webhook.tls.ca, timeout: 2000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** A kubeconfig for the ServiceAccount, with a token from the TokenRequest API. */
async function serviceAccountKubeconfig(cluster: Cluster, name: string): Promise<string> {
  const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
  const token = await core.createNamespacedServiceAccountToken({ name, namespace: NAMESPACE, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const file = join(cluster.dir, `kubeconfig-${name}`);
  const admin = JSON.parse(readFileSync(cluster.kubeconfigFile, 'utf8')) as { clusters: unknown[] };
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: admin.clusters,
    users: [{ name, user: { token: token.status?.token } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: name } }],
    'current-context': 'e2e',
  }), { mode: 0o600 });
  return file;
}

const tools = enterTier(t, 'end-to-end cache tier', ['etcd', 'kubeApiserver', 'helm']);
if (tools !== null) {
  t.setTimeout(300_000);
  t.test('the cache on the real API server: RBAC from the chart, readyz after the first sync, selfSigned refused, unknown warned, watched', async (t) => {
    const env = await startEnv(tools);
    t.teardown(() => stopAll(env.dir));
    const { cluster } = env;
    await installCrds(cluster);
    const kc = cluster.kc;
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const customs = kc.makeApiClient(k8s.CustomObjectsApi);
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    for (const name of ['linkerd', 'cert-manager', NAMESPACE, 'apps']) await core.createNamespace({ body: { metadata: { name, ...(name === 'linkerd' ? { labels: { 'linkerd.io/is-control-plane': 'true' } } : {}) } } });

    // The chart's ServiceAccount and cache ClusterRole; the binding comes later, to see readyz wait.
    const rendered = await renderChart(tools.helm, { showOnly: ['templates/serviceaccount.yaml', 'templates/webhook-rbac.yaml'] });
    const byKind = (kind: string): k8s.KubernetesObject => {
      const found = rendered.find((o) => o.kind === kind);
      if (!found) throw new Error(`the chart rendered no ${kind}`);
      return found as unknown as k8s.KubernetesObject;
    };
    const sa = byKind('ServiceAccount');
    await objects.create(sa);
    await objects.create(byKind('ClusterRole'));
    const saKubeconfig = await serviceAccountKubeconfig(cluster, sa.metadata?.name ?? '');

    const webhook = await startServe(cluster, { mode: 'enforce', cache: { kubeconfigFile: saKubeconfig }, listeningOnly: true });
    const before = await waitFor('readyz to say what it waits for', async () => /forbidden/.test((await readyz(webhook)).text), { proc: webhook.proc, timeoutMs: 20_000 }).then(() => readyz(webhook));
    t.equal(before.status, 503, 'not ready while the cache cannot list');
    t.match(before.text, /^cache not synced: certificates\.cert-manager\.io \(HTTP 403: certificates\.cert-manager\.io is forbidden: User "system:serviceaccount:linkerd-cert-guard:[^"]+" cannot list resource "certificates"[^\n]*$/);

    await objects.create(byKind('ClusterRoleBinding'));
    await waitFor('readyz 200 once the chart RBAC is bound', async () => (await readyz(webhook)).status === 200, { proc: webhook.proc, timeoutMs: 60_000, intervalMs: 250 });
    t.pass('ready after the first sync with exactly the chart RBAC (list and watch; the Namespace by resourceNames)');
    for (const kind of ['Certificate', 'Issuer', 'ClusterIssuer', 'Bundle', 'ClusterBundle', 'Namespace']) {
      t.equal(await metricSum(webhook, 'linkerd_cert_guard_cache_state', { kind, state: 'synced' }), 1, `${kind}: synced`);
    }
    t.equal(await metricSum(webhook, 'linkerd_cert_guard_cache_objects', { kind: 'Namespace' }), 1, 'the Linkerd Namespace alone');

    const webhooks = await renderWebhooks(tools, webhook.url, cluster.pki.caPem);
    await registerWebhooks(cluster, webhooks);

    const issuer = structuredClone(seedObject('001-cert-manager-trust-manager.yaml', 'Certificate', 'linkerd-identity-issuer')) as unknown as Obj;
    const create = async (o: Obj, dryRun?: 'All'): Promise<{ ok: true; warnings: string[] } | { ok: false; message: string }> => {
      try {
        const info = await customs.createNamespacedCustomObjectWithHttpInfo({ group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespace: 'linkerd', body: o, ...(dryRun ? { dryRun } : {}) });
        return { ok: true, warnings: parseWarnings(info.headers['warning']) };
      } catch (e) {
        return { ok: false, message: messageOf(e) };
      }
    };
    await waitFor('the webhook configurations to take effect', async () => {
      const probe = structuredClone(issuer);
      probe.spec = { ...probe.spec, issuerRef: { name: 'probe', kind: 'ClusterIssuer' } };
      const r = await create(probe, 'All');
      return r.ok && r.warnings.some((w) => w.includes('(setup/issuer-ref)'));
    }, { timeoutMs: 30_000, intervalMs: 250 });

    // Created after the webhook started: the watch brings it in, no restart.
    const selfSignedIssuer = { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'linkerd-selfsigned' }, spec: { selfSigned: {} } };
    await customs.createClusterCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'clusterissuers', body: selfSignedIssuer });
    await waitFor('the ClusterIssuer in the cache', async () => (await metricSum(webhook, 'linkerd_cert_guard_cache_objects', { kind: 'ClusterIssuer' })) === 1, { proc: webhook.proc, timeoutMs: 20_000 });

    const signedBySelfSigned = structuredClone(issuer);
    signedBySelfSigned.spec = { ...signedBySelfSigned.spec, issuerRef: { name: 'linkerd-selfsigned', kind: 'ClusterIssuer', group: 'cert-manager.io' } };
    const refused = await create(signedBySelfSigned);
    t.equal(refused.ok, false, 'an identity issuer whose issuerRef names a selfSigned ClusterIssuer that exists is refused');
    if (!refused.ok) {
      t.match(refused.message, /admission webhook "certificates\.validating\.linkerd-cert-guard\.io" denied the request: linkerd-cert-guard denied Certificate linkerd\/linkerd-identity-issuer: spec\.issuerRef\.name: .*selfSigned.*\(setup\/issuer-self-signed\)/);
    }
    t.equal(await metricSum(webhook, 'linkerd_cert_guard_denials_total', { rule: 'setup/issuer-self-signed' }), 1, 'counted as its rule');

    const unknown = structuredClone(issuer);
    unknown.spec = { ...unknown.spec, issuerRef: { name: 'not-created-yet', kind: 'ClusterIssuer', group: 'cert-manager.io' } };
    const allowed = await create(unknown);
    t.equal(allowed.ok, true, 'an unknown ClusterIssuer: allowed');
    if (allowed.ok) {
      t.match(allowed.warnings, [/names ClusterIssuer not-created-yet, which does not exist \(or is not yet known\).*\(setup\/issuer-ref\)$/], 'with a warning naming the rule');
    }
    // The stored issuer now names the unknown one; once it appears as selfSigned, an edit that
    // keeps the reference is only warned about (it was already there), a new one is refused.
    await customs.createClusterCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'clusterissuers', body: { ...selfSignedIssuer, metadata: { name: 'not-created-yet' } } });
    await waitFor('the second ClusterIssuer in the cache', async () => (await metricSum(webhook, 'linkerd_cert_guard_cache_objects', { kind: 'ClusterIssuer' })) === 2, { proc: webhook.proc, timeoutMs: 20_000 });
    const other = structuredClone(unknown);
    other.metadata = { name: 'linkerd-identity-issuer-2', namespace: 'linkerd' };
    other.spec = { ...other.spec, secretName: 'linkerd-identity-issuer' };
    const second = await create(other);
    t.equal(second.ok, false, 'the same reference, now to a selfSigned ClusterIssuer the cache has seen: refused');

    t.equal(webhook.proc.running, true, 'serve still running');
    t.notMatch(webhook.proc.tail(400), /"level":"(error|fatal)"/, 'no error logged');
  });
}
