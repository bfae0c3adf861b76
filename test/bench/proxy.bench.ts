/**
 * Live `check --proxy` against a real kube-apiserver (with its etcd) holding 15,000 meshed pods
 * (issue 14 goal: the whole CLI run under 2 s), with the check process's peak RSS. The pods are shaped
 * as Linkerd's proxy injector leaves them (a linkerd-init init container, the linkerd-proxy container
 * with its environment and the trust anchors PEM, the workload's own container), spread over 30
 * namespaces; a handful hold another anchor, and the bench checks that exactly those are reported.
 * Needs the end-to-end tools (bash test/e2e/provision.sh); without them it prints one line and skips.
 *
 * Knob for investigating: LCG_BENCH_HOLD=1 keeps the cluster up after the figures (its kubeconfig is
 * printed) until the bench is interrupted, to profile `check --proxy` against it by hand.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { findTools, startEnv, stopAll, type Env } from '../e2e/harness.js';
import { writeIdentity } from '../e2e/clusters.js';
import { makeLinkerdChain, issue, makeKeyPair, selfSigned } from '../helpers/pki.js';
import { goal, goalSkipped } from './goals.js';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '../../bin/main.js');
const PODS = 15_000;
const NAMESPACES = 30;
const STALE = 7;
const RUNS = 5;
const CREATE_CONCURRENCY = 24;
const GOAL_MS = 2000;
const LABEL = `check --proxy, ${PODS.toLocaleString('en')} meshed pods, real API server`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A pod as it is after Linkerd's proxy injector (trimmed of nothing the API server would drop). */
function meshedPod(ns: string, i: number, anchors: string): Record<string, unknown> {
  const app = `app-${i % 50}`;
  const env = (name: string, value: string) => ({ name, value });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${app}-${i.toString(36).padStart(5, '0')}-x7k2p`,
      namespace: ns,
      labels: { app, 'pod-template-hash': '6d4cf56db6', 'linkerd.io/control-plane-ns': 'linkerd', 'linkerd.io/proxy-deployment': app, 'linkerd.io/workload-ns': ns },
      annotations: {
        'linkerd.io/created-by': 'linkerd/proxy-injector stable-2.14.10',
        'linkerd.io/inject': 'enabled',
        'linkerd.io/proxy-version': 'stable-2.14.10',
        'linkerd.io/trust-root-sha256': 'd2f1c2a5e4b3a697f8e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9',
        'viz.linkerd.io/tap-enabled': 'true',
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-6d4cf56db6`, uid: '5b0c7c36-1f2e-4b55-9d7a-0c2f3e4d5a6b', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      initContainers: [
        {
          name: 'linkerd-init',
          image: 'cr.l5d.io/linkerd/proxy-init:v2.2.3',
          args: ['--incoming-proxy-port', '4143', '--outgoing-proxy-port', '4140', '--proxy-uid', '2102', '--inbound-ports-to-ignore', '4190,4191,4567,4568', '--outbound-ports-to-ignore', '4567,4568'],
          resources: { limits: { cpu: '100m', memory: '20Mi' }, requests: { cpu: '100m', memory: '20Mi' } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'] }, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 65534 },
          volumeMounts: [{ mountPath: '/run', name: 'linkerd-proxy-init-xtables-lock' }],
        },
      ],
      containers: [
        {
          name: 'linkerd-proxy',
          image: 'cr.l5d.io/linkerd/proxy:stable-2.14.10',
          ports: [{ containerPort: 4143, name: 'linkerd-proxy', protocol: 'TCP' }, { containerPort: 4191, name: 'linkerd-admin', protocol: 'TCP' }],
          env: [
            env('_pod_name', 'x'),
            env('LINKERD2_PROXY_LOG', 'warn,linkerd=info,trust_dns=error'),
            env('LINKERD2_PROXY_LOG_FORMAT', 'plain'),
            env('LINKERD2_PROXY_DESTINATION_SVC_ADDR', 'linkerd-dst-headless.linkerd.svc.cluster.local.:8086'),
            env('LINKERD2_PROXY_DESTINATION_PROFILE_NETWORKS', '10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16'),
            env('LINKERD2_PROXY_POLICY_SVC_ADDR', 'linkerd-policy.linkerd.svc.cluster.local.:8090'),
            env('LINKERD2_PROXY_POLICY_WORKLOAD', `${ns}:${app}`),
            env('LINKERD2_PROXY_INBOUND_DEFAULT_POLICY', 'all-unauthenticated'),
            env('LINKERD2_PROXY_CONTROL_LISTEN_ADDR', '0.0.0.0:4190'),
            env('LINKERD2_PROXY_ADMIN_LISTEN_ADDR', '0.0.0.0:4191'),
            env('LINKERD2_PROXY_OUTBOUND_LISTEN_ADDR', '127.0.0.1:4140'),
            env('LINKERD2_PROXY_INBOUND_LISTEN_ADDR', '0.0.0.0:4143'),
            env('LINKERD2_PROXY_INBOUND_PORTS', '8080'),
            env('LINKERD2_PROXY_DESTINATION_PROFILE_SUFFIXES', 'svc.cluster.local.'),
            env('LINKERD2_PROXY_INBOUND_ACCEPT_KEEPALIVE', '10000ms'),
            env('LINKERD2_PROXY_OUTBOUND_CONNECT_KEEPALIVE', '10000ms'),
            env('LINKERD2_PROXY_IDENTITY_DIR', '/var/run/linkerd/identity/end-entity'),
            env('LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', anchors),
            env('LINKERD2_PROXY_IDENTITY_TOKEN_FILE', '/var/run/secrets/tokens/linkerd-identity-token'),
            env('LINKERD2_PROXY_IDENTITY_SVC_ADDR', 'linkerd-identity-headless.linkerd.svc.cluster.local.:8080'),
            env('LINKERD2_PROXY_IDENTITY_LOCAL_NAME', `default.${ns}.serviceaccount.identity.linkerd.cluster.local`),
            env('LINKERD2_PROXY_IDENTITY_SVC_NAME', 'linkerd-identity.linkerd.serviceaccount.identity.linkerd.cluster.local'),
            env('LINKERD2_PROXY_DESTINATION_SVC_NAME', 'linkerd-destination.linkerd.serviceaccount.identity.linkerd.cluster.local'),
            env('LINKERD2_PROXY_POLICY_SVC_NAME', 'linkerd-destination.linkerd.serviceaccount.identity.linkerd.cluster.local'),
          ],
          livenessProbe: { httpGet: { path: '/live', port: 4191, scheme: 'HTTP' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 1 },
          readinessProbe: { httpGet: { path: '/ready', port: 4191, scheme: 'HTTP' }, initialDelaySeconds: 2, periodSeconds: 10, timeoutSeconds: 1 },
          resources: {},
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 2102 },
          volumeMounts: [{ mountPath: '/var/run/linkerd/identity/end-entity', name: 'linkerd-identity-end-entity' }, { mountPath: '/var/run/secrets/tokens', name: 'linkerd-identity-token' }],
        },
        {
          name: app,
          image: `registry.example/${app}:1.4.2`,
          ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
          env: [env('LOG_LEVEL', 'info'), env('PORT', '8080')],
          resources: { requests: { cpu: '50m', memory: '64Mi' } },
        },
      ],
      volumes: [
        { name: 'linkerd-proxy-init-xtables-lock', emptyDir: {} },
        { name: 'linkerd-identity-end-entity', emptyDir: { medium: 'Memory' } },
        // (Linkerd's projected service-account token volume needs a ServiceAccount, which no controller creates here)
        { name: 'linkerd-identity-token', emptyDir: { medium: 'Memory' } },
      ],
    },
  };
}

/** Busy share of all CPUs over one second, from /proc/stat (Linux); 0 where it cannot be read. */
async function busyShare(): Promise<number> {
  const sample = (): number[] => {
    try {
      return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    } catch {
      return [];
    }
  };
  const a = sample();
  await new Promise((r) => setTimeout(r, 1000));
  const b = sample();
  if (a.length < 5 || b.length < 5) return 0;
  const d = b.map((v, i) => v - (a[i] ?? 0));
  const total = d.reduce((x, y) => x + y, 0);
  const idle = (d[3] ?? 0) + (d[4] ?? 0); // idle + iowait
  return total > 0 ? 1 - idle / total : 0;
}

/** Wait (at most a minute) until the machine is mostly idle. */
async function settle(): Promise<{ ms: number; busy: number }> {
  const t0 = performance.now();
  let busy = await busyShare();
  while (busy > 0.15 && performance.now() - t0 < 60_000) busy = await busyShare();
  return { ms: performance.now() - t0, busy };
}

/** POST a JSON body to the API server with the cluster's admin token. */
function post(env: Env, agent: Agent, path: string, body: unknown): Promise<void> {
  const { server, token, pki } = env.cluster;
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${server}${path}`, { method: 'POST', agent, ca: pki.caPem, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (out += d));
      res.on('end', () => (res.statusCode === 201 || res.statusCode === 409 ? resolve() : reject(new Error(`POST ${path}: HTTP ${res.statusCode} ${out.slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** The check process, once: wall time, its own peak RSS (reported by the child at exit), its output. */
function runCheck(kubeconfig: string): { ms: number; rssMb: number; status: number | null; stdout: string } {
  const argv = [main, 'check', '--kubeconfig', kubeconfig, '--proxy', '-o', 'json'];
  const script = `process.on('exit', () => process.stderr.write('\\nLCG_BENCH_MAXRSS ' + process.resourceUsage().maxRSS + '\\n')); process.argv = [process.argv[0], ...${JSON.stringify(argv)}]; import(${JSON.stringify(main)});`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - t0;
  const rssMb = Number(/LCG_BENCH_MAXRSS (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  return { ms, rssMb, status: r.status, stdout: r.stdout };
}

const found = findTools();
if (found.tools === null) {
  process.stdout.write(`proxy bench skipped: ${found.missing.join(', ')} not built (bash test/e2e/provision.sh)\n`);
  goalSkipped(LABEL, `< ${GOAL_MS / 1000} s`, `end-to-end tools missing (${found.missing.join(', ')})`);
} else {
  let env: Env | undefined;
  try {
    const t0 = performance.now();
    env = await startEnv(found.tools);
    const chain = await makeLinkerdChain();
    const identity = 'identity.linkerd.cluster.local';
    const issuer = await issue(await makeKeyPair('P-256'), chain.anchor, { cn: identity, dnsNames: [identity], isCA: true, pathLen: 0 });
    await writeIdentity(env.cluster, { issuer, anchor: chain.anchor, bundle: [chain.anchor] });
    const other = await selfSigned(await makeKeyPair('P-256'), { cn: 'old-root.linkerd.cluster.local', isCA: true });
    process.stdout.write(`cluster (etcd + kube-apiserver) started and identity written in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const agent = new Agent({ keepAlive: true, maxSockets: CREATE_CONCURRENCY });
    const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `apps-${String(i).padStart(2, '0')}`);
    for (const name of namespaces) await post(env, agent, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    // The stale pods: spread over the run, their proxies still trust another anchor.
    const staleIndex = new Set(Array.from({ length: STALE }, (_, k) => Math.floor(((k + 0.5) * PODS) / STALE)));
    const expectedStale = new Set<string>();
    const t1 = performance.now();
    let next = 0;
    let bytes = 0;
    const worker = async (): Promise<void> => {
      while (next < PODS) {
        const i = next++;
        const ns = namespaces[i % NAMESPACES]!;
        const pod = meshedPod(ns, i, staleIndex.has(i) ? other.pem : chain.anchor.pem);
        const name = (pod.metadata as { name: string }).name;
        if (staleIndex.has(i)) expectedStale.add(`${ns}/${name}`);
        bytes += JSON.stringify(pod).length;
        await post(env!, agent, `/api/v1/namespaces/${ns}/pods`, pod);
      }
    };
    await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
    agent.destroy();
    process.stdout.write(`${PODS} meshed pods (${(bytes / PODS / 1024).toFixed(1)} KiB of JSON each as sent, ${STALE} with a stale anchor) in ${NAMESPACES} namespaces created in ${((performance.now() - t1) / 1000).toFixed(1)} s\n`);

    const kc = env.cluster.kubeconfigFile;
    // 15,000 creates leave the API server and etcd busy for a while (compaction, caches): measure the
    // check, not that churn
    const settled = await settle();
    process.stdout.write(`machine settled in ${(settled.ms / 1000).toFixed(1)} s (${(settled.busy * 100).toFixed(0)}% of the CPUs busy)\n`);
    runCheck(kc); // warm-up: the API server's own caches, the OS file cache
    const runs = Array.from({ length: RUNS }, () => runCheck(kc));
    const last = runs[runs.length - 1]!;
    let reported: string[] = [];
    try {
      const json = JSON.parse(last.stdout) as { categories: Array<{ categoryName: string; checks: Array<{ error?: string }> }> };
      const dp = json.categories.find((c) => c.categoryName === 'linkerd-identity-data-plane');
      reported = [...(dp?.checks[0]?.error ?? '').matchAll(/^\t\* (.+)$/gm)].map((m) => m[1]!);
    } catch {
      throw new Error(`check --proxy printed no JSON report (exit ${last.status})`);
    }
    if (last.status !== 0) process.stdout.write(`check --proxy exited ${last.status}: ${last.stdout.slice(0, 600).replace(/\s+/g, ' ')}\n`);
    const right = reported.length === expectedStale.size && reported.every((p) => expectedStale.has(p));
    const ms = median(runs.map((r) => r.ms));
    const rss = Math.max(...runs.map((r) => r.rssMb));
    process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${RUNS} runs after a warm-up: ${runs.map((r) => `${r.ms.toFixed(0)} ms / ${r.rssMb.toFixed(0)} MB (exit ${r.status})`).join(', ')}\n`);
    process.stdout.write(`stale pods reported: ${reported.length} of ${expectedStale.size} expected (${right ? 'exactly those' : 'WRONG'})\n`);
    goal(LABEL, `${(ms / 1000).toFixed(2)} s (median of ${RUNS} whole CLI runs), peak RSS ${rss.toFixed(0)} MB`, `< ${GOAL_MS / 1000} s`, ms < GOAL_MS && right);
    if (process.env.LCG_BENCH_HOLD) {
      process.stdout.write(`holding the cluster (LCG_BENCH_HOLD): --kubeconfig ${kc}; interrupt to stop\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    await stopAll(env?.dir);
  }
}
