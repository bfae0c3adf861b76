/**
 * Helpers for the end-to-end tests that run `check` the way the linkerd CLI does and over several
 * clusters: the identity objects written straight into a cluster (Secrets and ConfigMaps holding keys
 * generated at test time with test/helpers/pki.ts, as cert-manager and trust-manager would leave
 * them), one kubeconfig with a context per cluster, the compiled CLI as a subprocess, and stdout read
 * as Linkerd's parseJSONCheckOutput reads an extension's output.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { keyPem, type TestCert } from '../helpers/pki.js';
import { CLI_MAIN, type Cluster } from './harness.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** What one cluster holds: the issuer (and its key), the anchor Secret, and the bundle ConfigMap. */
export interface IdentityObjects {
  issuer: TestCert;
  /** the anchor that ca.crt and linkerd-config name (the current anchor) */
  anchor: TestCert;
  /** the certificates of linkerd-identity-trust-roots ca-bundle.crt */
  bundle: TestCert[];
}

async function upsert(api: k8s.KubernetesObjectApi, body: k8s.KubernetesObject): Promise<void> {
  try {
    await api.create(body);
  } catch (e) {
    if (!(e instanceof k8s.ApiException && e.code === 409)) throw e;
    await api.replace(body);
  }
}

export async function writeIdentity(cluster: Cluster, o: IdentityObjects): Promise<void> {
  const api = k8s.KubernetesObjectApi.makeApiClient(cluster.kc);
  for (const name of ['linkerd', 'cert-manager']) {
    await upsert(api, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: name === 'linkerd' ? { 'linkerd.io/is-control-plane': 'true' } : {} } });
  }
  const objects: Array<k8s.KubernetesObject & Record<string, unknown>> = [
    {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'linkerd-identity-issuer', namespace: 'linkerd' },
      data: { 'ca.crt': b64(o.anchor.pem), 'tls.crt': b64(o.issuer.pem), 'tls.key': b64(keyPem(o.issuer.key, 'sec1')) },
    },
    {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-config', namespace: 'linkerd' },
      data: { values: `identity:\n  issuer:\n    scheme: kubernetes.io/tls\nidentityTrustAnchorsPEM: |\n${o.anchor.pem.trim().split('\n').map((l) => `  ${l}`).join('\n')}\n` },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-identity-trust-roots', namespace: 'linkerd' }, data: { 'ca-bundle.crt': o.bundle.map((c) => c.pem.trim()).join('\n') } },
    { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'linkerd-trust-anchor', namespace: 'cert-manager' }, data: { 'tls.crt': b64(o.anchor.pem) } },
  ];
  for (const obj of objects) await upsert(api, obj);
}

/** One kubeconfig with a context (and cluster and user) per named cluster. */
export function mergedKubeconfig(file: string, clusters: Record<string, Cluster>): string {
  const entries = Object.entries(clusters);
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: entries.map(([name, c]) => ({ name, cluster: { server: c.server, 'certificate-authority-data': b64(c.pki.caPem) } })),
    users: entries.map(([name, c]) => ({ name, user: { token: c.token } })),
    contexts: entries.map(([name]) => ({ name, context: { cluster: name, user: name } })),
    'current-context': entries[0]?.[0] ?? '',
  };
  writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
  return file;
}

export function kubeconfigIn(dir: string, clusters: Record<string, Cluster>): string {
  return mergedKubeconfig(join(dir, 'kubeconfig-merged'), clusters);
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The compiled CLI as a subprocess, as the linkerd CLI runs an extension (inherited environment). */
export function runCli(args: string[], timeoutMs = 120_000): Promise<CliRun> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_MAIN, ...args], { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

export interface LinkerdView {
  categories: Array<{ name: string; cluster?: string; checks: Array<{ description: string; id?: string; failed: boolean; warning: boolean; error: string }> }>;
  /** description: error of every check Linkerd would show as failed or warning */
  problems: string[];
}

/**
 * stdout as Linkerd's parseJSONCheckOutput reads it (pkg/healthcheck/healthcheck_output.go): exactly one
 * JSON object with categories[].checks[]; `success` and the exit code are ignored; a check is a failure
 * (or, with result "warning", a warning) only when its `error` is non-empty.
 */
export function parseLikeLinkerd(stdout: string): LinkerdView {
  const value: unknown = JSON.parse(stdout); // throws on a second document or trailing text
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('invalid extension check output (JSON object expected)');
  const cats = (value as { categories?: unknown }).categories;
  if (!Array.isArray(cats)) throw new Error('invalid extension check output: no categories');
  const categories = cats.map((c: { categoryName: string; cluster?: string; checks: Array<{ description: string; id?: string; error?: string; result: string }> }) => ({
    name: c.categoryName,
    ...(c.cluster !== undefined ? { cluster: c.cluster } : {}),
    checks: c.checks.map((k) => {
      const error = k.error ?? '';
      return { description: k.description, ...(k.id ? { id: k.id } : {}), failed: error !== '' && k.result !== 'warning', warning: error !== '' && k.result === 'warning', error };
    }),
  }));
  return { categories, problems: categories.flatMap((c) => c.checks.filter((k) => k.failed || k.warning).map((k) => `${c.cluster ? `[${c.cluster}] ` : ''}${k.description}: ${k.error}`)) };
}
