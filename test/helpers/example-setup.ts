/**
 * Writes a fresh, healthy example Linkerd identity setup (keys generated now, nothing committed) as
 * `kubectl get -o yaml`-style files, for the README quick start and for tests:
 *
 *   node dist/test/helpers/example-setup.js /tmp/lcg-example
 *   node dist/bin/main.js check --from /tmp/lcg-example
 *
 * Files: namespace.yaml, issuer-secret.yaml (kubernetes.io/tls: ca.crt, tls.crt, tls.key),
 * trust-roots.yaml (ConfigMap linkerd-identity-trust-roots), linkerd-config.yaml, anchor-secret.yaml
 * (public tls.crt only), cert-manager.yaml (Certificates, Issuer, Bundle, as a `kind: List` with status).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { keyPem, makeLinkerdChain, type LinkerdChain } from './pki.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface ExampleOptions {
  /** `kubernetes.io/tls` (cert-manager, default) or `linkerd.io/tls` (crt.pem/key.pem + identityTrustAnchorsPEM) */
  scheme?: 'kubernetes.io/tls' | 'linkerd.io/tls';
  linkerdNamespace?: string;
  trustNamespace?: string;
}

/** The example objects, by file name. */
export function exampleObjects(chain: LinkerdChain, o: ExampleOptions = {}): Record<string, object> {
  const ns = o.linkerdNamespace ?? 'linkerd';
  const trustNs = o.trustNamespace ?? 'cert-manager';
  const scheme = o.scheme ?? 'kubernetes.io/tls';
  const { anchor, issuer } = chain;
  const issuerKey = keyPem(issuer.key, 'sec1');
  const secretData = scheme === 'kubernetes.io/tls'
    ? { 'ca.crt': b64(anchor.pem), 'tls.crt': b64(issuer.pem), 'tls.key': b64(issuerKey) }
    : { 'crt.pem': b64(issuer.pem), 'key.pem': b64(issuerKey) };
  const values = stringify({ identity: { issuer: { scheme } }, identityTrustAnchorsPEM: anchor.pem });
  const ready = (extra: object = {}) => ({ conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }], ...extra });
  const issuerRenewal = new Date(issuer.notBefore.getTime() + (issuer.notAfter.getTime() - issuer.notBefore.getTime()) * (2 / 3));
  const anchorRenewal = new Date(anchor.notAfter.getTime() - 60 * 86400_000);
  return {
    'namespace.yaml': { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'linkerd.io/is-control-plane': 'true' } } },
    'issuer-secret.yaml': { apiVersion: 'v1', kind: 'Secret', type: scheme === 'kubernetes.io/tls' ? 'kubernetes.io/tls' : 'Opaque', metadata: { name: 'linkerd-identity-issuer', namespace: ns }, data: secretData },
    'trust-roots.yaml': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-identity-trust-roots', namespace: ns }, data: { 'ca-bundle.crt': anchor.pem } },
    'linkerd-config.yaml': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-config', namespace: ns }, data: { values } },
    'anchor-secret.yaml': { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'linkerd-trust-anchor', namespace: trustNs }, data: { 'tls.crt': b64(anchor.pem) } },
    'cert-manager.yaml': {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'linkerd-trust-anchor', namespace: trustNs },
          spec: { commonName: anchor.cn, isCA: true, secretName: 'linkerd-trust-anchor', privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' }, issuerRef: { name: 'linkerd-self-signed-issuer', kind: 'ClusterIssuer', group: 'cert-manager.io' } },
          status: ready({ notAfter: rfc3339(anchor.notAfter), notBefore: rfc3339(anchor.notBefore), renewalTime: rfc3339(anchorRenewal) }),
        },
        {
          apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'linkerd-identity-issuer', namespace: ns },
          spec: { commonName: issuer.cn, dnsNames: [issuer.cn], isCA: true, secretName: 'linkerd-identity-issuer', privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' }, issuerRef: { name: 'linkerd-trust-anchor', kind: 'ClusterIssuer', group: 'cert-manager.io' } },
          status: ready({ notAfter: rfc3339(issuer.notAfter), notBefore: rfc3339(issuer.notBefore), renewalTime: rfc3339(issuerRenewal) }),
        },
        { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'linkerd-self-signed-issuer' }, spec: { selfSigned: {} }, status: ready() },
        { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'linkerd-trust-anchor' }, spec: { ca: { secretName: 'linkerd-trust-anchor' } }, status: ready() },
        {
          apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', metadata: { name: 'linkerd-identity-trust-roots' },
          spec: { sources: [{ secret: { name: 'linkerd-trust-anchor', key: 'tls.crt' } }], target: { configMap: { key: 'ca-bundle.crt' }, namespaceSelector: { matchLabels: { 'linkerd.io/is-control-plane': 'true' } } } },
          status: { conditions: [{ type: 'Synced', status: 'True', reason: 'Synced' }] },
        },
      ],
    },
  };
}

/** Generate a healthy chain and write the example files into `dir`; returns the paths written. */
export async function writeExampleSetup(dir: string, o: ExampleOptions = {}): Promise<string[]> {
  const chain = await makeLinkerdChain({
    ...(o.linkerdNamespace ? { linkerdNamespace: o.linkerdNamespace } : {}),
    issuer: { notAfter: new Date(Math.floor((Date.now() + 180 * 86400_000) / 1000) * 1000) },
  });
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, obj] of Object.entries(exampleObjects(chain, o))) {
    const path = join(dir, name);
    writeFileSync(path, stringify(obj), { mode: 0o600 });
    written.push(path);
  }
  return written;
}

// Run when executed directly: node dist/test/helpers/example-setup.js DIR
if ((process.argv[1] ?? '').endsWith('example-setup.js')) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node dist/test/helpers/example-setup.js DIR\n');
    process.exitCode = 2;
  } else {
    writeExampleSetup(dir).then(
      (files) => process.stdout.write(`wrote a healthy example setup (fresh keys) to ${dir}:\n${files.map((f) => `  ${f}`).join('\n')}\ncheck it: node dist/bin/main.js check --from ${dir}\n`),
      (e: unknown) => {
        process.stderr.write(`example-setup: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 2;
      },
    );
  }
}
