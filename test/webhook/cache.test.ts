import t, { type Test } from 'tap';
import { PassThrough } from 'node:stream';
import { connect } from '../../checks/cluster/live.js';
import { resolveConfig } from '../../checks/config.js';
import type { K8sObject } from '../../checks/rules/types.js';
import { cachedKinds, startInformerCache, type CacheOptions, type InformerCache } from '../../webhook/cache.js';
import { createLogger } from '../../webhook/log.js';
import { seedObject, until } from './helpers.js';
import { startListWatchServer, type ListWatchServer } from './listwatch-server.js';

const SEED = '001-cert-manager-trust-manager.yaml';
const config = resolveConfig();

function clusterIssuer(name: string, spec: unknown = { selfSigned: {} }): K8sObject {
  return { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name }, spec };
}

function namespace(name: string, labels: Record<string, string> = {}): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

/** The seed's identity issuer as the API server returns it: status, managedFields and annotations included. */
function issuerAsServed(): K8sObject {
  const o = structuredClone(seedObject(SEED, 'Certificate', 'linkerd-identity-issuer')) as K8sObject & { metadata: Record<string, unknown> };
  o.metadata['uid'] = '5e7e1c1e-0000-4000-8000-000000000001';
  o.metadata['annotations'] = { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(o) };
  o.metadata['managedFields'] = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }];
  o['status'] = { conditions: [{ type: 'Ready', status: 'True' }], notAfter: '2027-01-01T00:00:00Z' };
  return o;
}

interface Started {
  api: ListWatchServer;
  cache: InformerCache;
  logs: () => Array<Record<string, unknown>>;
}

async function start(t: Test, prepare: (api: ListWatchServer) => void = () => undefined, o: Partial<CacheOptions> = {}): Promise<Started> {
  const api = await startListWatchServer();
  prepare(api);
  const out = new PassThrough();
  const lines: string[] = [];
  out.on('data', (c: Buffer) => lines.push(...c.toString('utf8').split('\n').filter(Boolean)));
  const conn = await connect({ kubeconfig: api.kubeconfigFile });
  const cache = startInformerCache(conn, config, { logger: createLogger('info', out), retryMinMs: 20, retryMaxMs: 100, absentRetryMs: 200, ...o });
  t.teardown(async () => {
    await cache.stop();
    await api.close();
  });
  return { api, cache, logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const named = (objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined =>
  objects.find((o) => o.kind === kind && (o.metadata as { name?: string }).name === name);

t.test('lists every kind once, keeps only what the rules read, and the Linkerd Namespace alone', async (t) => {
  const { api, cache, logs } = await start(t, (api) => {
    api.put(issuerAsServed());
    api.put(seedObject(SEED, 'Certificate', 'linkerd-trust-anchor'));
    api.put(clusterIssuer('linkerd-identity-issuer', { ca: { secretName: 'linkerd-trust-anchor' } }));
    api.put(seedObject(SEED, 'Bundle', 'linkerd-identity-trust-roots'));
    api.put(namespace('linkerd', { 'linkerd.io/is-control-plane': 'true' }));
    api.put(namespace('default'));
    api.unserved.add('clusterbundles');
  });
  t.equal(cache.synced(), false, 'not synced before the lists answered');
  t.match(cache.waitingFor(), /^cache not synced: certificates\.cert-manager\.io \(listing\)/);
  await until('sync', () => cache.synced());
  t.equal(cache.waitingFor(), undefined);

  const snapshot = cache.snapshot();
  t.equal(cache.snapshot(), snapshot, 'the same array while nothing changes (the rules index it once)');
  t.ok(Object.isFrozen(snapshot));
  t.same(snapshot.map((o) => `${String(o.kind)}/${String((o.metadata as { name: string }).name)}`).sort(), [
    'Bundle/linkerd-identity-trust-roots',
    'Certificate/linkerd-identity-issuer',
    'Certificate/linkerd-trust-anchor',
    'ClusterIssuer/linkerd-identity-issuer',
    'Namespace/linkerd',
  ]);
  const issuer = named(snapshot, 'Certificate', 'linkerd-identity-issuer') as K8sObject & { metadata: Record<string, unknown> };
  t.same(Object.keys(issuer).sort(), ['apiVersion', 'kind', 'metadata', 'spec'], 'no status');
  t.same(Object.keys(issuer.metadata).sort(), ['name', 'namespace', 'resourceVersion'], 'no uid, annotations (last-applied copy) or managedFields');
  t.same(issuer.spec, seedObject(SEED, 'Certificate', 'linkerd-identity-issuer').spec, 'the spec whole');
  const ns = named(snapshot, 'Namespace', 'linkerd') as K8sObject;
  t.same(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd', labels: { 'linkerd.io/is-control-plane': 'true' }, resourceVersion: (ns.metadata as { resourceVersion: string }).resourceVersion } });

  const lists = api.requests.filter((r) => r.query['watch'] !== 'true');
  t.same(lists.map((r) => r.path).sort(), [
    '/api/v1/namespaces',
    '/apis/cert-manager.io/v1/certificates',
    '/apis/cert-manager.io/v1/clusterissuers',
    '/apis/cert-manager.io/v1/issuers',
    '/apis/trust-manager.io/v1alpha2/clusterbundles',
    '/apis/trust.cert-manager.io/v1alpha1/bundles',
  ], 'one list per kind, cluster-wide; never a Secret');
  t.ok(lists.every((r) => r.method === 'GET' && r.query['limit'] === '5000'), 'every list is bounded by the cap');
  const nsCalls = api.requests.filter((r) => r.path === '/api/v1/namespaces');
  t.ok(nsCalls.length >= 2 && nsCalls.every((r) => r.query['fieldSelector'] === 'metadata.name=linkerd'), 'list and watch of the Linkerd Namespace only');
  const watchCalls = api.requests.filter((r) => r.query['watch'] === 'true');
  t.equal(watchCalls.length, 5, 'a watch per served kind');
  t.ok(watchCalls.every((r) => r.query['allowWatchBookmarks'] === 'true' && r.query['timeoutSeconds'] === '300' && r.query['resourceVersion'] !== undefined), 'watches resume from the list, with bookmarks and a server-side timeout');

  const status = new Map(cache.status().map((s) => [s.kind, s]));
  t.same(status.get('Certificate'), { kind: 'Certificate', resource: 'certificates.cert-manager.io', state: 'synced', objects: 2, truncated: false });
  t.same(status.get('ClusterBundle'), { kind: 'ClusterBundle', resource: 'clusterbundles.trust-manager.io', state: 'absent', objects: 0, truncated: false });
  t.same(status.get('Namespace')?.objects, 1);
  // looked for again (absentRetryMs), logged once
  await until('ClusterBundles looked for again', () => api.requests.filter((r) => r.path.endsWith('/clusterbundles')).length >= 3);
  const absentLogs = logs().filter((l) => String(l['msg']).includes('clusterbundles.trust-manager.io is not served'));
  t.equal(absentLogs.length, 1, 'an absent CRD is logged once');
  t.equal(absentLogs[0]?.['level'], 'warn');
});

t.test('watch: additions, spec changes and deletions are seen; status-only changes keep the snapshot', async (t) => {
  const { api, cache } = await start(t, (api) => api.put(clusterIssuer('root')));
  await until('sync', () => cache.synced());
  await until('watches open', () => api.watchers('clusterissuers') === 1 && api.watchers('namespaces') === 1);
  const before = cache.snapshot();

  api.put(clusterIssuer('late-selfsigned'));
  await until('the new ClusterIssuer', () => named(cache.snapshot(), 'ClusterIssuer', 'late-selfsigned') !== undefined);
  const added = cache.snapshot();
  t.not(added, before);

  api.put({ ...clusterIssuer('late-selfsigned'), status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  api.put(clusterIssuer('marker', {}));
  await until('the marker', () => named(cache.snapshot(), 'ClusterIssuer', 'marker') !== undefined);
  // the status change arrived before the marker; the late one's entry is the same object as before
  t.equal(named(cache.snapshot(), 'ClusterIssuer', 'late-selfsigned'), named(added, 'ClusterIssuer', 'late-selfsigned'), 'a status-only change does not replace the cached object');

  api.put(clusterIssuer('late-selfsigned', { ca: { secretName: 'linkerd-trust-anchor' } }));
  await until('the spec change', () => JSON.stringify(named(cache.snapshot(), 'ClusterIssuer', 'late-selfsigned')?.spec) === '{"ca":{"secretName":"linkerd-trust-anchor"}}');

  api.put(namespace('linkerd', { 'linkerd.io/is-control-plane': 'true' }));
  api.put(namespace('other'));
  await until('the Linkerd Namespace', () => named(cache.snapshot(), 'Namespace', 'linkerd') !== undefined);
  t.equal(named(cache.snapshot(), 'Namespace', 'other'), undefined, 'other namespaces are never cached');

  api.remove(clusterIssuer('root'));
  await until('the deletion', () => named(cache.snapshot(), 'ClusterIssuer', 'root') === undefined);
  t.equal(cache.status().find((s) => s.kind === 'ClusterIssuer')?.objects, 2);
});

t.test('bounded: at most maxObjectsPerKind per kind, and no object larger than maxObjectBytes', async (t) => {
  const { api, cache, logs } = await start(t, (api) => {
    for (const name of ['a', 'b', 'c']) api.put(clusterIssuer(name));
    api.put({ ...clusterIssuer('z'), kind: 'Issuer', metadata: { name: 'huge', namespace: 'linkerd' }, spec: { ca: { secretName: 'x'.repeat(2000) } } });
  }, { maxObjectsPerKind: 2, maxObjectBytes: 1024 });
  await until('sync', () => cache.synced());
  const status = new Map(cache.status().map((s) => [s.kind, s]));
  t.same({ objects: status.get('ClusterIssuer')?.objects, truncated: status.get('ClusterIssuer')?.truncated }, { objects: 2, truncated: true }, 'the first page only');
  t.same({ objects: status.get('Issuer')?.objects, truncated: status.get('Issuer')?.truncated }, { objects: 0, truncated: true }, 'an oversized object is left out');
  t.equal(api.requests.find((r) => r.path.endsWith('/clusterissuers'))?.query['limit'], '2');
  await until('watch open', () => api.watchers('clusterissuers') === 1);
  api.put(clusterIssuer('d'));
  api.put({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'small', namespace: 'linkerd' }, spec: { selfSigned: {} } });
  await until('the small Issuer', () => named(cache.snapshot(), 'Issuer', 'small') !== undefined);
  t.equal(named(cache.snapshot(), 'ClusterIssuer', 'd'), undefined, 'a watched addition beyond the cap is left out');
  t.equal(cache.status().find((s) => s.kind === 'ClusterIssuer')?.objects, 2);
  t.equal(logs().filter((l) => String(l['msg']).includes('some clusterissuers.cert-manager.io are not cached')).length, 1, 'truncation logged once');
});

t.test('an error (RBAC) keeps the cache unsynced, says why in one line, and is retried', async (t) => {
  const { api, cache, logs } = await start(t, (api) => api.forbidden.add('certificates'));
  await until('the other kinds', () => cache.status().filter((s) => s.state === 'synced').length === 5);
  t.equal(cache.synced(), false);
  const reason = cache.waitingFor() ?? '';
  t.match(reason, /^cache not synced: certificates\.cert-manager\.io \(HTTP 403: certificates is forbidden: User "system:serviceaccount:test:webhook" cannot list resource "certificates"\)$/);
  t.notMatch(reason, /\n/);
  await until('retries', () => api.requests.filter((r) => r.path.endsWith('/certificates')).length >= 3);
  t.equal(logs().filter((l) => l['msg'] === 'cache: list/watch failed; retrying').length, 1, 'the same error is logged once');
  api.forbidden.delete('certificates');
  await until('sync after the grant', () => cache.synced());
  t.equal(cache.status().find((s) => s.kind === 'Certificate')?.state, 'synced');
});

t.test('the kinds read follow the configured Linkerd namespace', async (t) => {
  const kinds = cachedKinds(resolveConfig({ linkerdNamespace: 'mesh' }));
  t.same(kinds.map((k) => k.kind), ['Certificate', 'Issuer', 'ClusterIssuer', 'Bundle', 'ClusterBundle', 'Namespace']);
  t.same(kinds.find((k) => k.kind === 'Namespace')?.name, 'mesh');
  t.ok(kinds.filter((k) => k.kind !== 'Namespace').every((k) => k.name === undefined));
});
