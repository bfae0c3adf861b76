/**
 * Shared by the webhook tests and the benchmark: serving certificates made at test time,
 * a Secret volume laid out as the kubelet does it, AdmissionReviews built from the seeds'
 * objects, and an HTTPS client that trusts the test certificate.
 */
import { mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { keyPem, makeKeyPair, selfSigned } from '../helpers/pki.js';
import type { K8sObject } from '../../checks/rules/types.js';
import type { AdmissionReview, Operation } from '../../webhook/review.js';

const here = dirname(fileURLToPath(import.meta.url));
// From test/webhook or dist/test/webhook alike: the first ancestor holding package.json.
export const REPO_ROOT = ((): string => {
  let dir = here;
  for (let i = 0; i < 5; i++) {
    try {
      readFileSync(join(dir, 'package.json'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  return resolve(here, '..', '..');
})();
export const SEEDS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'seeds');
export { crdDir } from '../helpers/crd.js';

export interface ServingFiles {
  certPem: string;
  keyPem: string;
  cn: string;
}

/** A fresh P-256 serving certificate for `localhost`. */
export async function makeServingCert(cn = 'linkerd-cert-guard.test'): Promise<ServingFiles> {
  const key = await makeKeyPair('P-256');
  const cert = await selfSigned(key, { cn, dnsNames: ['localhost'], extKeyUsage: ['serverAuth'], keyUsage: ['digitalSignature'] });
  return { certPem: cert.pem, keyPem: keyPem(key, 'pkcs8'), cn };
}

let generation = 0;

/**
 * Lay out `dir` as the kubelet mounts a Secret volume:
 * `tls.crt -> ..data/tls.crt`, `..data -> ..<timestamp>/`, the files inside `..<timestamp>/`.
 */
export function writeSecretVolume(dir: string, files: { 'tls.crt': string; 'tls.key': string }): void {
  mkdirSync(dir, { recursive: true });
  const ts = writeTimestampDir(dir, files);
  symlinkSync(ts, join(dir, '..data'));
  for (const name of ['tls.crt', 'tls.key']) symlinkSync(join('..data', name), join(dir, name));
}

/** The kubelet's atomic update: new timestamped dir, `..data_tmp` symlink, rename over `..data`, old dir removed. */
export function swapSecretVolume(dir: string, files: { 'tls.crt': string; 'tls.key': string }): void {
  const old = readlinkSafe(join(dir, '..data'));
  const ts = writeTimestampDir(dir, files);
  symlinkSync(ts, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  if (old) rmSync(join(dir, old), { recursive: true, force: true });
}

function writeTimestampDir(dir: string, files: Record<string, string>): string {
  const ts = `..2026_11_22_08_00_00.${process.pid}_${++generation}`;
  mkdirSync(join(dir, ts));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, ts, name), content, { mode: 0o600 });
  return ts;
}

function readlinkSafe(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** Every document of a seed fixture, parsed. */
export function seedObjects(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(join(SEEDS_DIR, file), 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((o): o is K8sObject => typeof o === 'object' && o !== null);
}

/** The seed's object of that kind and name (throws if the fixture lacks it). */
export function seedObject(file: string, kind: string, name: string): K8sObject {
  const found = seedObjects(file).find((o) => o.kind === kind && (o.metadata as { name?: string } | undefined)?.name === name);
  if (!found) throw new Error(`${file} has no ${kind} ${name}`);
  return found;
}

const GROUPS: Record<string, string> = { Certificate: 'cert-manager.io', Bundle: 'trust.cert-manager.io', ClusterBundle: 'trust-manager.io' };

let uidCounter = 0;

export interface ReviewOptions {
  operation?: Operation;
  oldObject?: K8sObject | null;
  dryRun?: boolean;
  uid?: string;
}

/** An AdmissionReview as the API server sends it for `object`. */
export function reviewOf(object: K8sObject | null, o: ReviewOptions = {}): AdmissionReview {
  const operation = o.operation ?? 'CREATE';
  const subject = object ?? o.oldObject ?? {};
  const kind = String(subject.kind ?? 'Certificate');
  const [group, version] = String(subject.apiVersion ?? 'cert-manager.io/v1').split('/') as [string, string];
  const meta = (subject.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: o.uid ?? `00000000-0000-4000-8000-${String(++uidCounter).padStart(12, '0')}`,
      kind: { group: GROUPS[kind] ?? group, version: version ?? 'v1', kind },
      resource: { group: GROUPS[kind] ?? group, version: version ?? 'v1', resource: `${kind.toLowerCase()}s` },
      ...(meta.name ? { name: meta.name } : {}),
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      operation,
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      object: operation === 'DELETE' ? null : object,
      oldObject: operation === 'CREATE' ? null : (o.oldObject ?? null),
      dryRun: o.dryRun ?? false,
    },
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
  /** SHA-256 fingerprint of the certificate the server presented on this connection */
  peerFingerprint: string;
}

/** POST (or GET) to the webhook, trusting only the test certificate, host name `localhost`. */
export function call(
  port: number,
  path: string,
  o: { body?: string | Buffer; method?: string; ca: string | string[]; agent?: Agent; headers?: Record<string, string> },
): Promise<HttpResult> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: o.method ?? (o.body === undefined ? 'GET' : 'POST'),
        servername: 'localhost',
        ca: o.ca,
        agent: o.agent ?? false,
        headers: { 'content-type': 'application/json', ...o.headers },
      },
      (res) => {
        const peerFingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text, json, peerFingerprint });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Poll `probe` every 10 ms until it holds; throw naming `what` after `timeoutMs`. */
export async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
