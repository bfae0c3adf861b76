/**
 * Lookups across the objects judged together (one lint input, or what the webhook can read):
 * the anchor behind an issuer, the Issuer an issuerRef names, the Secrets a Bundle reads.
 * The index is built once per related array (lint shares one array per setup), so judging
 * n objects against a setup of n objects stays linear.
 */
import type { Config } from '../config.js';
import type { K8sObject, RuleContext } from './types.js';
import { at, isCertificate, isClusterIssuer, isIssuer, isNamespace, nameOf, str } from './object.js';
import { roleOf, signingIssuer } from './scope.js';

export interface RelatedIndex {
  certificatesByRole: Map<string, K8sObject[]>;
  /** Issuers and ClusterIssuers by name */
  issuersByName: Map<string, K8sObject[]>;
  /** Certificates by the Secret they write */
  certificatesBySecret: Map<string, K8sObject[]>;
  /** trust anchor Certificates by the Secret they write */
  anchorsBySecret: Map<string, K8sObject[]>;
  secretsByName: Map<string, K8sObject[]>;
  namespacesByName: Map<string, K8sObject>;
}

const cache = new WeakMap<readonly K8sObject[], { config: Config; index: RelatedIndex }>();

function push(map: Map<string, K8sObject[]>, key: string | undefined, o: K8sObject): void {
  if (key === undefined) return;
  const list = map.get(key);
  if (list) list.push(o);
  else map.set(key, [o]);
}

export function relatedIndex(ctx: Pick<RuleContext, 'related' | 'config'>): RelatedIndex {
  const hit = cache.get(ctx.related);
  if (hit && hit.config === ctx.config) return hit.index;
  const index: RelatedIndex = {
    certificatesByRole: new Map(),
    issuersByName: new Map(),
    certificatesBySecret: new Map(),
    anchorsBySecret: new Map(),
    secretsByName: new Map(),
    namespacesByName: new Map(),
  };
  for (const o of ctx.related) {
    if (isCertificate(o)) {
      const role = roleOf(o, ctx.config, ctx.related);
      if (role !== null) push(index.certificatesByRole, role, o);
      const secret = str(at(o, 'spec', 'secretName'));
      push(index.certificatesBySecret, secret, o);
      if (role === 'trust-anchor') push(index.anchorsBySecret, secret, o);
    } else if (isIssuer(o) || isClusterIssuer(o)) {
      push(index.issuersByName, nameOf(o), o);
    } else if (o.kind === 'Secret') {
      push(index.secretsByName, nameOf(o), o);
    } else if (isNamespace(o)) {
      const n = nameOf(o);
      if (n !== undefined) index.namespacesByName.set(n, o);
    }
  }
  cache.set(ctx.related, { config: ctx.config, index });
  return index;
}

export function certificatesWithRole(ctx: Pick<RuleContext, 'related' | 'config'>, role: 'trust-anchor' | 'identity-issuer'): K8sObject[] {
  return relatedIndex(ctx).certificatesByRole.get(role) ?? [];
}

/** The (Cluster)Issuer an issuerRef names, if it is among the related objects. */
export function resolveIssuerRef(ctx: Pick<RuleContext, 'related' | 'config'>, cert: K8sObject): { kind: string; name: string; found: K8sObject | undefined; sameName: K8sObject[] } {
  const kind = str(at(cert, 'spec', 'issuerRef', 'kind')) ?? 'Issuer';
  const name = str(at(cert, 'spec', 'issuerRef', 'name')) ?? '';
  const sameName = relatedIndex(ctx).issuersByName.get(name) ?? [];
  return { kind, name, found: signingIssuer(cert, sameName), sameName };
}

/**
 * The trust anchors an issuer chains to: the Certificate writing the CA Secret of the issuer's
 * CA-type (Cluster)Issuer when that resolves, else every anchor Certificate known.
 */
export function anchorsOf(ctx: Pick<RuleContext, 'related' | 'config' | 'object'>): K8sObject[] {
  const anchors = certificatesWithRole(ctx, 'trust-anchor');
  if (anchors.length === 0) return anchors;
  const ref = resolveIssuerRef(ctx, ctx.object);
  const caSecret = ref.found ? str(at(ref.found, 'spec', 'ca', 'secretName')) : undefined;
  // the index's own arrays, so that what is derived from a set of anchors can be kept per set (oncePerSet)
  const signer = caSecret !== undefined ? relatedIndex(ctx).anchorsBySecret.get(caSecret) : undefined;
  return signer ?? anchors;
}

/**
 * `compute` over a set of related objects, once per set: the sets anchorsOf returns are shared by
 * every issuer of an input, so a large input does not judge each anchor again for each issuer.
 */
export function oncePerSet<T>(compute: (set: readonly K8sObject[]) => T): (set: readonly K8sObject[]) => T {
  const done = new WeakMap<readonly K8sObject[], T>();
  return (set) => {
    if (done.has(set)) return done.get(set) as T;
    const value = compute(set);
    done.set(set, value);
    return value;
  };
}
