/**
 * Kubernetes objects (from YAML files or the live API) and PEM files become one IdentitySnapshot,
 * reading the issuer data exactly where Linkerd reads it (Linkerd's pkg/healthcheck):
 * - scheme `kubernetes.io/tls`: Secret keys ca.crt (anchors), tls.crt, tls.key, in that order;
 * - scheme `linkerd.io/tls` (or empty): crt.pem, key.pem, anchors from `identityTrustAnchorsPEM` in
 *   ConfigMap linkerd-config key `values`;
 * - the runtime bundle from ConfigMap linkerd-identity-trust-roots key ca-bundle.crt.
 */
import { CORE_SCHEMA, load } from 'js-yaml';
import type { Config } from '../config.js';
import type { IdentitySnapshot, PodInfo, Sourced } from '../identity/types.js';
import {
  at, arr, isBundle, isCertificate, isClusterBundle, isClusterIssuer, isIssuer, isNamespace, isRecord, kindOf, nameOf, namespaceOf, str,
} from '../rules/object.js';
import type { K8sObject } from '../rules/types.js';

export interface SnapshotInputs {
  config: Config;
  now: Date;
  mode: 'live' | 'files';
  objects: K8sObject[];
  /** PEM files given with flags; they take precedence over objects */
  issuerCert?: Sourced;
  issuerKey?: Sourced;
  trustAnchors?: Sourced;
  trustBundle?: Sourced;
  proxy: boolean;
  /** live mode: objects that were looked for and found missing, e.g. `secrets "linkerd-identity-issuer" not found` */
  notFound?: Record<string, string>;
  /** live mode: whether cert-manager's CRDs answered */
  certManagerAvailable?: boolean;
}

const EXTERNAL_SCHEME = 'kubernetes.io/tls';
const LINKERD_SCHEME = 'linkerd.io/tls';

/** Secret data, decoded (data is base64, stringData plain). */
export function secretData(o: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = at(o, 'data');
  if (isRecord(data)) for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  const sd = at(o, 'stringData');
  if (isRecord(sd)) for (const [k, v] of Object.entries(sd)) if (typeof v === 'string') out[k] = v;
  return out;
}

function configMapData(o: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = at(o, 'data');
  if (isRecord(data)) for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function findObject(objects: readonly K8sObject[], kind: string, name: string, namespace: string | undefined): K8sObject | undefined {
  // Manifests often omit metadata.namespace (kubectl -n decides); accept that for the names Linkerd reads.
  return objects.find((o) => kindOf(o) === kind && nameOf(o) === name && (namespace === undefined || namespaceOf(o) === undefined || namespaceOf(o) === namespace));
}

/** A pod of Linkerd's identity controller (the label Linkerd's chart gives it). */
export function isIdentityPod(o: K8sObject): boolean {
  return at(o, 'metadata', 'labels', 'linkerd.io/control-plane-component') === 'identity';
}

export function podInfo(o: K8sObject): PodInfo {
  const containers = [...arr(at(o, 'spec', 'containers')), ...arr(at(o, 'spec', 'initContainers'))].filter(isRecord);
  const trustAnchors: string[] = [];
  for (const c of containers) {
    if (c.name !== 'linkerd-proxy') continue;
    for (const e of arr(c.env).filter(isRecord)) {
      if (e.name === 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS' && typeof e.value === 'string') trustAnchors.push(e.value);
    }
  }
  const startTime = str(at(o, 'status', 'startTime'));
  const ready = arr(at(o, 'status', 'conditions')).filter(isRecord).some((c) => c.type === 'Ready' && c.status === 'True');
  const identity = isIdentityPod(o);
  return { namespace: namespaceOf(o) ?? 'default', name: nameOf(o) ?? '?', trustAnchors, ready, ...(startTime ? { startTime } : {}), ...(identity ? { identity } : {}) };
}

interface LinkerdValues {
  scheme?: string;
  anchors?: string;
  error?: string;
}

function linkerdValues(o: K8sObject | undefined): LinkerdValues {
  if (!o) return {};
  const text = configMapData(o).values;
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = load(text, { schema: CORE_SCHEMA });
  } catch (e) {
    return { error: `could not parse linkerd-config values: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  const values = isRecord(v) ? { ...v } : {};
  delete values.global;
  return { scheme: str(at(values, 'identity', 'issuer', 'scheme')), anchors: str(values.identityTrustAnchorsPEM) };
}

export function buildSnapshot(inp: SnapshotInputs): IdentitySnapshot {
  const { config: c, objects } = inp;
  const ns = c.linkerdNamespace;
  const secretName = c.issuerName;
  const secret = findObject(objects, 'Secret', secretName, ns);
  const lcm = findObject(objects, 'ConfigMap', 'linkerd-config', ns);
  const values = linkerdValues(lcm);
  const data = secret ? secretData(secret) : {};
  // Without linkerd-config the scheme follows the Secret's layout (as cert-manager writes it).
  const scheme = values.scheme ?? (lcm ? LINKERD_SCHEME : data['tls.crt'] !== undefined || data['ca.crt'] !== undefined ? EXTERNAL_SCHEME : LINKERD_SCHEME);
  const snap: IdentitySnapshot = { now: inp.now, config: c, mode: inp.mode, scheme, configErrors: [], anchorSecrets: [] };
  const from = (key: string) => `Secret ${ns}/${secretName} ${key}`;
  const usesFlags = inp.issuerCert !== undefined || inp.issuerKey !== undefined;

  if (!usesFlags) {
    if (values.error) snap.configErrors.push(values.error);
    if (!secret) {
      if (inp.mode === 'live') snap.configErrors.push(inp.notFound?.[`Secret/${secretName}`] ?? `secrets "${secretName}" not found`);
      else if (!inp.trustAnchors) snap.configErrors.push(`no issuer given: pass --issuer-cert and --issuer-key, or --from a file holding Secret ${ns}/${secretName}`);
      else snap.configErrors.push('no issuer certificate given (--issuer-cert, --issuer-key)');
    } else if (scheme === EXTERNAL_SCHEME) {
      const needs = (key: string, what: string) => `key ${key} containing the ${what} needs to exist in secret ${secretName} if --identity-external-issuer=true`;
      if (data['ca.crt'] === undefined) snap.configErrors.push(needs('ca.crt', 'trust anchors'));
      else if (data['tls.crt'] === undefined) snap.configErrors.push(needs('tls.crt', 'issuer certificate'));
      else if (data['tls.key'] === undefined) snap.configErrors.push(needs('tls.key', 'issuer private key'));
      if (data['tls.crt'] !== undefined) snap.issuerCert = { text: data['tls.crt'], from: from('tls.crt') };
      if (data['tls.key'] !== undefined) snap.issuerKey = { text: data['tls.key'], from: from('tls.key') };
      if (data['ca.crt'] !== undefined) snap.trustAnchors = { text: data['ca.crt'], from: from('ca.crt') };
    } else {
      // linkerd.io/tls; the `=true` on key.pem is Linkerd's own text, kept so messages match
      if (data['crt.pem'] === undefined) snap.configErrors.push(`key crt.pem containing the issuer certificate needs to exist in secret ${secretName} if --identity-external-issuer=false`);
      else if (data['key.pem'] === undefined) snap.configErrors.push(`key key.pem containing the issuer private key needs to exist in secret ${secretName} if --identity-external-issuer=true`);
      if (data['crt.pem'] !== undefined) snap.issuerCert = { text: data['crt.pem'], from: from('crt.pem') };
      if (data['key.pem'] !== undefined) snap.issuerKey = { text: data['key.pem'], from: from('key.pem') };
      if (values.anchors !== undefined) snap.trustAnchors = { text: values.anchors, from: `ConfigMap ${ns}/linkerd-config identityTrustAnchorsPEM` };
      else if (!inp.trustAnchors && snap.configErrors.length === 0) {
        snap.configErrors.push(lcm ? 'identityTrustAnchorsPEM is missing from linkerd-config values' : inp.mode === 'live' ? 'configmaps "linkerd-config" not found' : `scheme ${LINKERD_SCHEME} reads the trust anchors from ConfigMap ${ns}/linkerd-config: pass it with --from, or --trust-anchors`);
      }
    }
  } else {
    snap.scheme = 'files';
    if (inp.issuerCert) snap.issuerCert = inp.issuerCert;
    if (inp.issuerKey) snap.issuerKey = inp.issuerKey;
    if (!inp.issuerCert) snap.configErrors.push('--issuer-key needs --issuer-cert');
    else if (!inp.issuerKey) snap.configErrors.push('--issuer-cert needs --issuer-key (the key must match the certificate)');
  }
  if (inp.trustAnchors) snap.trustAnchors = inp.trustAnchors;
  else if (!snap.trustAnchors && usesFlags) {
    if (inp.trustBundle) snap.trustAnchors = { ...inp.trustBundle, from: `${inp.trustBundle.from} (--trust-bundle as anchors)` };
    else snap.configErrors.push('no trust anchors given: pass --trust-anchors (or --trust-bundle)');
  }

  const cmFrom = `ConfigMap ${ns}/${c.bundleName} ${c.bundleKey}`;
  const bundleCm = findObject(objects, 'ConfigMap', c.bundleName, ns);
  if (inp.trustBundle) snap.trustBundle = { text: inp.trustBundle.text, from: inp.trustBundle.from };
  else if (bundleCm) {
    const d = configMapData(bundleCm);
    const keys = Object.keys(d);
    snap.trustBundle = d[c.bundleKey] !== undefined ? { text: d[c.bundleKey], from: cmFrom } : { from: cmFrom, missing: `ConfigMap ${ns}/${c.bundleName} has no key ${c.bundleKey}${keys.length ? ` (keys: ${keys.join(', ')})` : ''}` };
  } else if (inp.mode === 'live') snap.trustBundle = { from: cmFrom, missing: `configmaps "${c.bundleName}" not found in namespace ${ns}` };

  for (const name of c.anchorNames) {
    const s = findObject(objects, 'Secret', name, c.trustNamespace);
    const crt = s ? secretData(s)['tls.crt'] : undefined;
    if (crt !== undefined) snap.anchorSecrets.push({ name, text: crt });
  }

  const certificates = objects.filter(isCertificate);
  const issuers = objects.filter((o) => isIssuer(o) || isClusterIssuer(o));
  const bundles = objects.filter((o) => isBundle(o) || isClusterBundle(o));
  const namespaces = objects.filter(isNamespace);
  if (certificates.length + bundles.length > 0 || inp.certManagerAvailable) snap.certManager = { certificates, issuers, bundles, namespaces };

  const pods = objects.filter((o) => kindOf(o) === 'Pod');
  if (inp.proxy) snap.pods = pods.filter((p) => isRecord(at(p, 'metadata', 'labels')) && str(at(p, 'metadata', 'labels', 'linkerd.io/control-plane-ns')) !== undefined).map(podInfo);
  const cp = pods.filter((p) => namespaceOf(p) === ns);
  if (cp.length) snap.controlPlanePods = cp.map(podInfo);
  return snap;
}
