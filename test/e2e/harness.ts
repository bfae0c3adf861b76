/**
 * End-to-end harness: a real etcd + kube-apiserver on loopback, the real cert-manager controller
 * and trust-manager beside it (all built by test/e2e/provision.sh), the CRDs of those same
 * versions, our `serve` command, and the webhook configurations rendered from our own chart with
 * `helm template`.
 *
 * Every process runs in its own process group and is killed (group-wide) by `stopAll`, which
 * tests register with `t.teardown`; a process-exit hook kills whatever is still running if
 * the test process dies first. Certificates and keys are generated at test time with openssl
 * into a temporary directory that is removed at teardown.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { CRD_DIR, CRD_MISSING, toolsDir } from '../helpers/crd.js';

const run = promisify(execFile);

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export { CRD_DIR, CRD_MISSING, toolsDir };
export const CHART_DIR = join(REPO_ROOT, 'charts', 'linkerd-cert-guard');
/** The CLI as it ships: the bundle `npm run build` writes (package.json `bin`). */
export const CLI_MAIN = join(REPO_ROOT, 'dist', 'bin', 'main.js');

// ---------------------------------------------------------------------------------------------
// Tools

export interface Tools {
  helm: string;
  etcd: string;
  kubeApiserver: string;
  certManagerController: string;
  trustManager: string;
  kubeControllerManager: string;
}

/** The binary names provision.sh links into bin/, by Tools key. */
const TOOL_BINARIES: Record<keyof Tools, string> = {
  helm: 'helm',
  etcd: 'etcd',
  kubeApiserver: 'kube-apiserver',
  certManagerController: 'cert-manager-controller',
  trustManager: 'trust-manager',
  kubeControllerManager: 'kube-controller-manager',
};

/** The provisioned tools, or the names of those missing (bin/ symlinks written by provision.sh). */
export function findTools(): { tools: Tools; missing: [] } | { tools: null; missing: string[] } {
  const paths = toolPaths();
  const missing = (Object.keys(TOOL_BINARIES) as Array<keyof Tools>).filter((k) => !existsSync(paths[k])).map((k) => TOOL_BINARIES[k]);
  return missing.length === 0 ? { tools: paths, missing: [] } : { tools: null, missing };
}

/** Where provision.sh links each tool, present or not. */
function toolPaths(): Tools {
  const bin = join(toolsDir(), 'bin');
  return Object.fromEntries(Object.entries(TOOL_BINARIES).map(([key, name]) => [key, join(bin, name)])) as unknown as Tools;
}

/**
 * The tools when this tier can run; otherwise null, after failing the file when CI is set (CI must
 * run every tier) or planning nothing with one line saying why and how to enable it.
 */
export function enterTier(
  t: { fail(message: string): unknown; plan(n: number, comment?: string): unknown },
  label: string,
  /** the tools this file runs (default: all); a file that starts no controller can run without them */
  needs: ReadonlyArray<keyof Tools> = Object.keys(TOOL_BINARIES) as Array<keyof Tools>,
): Tools | null {
  const found = findTools();
  const missing = found.missing.filter((name) => needs.some((k) => TOOL_BINARIES[k] === name));
  const reason = missing.length > 0
    ? `${missing.join(', ')} not found in ${toolsDir()}/bin; run \`bash test/e2e/provision.sh\` (needs Go) to enable it`
    : CRD_DIR === null ? CRD_MISSING
      : !existsSync(CLI_MAIN) ? `the compiled CLI is missing at ${CLI_MAIN}: run \`npm run build\`` : undefined;
  if (reason === undefined) return found.tools ?? toolPaths();
  if (process.env['CI']) t.fail(`${label} required (CI is set) but ${reason}`);
  else t.plan(0, `${label} skipped: ${reason}`);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** A child in its own process group, with its output kept for error messages. */
export class Proc {
  readonly child: ChildProcess;
  private output = '';
  private exited: Promise<number | null>;
  exitCode: number | null | undefined = undefined;

  constructor(readonly name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    const keep = (chunk: Buffer): void => {
      // Keep the tail only: enough to explain a failed start.
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolveExit) => {
      this.child.on('exit', (code) => {
        this.exitCode = code;
        resolveExit(code);
      });
      this.child.on('error', (e) => {
        this.output += `\nspawn error: ${e.message}`;
        this.exitCode = -1;
        resolveExit(-1);
      });
    });
    live.add(this);
    if (this.child.pid !== undefined) watch(`pid ${this.child.pid}`);
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  tail(lines = 30): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM the whole group, SIGKILL it if it is still there after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    live.delete(this);
    if (!this.running || this.child.pid === undefined) return;
    killGroup(this.child.pid, 'SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      killGroup(this.child.pid, 'SIGKILL');
      await this.exited;
    }
  }
}

const live = new Set<Proc>();

// A watchdog outlives a test process that dies without teardown (a tap timeout, SIGKILL):
// it polls the test process and, once it is gone, kills every process group and removes every
// directory listed in its state file. Normal teardown stops it after cleaning up itself.
const WATCHDOG_SOURCE = `
const fs = require('node:fs');
const [parent, stateFile] = process.argv.slice(1);
setInterval(() => {
  try { process.kill(Number(parent), 0); return; } catch {}
  let lines = [];
  try { lines = fs.readFileSync(stateFile, 'utf8').split('\\n'); } catch {}
  for (const l of lines) if (l.startsWith('pid ')) { try { process.kill(-Number(l.slice(4)), 'SIGKILL'); } catch {} }
  for (const l of lines) if (l.startsWith('dir ')) { try { fs.rmSync(l.slice(4), { recursive: true, force: true }); } catch {} }
  try { fs.rmSync(stateFile, { force: true }); } catch {}
  process.exit(0);
}, 500);
`;
let watchdog: { child: ChildProcess; stateFile: string } | undefined;

function watch(entry: `pid ${number}` | `dir ${string}`): void {
  if (!watchdog) {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'lcg-e2e-watchdog-')), 'state');
    writeFileSync(stateFile, `dir ${dirname(stateFile)}\n`);
    const child = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, String(process.pid), stateFile], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env['PATH'] ?? '' },
    });
    child.unref();
    watchdog = { child, stateFile };
  }
  appendFileSync(watchdog.stateFile, `${entry}\n`);
}

function stopWatchdog(): void {
  if (!watchdog) return;
  watchdog.child.kill('SIGKILL');
  rmSync(dirname(watchdog.stateFile), { recursive: true, force: true });
  watchdog = undefined;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

// When the test process exits without running teardown (an uncaught error); a death by
// signal is the watchdog's job.
process.on('exit', () => {
  for (const p of live) if (p.child.pid !== undefined) killGroup(p.child.pid, 'SIGKILL');
});

/** `n` distinct free loopback ports (all held open together, so none is handed out twice). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<Server>((resolveServer, reject) => {
        const srv = createServer();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => resolveServer(srv));
      }),
    ),
  );
  const ports = servers.map((srv) => {
    const addr = srv.address();
    return typeof addr === 'object' && addr !== null ? addr.port : 0;
  });
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  return ports;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port ?? 0;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Poll `probe` until it returns true; fail when the deadline passes or `proc` (or one of `procs`) died. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; proc?: Proc; procs?: Proc[] } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const watched = [...(opts.proc ? [opts.proc] : []), ...(opts.procs ?? [])];
  let lastError = '';
  for (;;) {
    const dead = watched.find((p) => !p.running);
    if (dead) {
      throw new Error(`${dead.name} exited (${String(dead.exitCode)}) while waiting for ${what}:\n${dead.tail()}`);
    }
    try {
      if (await probe()) return;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}${opts.proc ? `\n${opts.proc.tail()}` : ''}`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
}

// ---------------------------------------------------------------------------------------------
// PKI (openssl, generated at test time)

export interface ServingCert {
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  dir: string;
  caFile: string;
  caPem: string;
  /** serving certificate for 127.0.0.1 / localhost, signed by the test CA */
  serving(name: string): Promise<ServingCert>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0] ?? ''} failed: ${(err.stderr ?? err.message).trim().split('\n')[0] ?? ''}`);
  }
}

export async function makePki(dir: string): Promise<TestPki> {
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  await openssl(
    ['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=linkerd-cert-guard-e2e-ca', '-out', 'ca.crt',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  const caFile = join(dir, 'ca.crt');
  return {
    dir,
    caFile,
    caPem: readFileSync(caFile, 'utf8'),
    async serving(name: string): Promise<ServingCert> {
      const ext = join(dir, `${name}.ext`);
      writeFileSync(
        ext,
        'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' +
          'subjectAltName=IP:127.0.0.1,DNS:localhost\n',
      );
      await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
      await openssl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`], dir);
      await openssl(
        ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256',
          '-extfile', ext, '-out', `${name}.crt`],
        dir,
      );
      return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// etcd + kube-apiserver

export interface Cluster {
  dir: string;
  pki: TestPki;
  server: string;
  token: string;
  kubeconfigFile: string;
  kc: k8s.KubeConfig;
  etcd: Proc;
  apiserver: Proc;
}

const ADMIN_TOKEN_USER = 'e2e-admin';

export async function startCluster(tools: Tools, dir: string): Promise<Cluster> {
  const pki = await makePki(dir);
  const apiCert = await pki.serving('kube-apiserver');
  await openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  await openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  const token = randomToken();
  // system:masters: the admin group RBAC always allows.
  writeFileSync(join(dir, 'tokens.csv'), `${token},${ADMIN_TOKEN_USER},${ADMIN_TOKEN_USER},"system:masters"\n`, { mode: 0o600 });

  const [etcdClient, etcdPeer, apiPort] = (await freePorts(3)) as [number, number, number];
  const etcd = new Proc('etcd', tools.etcd, [
    '--name=e2e',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ]);
  await waitFor(
    'etcd health',
    async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok,
    { proc: etcd, timeoutMs: 30_000 },
  );

  const apiserver = new Proc('kube-apiserver', tools.kubeApiserver, [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--tls-cert-file=${apiCert.certFile}`,
    `--tls-private-key-file=${apiCert.keyFile}`,
    `--client-ca-file=${pki.caFile}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--service-cluster-ip-range=10.96.0.0/24',
    // No controller-manager runs, so no `default` ServiceAccount appears: let pods in without one.
    '--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
    '--disable-admission-plugins=ServiceAccount',
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    '--profiling=false',
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    '--v=0',
  ]);
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority-data': Buffer.from(pki.caPem).toString('base64') } }],
    users: [{ name: ADMIN_TOKEN_USER, user: { token } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: ADMIN_TOKEN_USER } }],
    'current-context': 'e2e',
  };
  const kubeconfigFile = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigFile, JSON.stringify(kubeconfig, null, 2), { mode: 0o600 });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigFile);

  await waitFor(
    'kube-apiserver /readyz',
    async () => {
      const res = await apiFetch({ server, token, caPem: pki.caPem }, '/readyz');
      return res.status === 200;
    },
    { proc: apiserver, timeoutMs: 90_000, intervalMs: 300 },
  );
  return { dir, pki, server, token, kubeconfigFile, kc, etcd, apiserver };
}

function randomToken(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(24))).toString('hex');
}

/** A raw HTTPS request to the API server (for endpoints the typed clients do not cover). */
export async function apiFetch(
  c: { server: string; token: string; caPem: string },
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolveRes, reject) => {
    const req = request(
      `${c.server}${path}`,
      { ca: c.caPem, headers: { authorization: `Bearer ${c.token}` }, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolveRes({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout on ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** The API server's Status message from a client error (its body is the Status JSON). */
export function messageOf(e: unknown): string {
  const body = (e as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return String((JSON.parse(body) as { message?: unknown }).message ?? body);
    } catch {
      return body;
    }
  }
  return String(e);
}

/** `Warning: 299 - "text", 299 - "text"` (fetch joins repeated headers with ", "). */
export function parseWarnings(header: string | undefined): string[] {
  if (!header) return [];
  return [...header.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));
}

// ---------------------------------------------------------------------------------------------
// CRDs

export async function installCrds(cluster: Cluster, crdDir: string | null = CRD_DIR): Promise<string[]> {
  if (crdDir === null) throw new Error(CRD_MISSING);
  const dir = crdDir;
  const ext = cluster.kc.makeApiClient(k8s.ApiextensionsV1Api);
  const names: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as k8s.V1CustomResourceDefinition | null;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      await ext.createCustomResourceDefinition({ body: crd });
      names.push(crd.metadata?.name ?? '');
    }
  }
  await waitFor(
    `CRDs Established (${names.join(', ')})`,
    async () => {
      for (const name of names) {
        const crd = await ext.readCustomResourceDefinition({ name });
        const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
        if (!established) return false;
      }
      return true;
    },
    { timeoutMs: 30_000, proc: cluster.apiserver },
  );
  return names;
}

// ---------------------------------------------------------------------------------------------
// The webhook (`linkerd-cert-guard serve`)

export interface Webhook {
  proc: Proc;
  url: string;
  metricsUrl: string;
  /** how a client verifies the serving certificate */
  tls: { ca: string; servername?: string };
}

export async function startServe(
  cluster: Cluster,
  opts: {
    mode?: 'enforce' | 'repair' | 'audit';
    configFile?: string;
    port?: number;
    metricsPort?: number;
    /** serve the certificate projected here (`--tls-dir`) instead of one from the test CA */
    tlsDir?: { dir: string; ca: string; servername: string };
    /**
     * The informer cache reads the cluster with this kubeconfig (default: the admin's, as the chart
     * runs it); false runs `--no-cache` (objects judged alone). Start-up waits for /readyz, so for
     * the cache's first sync.
     */
    cache?: { kubeconfigFile?: string } | false;
    /** return once it listens (/healthz) instead of once it is ready (/readyz) */
    listeningOnly?: boolean;
  } = {},
): Promise<Webhook> {
  const [freeA, freeB] = (await freePorts(2)) as [number, number];
  const port = opts.port ?? freeA;
  const metricsPort = opts.metricsPort ?? freeB;
  let tlsArgs: string[];
  let tls: Webhook['tls'];
  if (opts.tlsDir) {
    tlsArgs = ['--tls-dir', opts.tlsDir.dir];
    tls = { ca: opts.tlsDir.ca, servername: opts.tlsDir.servername };
  } else {
    const cert = await cluster.pki.serving('webhook');
    tlsArgs = ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile];
    tls = { ca: cluster.pki.caPem };
  }
  const args = [
    CLI_MAIN,
    'serve',
    '--listen', `127.0.0.1:${port}`,
    ...tlsArgs,
    '--mode', opts.mode ?? 'enforce',
    '--metrics-listen', `127.0.0.1:${metricsPort}`,
  ];
  if (opts.configFile) args.push('--config', opts.configFile);
  if (opts.cache === false) args.push('--no-cache');
  else args.push('--kubeconfig', opts.cache?.kubeconfigFile ?? cluster.kubeconfigFile);
  const proc = new Proc('serve', process.execPath, args);
  const url = `https://127.0.0.1:${port}`;
  const probe = opts.listeningOnly ? '/healthz' : '/readyz';
  await waitFor(
    `serve ${probe}`,
    () =>
      new Promise<boolean>((ok, fail) => {
        const req = request(`${url}${probe}`, { ca: tls.ca, servername: tls.servername, timeout: 2000 }, (res) => {
          res.resume();
          ok(res.statusCode === 200);
        });
        req.on('error', fail);
        req.end();
      }),
    { proc, timeoutMs: 30_000 },
  );
  return { proc, url, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, tls };
}

/** The serving certificate `serve` presents now (DER), read off a fresh TLS connection. */
export async function servedCertificate(webhook: Webhook): Promise<Buffer> {
  const { connect } = await import('node:tls');
  const u = new URL(webhook.url);
  return new Promise((resolveCert, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), ca: webhook.tls.ca, servername: webhook.tls.servername }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolveCert(raw);
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

/** Sum of a Prometheus counter's samples whose labels include every `labels` pair. */
export async function metricSum(webhook: Webhook, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(webhook.metricsUrl)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labelText = m[3] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) sum += Number(m[4]);
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Webhook configurations rendered from the chart

export interface RenderedWebhooks {
  mutating: k8s.V1MutatingWebhookConfiguration[];
  validating: k8s.V1ValidatingWebhookConfiguration[];
}

/**
 * `helm template` our chart with a URL client config pointing at `webhookUrl` and the test CA
 * as caBundle, keeping only the webhook configurations.
 */
export async function renderWebhooks(tools: Tools, webhookUrl: string, caPem: string, extraSet: string[] = []): Promise<RenderedWebhooks> {
  if (!existsSync(join(CHART_DIR, 'Chart.yaml'))) throw new Error(`chart not found at ${CHART_DIR}`);
  const args = [
    'template', 'linkerd-cert-guard', CHART_DIR,
    '--namespace', 'linkerd-cert-guard',
    '--set', `webhook.url=${webhookUrl}`,
    '--set', `webhook.caBundle=${Buffer.from(caPem).toString('base64')}`,
    ...extraSet.flatMap((s) => ['--set', s]),
  ];
  let stdout: string;
  try {
    ({ stdout } = await run(tools.helm, args, { maxBuffer: 16 * 1024 * 1024 }));
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`helm template failed: ${(err.stderr ?? err.message).trim()}`);
  }
  const rendered: RenderedWebhooks = { mutating: [], validating: [] };
  for (const doc of parseAllDocuments(stdout)) {
    const obj = doc.toJS() as { kind?: string } | null;
    if (obj?.kind === 'MutatingWebhookConfiguration') rendered.mutating.push(obj as k8s.V1MutatingWebhookConfiguration);
    if (obj?.kind === 'ValidatingWebhookConfiguration') rendered.validating.push(obj as k8s.V1ValidatingWebhookConfiguration);
  }
  return rendered;
}

export async function registerWebhooks(cluster: Cluster, rendered: RenderedWebhooks): Promise<void> {
  const api = cluster.kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  for (const body of rendered.mutating) await api.createMutatingWebhookConfiguration({ body });
  for (const body of rendered.validating) await api.createValidatingWebhookConfiguration({ body });
}

// ---------------------------------------------------------------------------------------------
// cert-manager's controller and trust-manager, out of cluster against the test API server

export interface Controllers {
  certManager: Proc;
  trustManager: Proc;
}

/** `proc` once `ready` says so; else it is stopped and the tier fails with one line saying why. */
async function started(proc: Proc, what: string, ready: () => Promise<boolean>, failure: string): Promise<Proc> {
  try {
    await waitFor(what, ready, { proc, timeoutMs: 60_000, intervalMs: 250 });
  } catch {
    await proc.stop(500);
    throw startFailure(proc, failure);
  }
  return proc;
}

/** One line for a controller that did not come up: its exit and the last thing it logged. */
function startFailure(proc: Proc, what: string): Error {
  const lines = proc.tail(60).split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const line = lines.find((l) => /error|fail|panic|not defined|refused|denied/i.test(l)) ?? lines[lines.length - 1] ?? '(no output)';
  return new Error(`${proc.name} did not start (${what}; exit ${String(proc.exitCode ?? 'none')}): ${line.slice(0, 400)}`);
}

/**
 * cert-manager's controller (issuers, clusterissuers, certificates-*, the approver and the CA and
 * selfSigned request issuers) with cluster resource namespace `cert-manager`, no leader election.
 * Started once its informers have listed: it logs one "starting controller" line per controller.
 */
export async function startCertManager(cluster: Cluster, tools: Tools): Promise<Proc> {
  const proc = new Proc('cert-manager', tools.certManagerController, [
    `--kubeconfig=${cluster.kubeconfigFile}`,
    '--cluster-resource-namespace=cert-manager',
  ]);
  return started(proc, 'cert-manager to start its controllers', async () => (proc.tail(400).match(/starting controller/g) ?? []).length >= 11,
    'its 11 controllers did not start within 60 s');
}

/**
 * trust-manager with trust namespace `cert-manager`, no leader election. Its own validating webhook
 * is served (on loopback, with a certificate from the test CA) but not registered, as trust-manager
 * validates Bundles only where its chart installs that configuration. Ready once /readyz says so.
 */
export async function startTrustManager(cluster: Cluster, tools: Tools): Promise<Proc> {
  const certDir = join(cluster.dir, 'trust-manager-tls');
  mkdirSync(certDir, { recursive: true });
  const serving = await cluster.pki.serving('trust-manager');
  writeFileSync(join(certDir, 'tls.crt'), readFileSync(serving.certFile));
  writeFileSync(join(certDir, 'tls.key'), readFileSync(serving.keyFile), { mode: 0o600 });
  const [readyPort, metricsPort, webhookPort] = (await freePorts(3)) as [number, number, number];
  const proc = new Proc('trust-manager', tools.trustManager, [
    `--kubeconfig=${cluster.kubeconfigFile}`,
    '--trust-namespace=cert-manager',
    '--leader-elect=false',
    `--readiness-probe-port=${readyPort}`,
    `--metrics-port=${metricsPort}`,
    '--webhook-host=127.0.0.1',
    `--webhook-port=${webhookPort}`,
    `--webhook-certificate-dir=${certDir}`,
    '--log-level=2',
  ]);
  return started(proc, 'trust-manager /readyz', async () => (await fetch(`http://127.0.0.1:${readyPort}/readyz`)).ok,
    '/readyz did not answer 200 within 60 s');
}

/**
 * kube-controller-manager with the controllers a rollout needs: Deployments become ReplicaSets and
 * Pods, and the garbage collector deletes what a deleted owner owned. No HTTPS serving, no leader election.
 */
export async function startControllerManager(cluster: Cluster, tools: Tools): Promise<Proc> {
  const proc = new Proc('kube-controller-manager', tools.kubeControllerManager, [
    `--kubeconfig=${cluster.kubeconfigFile}`,
    '--controllers=deployment,replicaset,garbagecollector',
    '--leader-elect=false',
    '--use-service-account-credentials=false',
    '--secure-port=0',
    '--concurrent-deployment-syncs=5',
    '--v=1',
  ]);
  return started(proc, 'kube-controller-manager to start its controllers', async () => /Started controller|controller="deployment"|Starting controller/i.test(proc.tail(400)),
    'its controllers did not start within 60 s');
}

export async function startControllers(cluster: Cluster, tools: Tools): Promise<Controllers> {
  const [certManager, trustManager] = await Promise.all([startCertManager(cluster, tools), startTrustManager(cluster, tools)]);
  return { certManager, trustManager };
}

// ---------------------------------------------------------------------------------------------
// Stand-in for the kubelet's Secret volume

/**
 * Writes a Secret's data into `dir` the way the kubelet's atomic writer does: the files in a fresh
 * timestamped directory, `..data` swapped to it with a rename, and one symlink per key through
 * `..data`. The old timestamped directory is removed after the swap. This is all of the kubelet
 * we need: `serve --tls-dir` watches exactly this layout.
 */
export function projectSecret(dir: string, data: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${Math.random().toString(36).slice(2, 8)}`;
  const fresh = join(dir, stamp);
  mkdirSync(fresh, { mode: 0o755 });
  for (const [key, base64] of Object.entries(data)) writeFileSync(join(fresh, key), Buffer.from(base64, 'base64'), { mode: 0o644 });
  const previous = existsSync(join(dir, '..data')) ? readdirSync(dir).filter((e) => e.startsWith('..') && e !== '..data' && e !== stamp && !e.endsWith('_tmp')) : [];
  const tmpLink = join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, join(dir, '..data'));
  for (const key of Object.keys(data)) {
    if (!existsSync(join(dir, key))) symlinkSync(join('..data', key), join(dir, key));
  }
  for (const old of previous) rmSync(join(dir, old), { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

export interface Env {
  tools: Tools;
  dir: string;
  cluster: Cluster;
}

/** Temp dir + cluster; `stopAll` (register it with t.teardown) kills every process and removes the dir. */
export async function startEnv(tools: Tools): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-e2e-'));
  watch(`dir ${dir}`);
  try {
    const cluster = await startCluster(tools, dir);
    return { tools, dir, cluster };
  } catch (e) {
    await stopAll(dir);
    throw e;
  }
}

export async function stopAll(dir?: string): Promise<void> {
  // Webhook and controllers first, then the API server, then etcd: each depends on the next.
  const order = ['serve', 'linkerd-cert-guard rotate', 'kube-controller-manager', 'cert-manager', 'trust-manager', 'kube-apiserver', 'etcd'];
  const procs = [...live].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  for (const p of procs) await p.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  stopWatchdog();
}
