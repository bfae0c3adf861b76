/**
 * The webhook's informer cache at its default cap. Goals:
 *  - judging an identity issuer against a synced cache of 5000 Certificates, 500 Issuers and 500
 *    ClusterIssuers: p99 <= 2 ms per request (the webhook bench's latency goal), no API call;
 *  - the first request after a change (the rules index the new snapshot once): <= 100 ms;
 *  - heap held by that cache: <= 40 MB (the chart's memory limit is 256 Mi).
 * The objects come from the list/watch test server over HTTPS, as the API server would send them
 * (status, annotations and managedFields included), so the slimming is part of the measurement.
 */
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { connect } from '../../checks/cluster/live.js';
import { resolveConfig } from '../../checks/config.js';
import type { K8sObject } from '../../checks/rules/types.js';
import { admit } from '../../webhook/admission.js';
import { startInformerCache } from '../../webhook/cache.js';
import { createLogger } from '../../webhook/log.js';
import { reviewOf, seedObject } from '../webhook/helpers.js';
import { startListWatchServer } from '../webhook/listwatch-server.js';
import { goal } from './goals.js';

const GOALS = { p99Ms: 2, rebuildMs: 100, heapMb: 40 };
const COUNTS = { certificates: 5000, issuers: 500, clusterIssuers: 500 };

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

function asServed(o: K8sObject, i: number): K8sObject {
  const meta = o.metadata as Record<string, unknown>;
  return {
    ...o,
    metadata: {
      ...meta,
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(o) },
      managedFields: [{ manager: 'cert-manager-certificates-issuing', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:notAfter': {}, 'f:revision': {} } } }],
    },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' }], notAfter: '2027-01-01T00:00:00Z', revision: 3 },
  };
}

const api = await startListWatchServer();
for (let i = 0; i < COUNTS.certificates; i++) {
  api.put(asServed({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: `app-${i}`, namespace: `team-${i % 100}` }, spec: { secretName: `app-${i}-tls`, dnsNames: [`app-${i}.example.com`, `www.app-${i}.example.com`], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' }, privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' } } }, i));
}
for (let i = 0; i < COUNTS.issuers; i++) api.put(asServed({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: `ca-${i}`, namespace: `team-${i % 100}` }, spec: { ca: { secretName: `ca-${i}` } } }, i));
for (let i = 0; i < COUNTS.clusterIssuers; i++) api.put(asServed({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: `cluster-ca-${i}` }, spec: { selfSigned: {} } }, i));
const config = resolveConfig();
const conn = await connect({ kubeconfig: api.kubeconfigFile });
const before = heapMb();
const started = performance.now();
const cache = startInformerCache(conn, config, { logger: createLogger('silent', new PassThrough()) });
while (!cache.synced()) await new Promise((r) => setTimeout(r, 5));
const syncMs = performance.now() - started;
const heldMb = heapMb() - before;

const issuer = structuredClone(seedObject('001-cert-manager-trust-manager.yaml', 'Certificate', 'linkerd-identity-issuer')) as K8sObject & { spec: { issuerRef: { name: string } } };
issuer.spec.issuerRef.name = 'cluster-ca-7';
const request = reviewOf(issuer).request;
const requestsBefore = api.requests.length;

let snapshot = cache.snapshot();
let t0 = performance.now();
const first = admit(request, config, 'validate', snapshot);
const firstMs = performance.now() - t0;
if (first.response.allowed || !first.denied.includes('setup/issuer-self-signed')) throw new Error(`expected a setup/issuer-self-signed denial, got ${JSON.stringify(first.response)}`);

const samples: number[] = [];
for (let i = 0; i < 5000; i++) {
  snapshot = cache.snapshot();
  t0 = performance.now();
  admit(request, config, 'validate', snapshot);
  samples.push(performance.now() - t0);
}
samples.sort((a, b) => a - b);
const p50 = samples[Math.floor(samples.length * 0.5)] ?? 0;
const p99 = samples[Math.floor(samples.length * 0.99)] ?? 0;

// a spec change arrives through the watch: the next request indexes the new snapshot once
api.put(asServed({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'cluster-ca-late' }, spec: { selfSigned: {} } }, 0));
while (!cache.snapshot().some((o) => (o.metadata as { name: string }).name === 'cluster-ca-late')) await new Promise((r) => setTimeout(r, 5));
const rebuilds: number[] = [];
for (let i = 0; i < 5; i++) {
  api.put(asServed({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'cluster-ca-late' }, spec: { ca: { secretName: `s-${i}` } } }, 0));
  const prev = cache.snapshot();
  while (cache.snapshot() === prev) await new Promise((r) => setTimeout(r, 2));
  t0 = performance.now();
  admit(request, config, 'validate', cache.snapshot());
  rebuilds.push(performance.now() - t0);
}
const rebuildMs = Math.max(...rebuilds);
const apiCallsWhileJudging = api.requests.length - requestsBefore;

await cache.stop();
await api.close();

const ok = (v: number, goal: number): string => (v <= goal ? 'ok' : 'MISSED');
const objects = cache.status().reduce((n, s) => n + s.objects, 0);
process.stdout.write(
  [
    `cache: ${objects} objects (${COUNTS.certificates} Certificates, ${COUNTS.issuers} Issuers, ${COUNTS.clusterIssuers + 1} ClusterIssuers) listed and watching in ${syncMs.toFixed(0)} ms`,
    `heap held by the cache: ${heldMb.toFixed(1)} MB (goal <= ${GOALS.heapMb}) ${gc ? ok(heldMb, GOALS.heapMb) : '(run with --expose-gc for a figure)'}`,
    `judging against it: p50 ${(p50 * 1000).toFixed(0)} µs, p99 ${(p99 * 1000).toFixed(0)} µs (goal <= ${GOALS.p99Ms} ms) ${ok(p99, GOALS.p99Ms)}; first request ${firstMs.toFixed(1)} ms`,
    `first request after a change: at most ${rebuildMs.toFixed(1)} ms over ${rebuilds.length} changes (goal <= ${GOALS.rebuildMs} ms) ${ok(rebuildMs, GOALS.rebuildMs)}`,
    `API requests made while judging: ${apiCallsWhileJudging}`,
  ].join('\n') + '\n',
);
if (gc) goal('cache heap at the default cap', `${heldMb.toFixed(1)} MB`, `<= ${GOALS.heapMb} MB`, heldMb <= GOALS.heapMb);
goal('judging against the cache, p99', `${(p99 * 1000).toFixed(0)} µs`, `<= ${GOALS.p99Ms} ms`, p99 <= GOALS.p99Ms);
goal('first request after a cache change', `${rebuildMs.toFixed(1)} ms`, `<= ${GOALS.rebuildMs} ms`, rebuildMs <= GOALS.rebuildMs);
