/**
 * Lookups across the objects judged together (one lint input, or what the webhook can read):
 * the anchor behind an issuer, the Issuer an issuerRef names, the Secrets a Bundle reads.
 */
import type { K8sObject, RuleContext } from './types.js';
import { at, isCertificate, isClusterIssuer, isIssuer, nameOf, namespaceOf, str } from './object.js';
import { roleOf } from './scope.js';

export function certificatesWithRole(ctx: Pick<RuleContext, 'related' | 'config'>, role: 'trust-anchor' | 'identity-issuer'): K8sObject[] {
  return ctx.related.filter((o) => isCertificate(o) && roleOf(o, ctx.config) === role);
}

/** The (Cluster)Issuer an issuerRef names, if it is among the related objects. */
export function resolveIssuerRef(ctx: Pick<RuleContext, 'related'>, cert: K8sObject): { kind: string; name: string; found: K8sObject | undefined; sameName: K8sObject[] } {
  const kind = str(at(cert, 'spec', 'issuerRef', 'kind')) ?? 'Issuer';
  const name = str(at(cert, 'spec', 'issuerRef', 'name')) ?? '';
  const sameName = ctx.related.filter((o) => (isIssuer(o) || isClusterIssuer(o)) && nameOf(o) === name);
  const found = sameName.find((o) =>
    kind === 'ClusterIssuer' ? isClusterIssuer(o) : isIssuer(o) && (namespaceOf(o) ?? namespaceOf(cert)) === namespaceOf(cert),
  );
  return { kind, name, found, sameName };
}

/**
 * The trust anchors an issuer chains to: the Certificate writing the CA Secret of the issuer's
 * CA-type (Cluster)Issuer when that resolves, else every anchor Certificate known.
 */
export function anchorsOf(ctx: Pick<RuleContext, 'related' | 'config' | 'object'>): K8sObject[] {
  const anchors = certificatesWithRole(ctx, 'trust-anchor');
  const ref = resolveIssuerRef(ctx, ctx.object);
  const caSecret = ref.found ? str(at(ref.found, 'spec', 'ca', 'secretName')) : undefined;
  if (caSecret !== undefined) {
    const signer = anchors.filter((a) => str(at(a, 'spec', 'secretName')) === caSecret);
    if (signer.length > 0) return signer;
  }
  return anchors;
}
