/**
 * Which objects are Linkerd's. An object with no role is never touched,
 * denied or warned about, so recognition errs on the side of precision: names Linkerd
 * reads, the DNS names its guides use, an explicit opt-in label, or a relation to an object
 * that is Linkerd's by those (the Secrets a Bundle sources, the CA behind the identity issuer, the
 * Issuers and ClusterIssuers that sign its Certificates).
 *
 * The one scope: the rules, lint, the webhook and `check` all ask `roleOf`. It is pure; the related
 * objects (the rest of a lint input, or what the webhook's cache holds) are an input like the object.
 */
import { anchorCommonName, identityName, type Config } from '../config.js';
import type { K8sObject, Role } from './types.js';
import {
  at, arr, bundleSources, bundleTargetKeys, isBundle, isCertificate, isClusterBundle, isClusterIssuer, isIssuer, isNamespace,
  isRecord, labelsOf, nameOf, namespaceOf, refersToCertManager, str, strings,
} from './object.js';

export const ROLE_LABEL = 'linkerd-cert-guard.io/role';

/**
 * One shared empty list when the caller knows no related objects (the webhook without its cache): the
 * relation and related-object indexes are cached per list, so a fresh `[]` per call would rebuild them.
 */
export const NO_RELATED: readonly K8sObject[] = Object.freeze([]);

export function roleOf(object: K8sObject, config: Config, related: readonly K8sObject[] = NO_RELATED): Role | null {
  if (!isRecord(object)) return null;
  if (isCertificate(object)) {
    const own = certificateRole(object, config);
    if (own !== null) return own;
    return writesAnchorSecret(object, relations(related, config)) ? 'trust-anchor' : null;
  }
  if (isBundle(object) || isClusterBundle(object)) {
    const label = str(labelsOf(object)[ROLE_LABEL]);
    if (label === 'trust-bundle') return 'trust-bundle';
    if (nameOf(object) === config.bundleName) return 'trust-bundle';
    const selector = at(object, 'spec', 'target', 'namespaceSelector');
    if (selectorMentions(selector, config.namespaceLabel)) return 'trust-bundle';
    if (bundleTargetKeys(object).includes(config.bundleKey)) return 'trust-bundle';
    // sources one of Linkerd's Secrets: the trust bundle, however it is named
    const secrets = relations(related, config).linkerdSecrets;
    if (bundleSources(object).some((s) => s.kind === 'secret' && s.name !== undefined && secrets.has(s.name))) return 'trust-bundle';
    return null;
  }
  if (isIssuer(object) || isClusterIssuer(object)) {
    // Linkerd's by relation only: the issuerRef of one of its Certificates names it
    return nameOf(object) !== undefined && relations(related, config).signers.has(signerKey(object)) ? 'signing-issuer' : null;
  }
  if (isNamespace(object) && nameOf(object) === config.linkerdNamespace) return 'control-plane-namespace';
  return null;
}

/** A Certificate's role from itself alone: label, names Linkerd reads, or the names its guides use. */
function certificateRole(object: K8sObject, config: Config): 'identity-issuer' | 'trust-anchor' | null {
  const label = str(labelsOf(object)[ROLE_LABEL]);
  if (label === 'identity-issuer' || label === 'trust-anchor') return label;
  const name = nameOf(object);
  const secretName = str(at(object, 'spec', 'secretName'));
  if (name === config.issuerName || secretName === config.issuerName) return 'identity-issuer';
  if ((name !== undefined && config.anchorNames.includes(name)) || (secretName !== undefined && config.anchorNames.includes(secretName))) {
    return 'trust-anchor';
  }
  const cn = str(at(object, 'spec', 'commonName'));
  const dnsNames = strings(at(object, 'spec', 'dnsNames'));
  const identity = identityName(config);
  if (cn === identity || dnsNames.includes(identity)) return 'identity-issuer';
  if (cn === anchorCommonName(config)) return 'trust-anchor';
  return null;
}

/** A Secret by name, in a namespace when one is known (manifests often leave it to `kubectl -n`). */
interface SecretRef {
  name: string;
  namespace: string | undefined;
}

interface Relations {
  /** CA Secrets of the (Cluster)Issuers that sign an identity issuer: their writer is a trust anchor */
  anchorSecrets: SecretRef[];
  /** names of the Secrets Linkerd's CA material lives in: configured names and what its Certificates write */
  linkerdSecrets: Set<string>;
  /**
   * What the issuerRefs of Linkerd's Certificates (identity issuers and trust anchors, by their own
   * fields or as the writer of an anchor Secret) name, as signerKey spells a (Cluster)Issuer
   */
  signers: Set<string>;
}

/** A (Cluster)Issuer's key in Relations.signers; an Issuer with no namespace stands in any (as signingIssuer). */
function signerKey(issuer: K8sObject): string {
  return isClusterIssuer(issuer) ? `ClusterIssuer/${nameOf(issuer) ?? ''}` : `Issuer/${namespaceOf(issuer) ?? '*'}/${nameOf(issuer) ?? ''}`;
}

/** The keys of the (Cluster)Issuers that signingIssuer would find for `cert`. */
function signerKeysOf(cert: K8sObject): string[] {
  if (!refersToCertManager(cert)) return [];
  const name = str(at(cert, 'spec', 'issuerRef', 'name'));
  if (name === undefined) return [];
  if ((str(at(cert, 'spec', 'issuerRef', 'kind')) ?? 'Issuer') === 'ClusterIssuer') return [`ClusterIssuer/${name}`];
  const ns = namespaceOf(cert);
  return ns === undefined ? [`Issuer/*/${name}`] : [`Issuer/${ns}/${name}`, `Issuer/*/${name}`];
}

const relationCache = new WeakMap<readonly K8sObject[], { config: Config; relations: Relations }>();

/** Built once per related array (lint shares one per setup), so scope over n objects stays linear. */
function relations(related: readonly K8sObject[], config: Config): Relations {
  const hit = relationCache.get(related);
  if (hit && hit.config === config) return hit.relations;
  const out: Relations = { anchorSecrets: [], linkerdSecrets: new Set([config.issuerName, ...config.anchorNames]), signers: new Set() };
  const issuersByName = new Map<string | undefined, K8sObject[]>();
  for (const o of related) {
    if (!isIssuer(o) && !isClusterIssuer(o)) continue;
    const list = issuersByName.get(nameOf(o));
    if (list) list.push(o);
    else issuersByName.set(nameOf(o), [o]);
  }
  const certificates = related.filter(isCertificate);
  for (const cert of certificates) {
    if (certificateRole(cert, config) !== 'identity-issuer') continue;
    const signer = signingIssuer(cert, issuersByName.get(str(at(cert, 'spec', 'issuerRef', 'name'))) ?? []);
    const caSecret = signer ? str(at(signer, 'spec', 'ca', 'secretName')) : undefined;
    if (signer === undefined || caSecret === undefined) continue;
    out.anchorSecrets.push({ name: caSecret, namespace: caSecretNamespace(signer, cert, config) });
  }
  for (const cert of certificates) {
    if (certificateRole(cert, config) === null && !writesAnchorSecret(cert, out)) continue;
    for (const key of signerKeysOf(cert)) out.signers.add(key);
    const secret = str(at(cert, 'spec', 'secretName'));
    if (secret !== undefined) out.linkerdSecrets.add(secret);
  }
  relationCache.set(related, { config, relations: out });
  return out;
}

function writesAnchorSecret(cert: K8sObject, rel: Relations): boolean {
  const secret = str(at(cert, 'spec', 'secretName'));
  if (secret === undefined) return false;
  const ns = namespaceOf(cert);
  return rel.anchorSecrets.some((s) => s.name === secret && (s.namespace === undefined || ns === undefined || s.namespace === ns));
}

/**
 * Where an issuer reads its CA Secret: a ClusterIssuer from cert-manager's cluster resource namespace,
 * an Issuer from its own (a manifest without one: the namespace of the Certificate naming it).
 */
export function caSecretNamespace(issuer: K8sObject, cert: K8sObject, config: Config): string | undefined {
  return isClusterIssuer(issuer) ? config.clusterResourceNamespace : namespaceOf(issuer) ?? namespaceOf(cert);
}

/**
 * The cert-manager (Cluster)Issuer a Certificate's issuerRef names, among `issuers`: an Issuer only in
 * the Certificate's namespace, kind Issuer when unset, external groups never.
 */
export function signingIssuer(cert: K8sObject, issuers: readonly K8sObject[]): K8sObject | undefined {
  if (!refersToCertManager(cert)) return undefined;
  const kind = str(at(cert, 'spec', 'issuerRef', 'kind')) ?? 'Issuer';
  const name = str(at(cert, 'spec', 'issuerRef', 'name'));
  if (name === undefined) return undefined;
  return issuers.find((o) => nameOf(o) === name && (kind === 'ClusterIssuer' ? isClusterIssuer(o) : isIssuer(o) && (namespaceOf(o) ?? namespaceOf(cert)) === namespaceOf(cert)));
}

function selectorMentions(selector: unknown, labelKey: string): boolean {
  if (!isRecord(selector)) return false;
  const ml = selector.matchLabels;
  if (isRecord(ml) && labelKey in ml) return true;
  return arr(selector.matchExpressions).some((e) => isRecord(e) && e.key === labelKey);
}
