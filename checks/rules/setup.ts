/**
 * Cross-object rules: they speak only when the related objects are in the same input
 * (lint) or known to the caller (webhook), and stay silent when they cannot know.
 */
import type { RuleDefinition, Violation } from './types.js';
import { at, bundleSources, isClusterIssuer, isIssuer, isRecord, namespaceOf, nameOf, pointer, refersToCertManager, str, labelsOf } from './object.js';
import { certificatesWithRole, relatedIndex, resolveIssuerRef } from './related.js';
import { caSecretNamespace } from './scope.js';
import { clip } from '../limits.js';

/** The issuerRef names nothing the caller's whole view holds (a warning: it may be created next). */
function issuerNotFound(kind: string, name: string, namespace: string | undefined): Violation {
  const what = kind === 'ClusterIssuer' ? `ClusterIssuer ${clip(name)}` : `Issuer ${clip(name)} in namespace ${namespace === undefined ? '(unset)' : clip(namespace)}`;
  return {
    path: 'spec.issuerRef.name',
    notFound: true,
    message: `spec.issuerRef names ${what}, which does not exist (or is not yet known): cert-manager leaves this Certificate pending until it does. Create it, or fix the name.`,
  };
}

export const issuerRef: RuleDefinition = {
  id: 'setup/issuer-ref',
  reads: "the Issuer or ClusterIssuer its issuerRef names, and the Certificate writing a ClusterIssuer's CA Secret",
  title: "The identity issuer's issuerRef resolves",
  appliesTo: ['identity-issuer'],
  defaultSeverity: 'error',
  repair: 'none',
  rationale: "An Issuer serves only Certificates in its own namespace; a ClusterIssuer of type CA reads its CA Secret from cert-manager's cluster resource namespace. Either mistake leaves the issuer Certificate pending and the Secret never written (linkerd2#11972).",
  check(ctx) {
    if (!refersToCertManager(ctx.object)) return [];
    const ref = resolveIssuerRef(ctx, ctx.object);
    const out: Violation[] = [];
    if (ref.found === undefined) {
      const other = ref.sameName[0];
      if (other === undefined) return ctx.complete ? [issuerNotFound(ref.kind, ref.name, namespaceOf(ctx.object))] : []; // else: not in this input, cannot judge
      if (ref.kind === 'ClusterIssuer' || isClusterIssuer(other)) {
        out.push({
          path: 'spec.issuerRef.kind',
          message: `spec.issuerRef names ${clip(ref.kind)} ${clip(ref.name)}, but ${clip(ref.name)} is ${isClusterIssuer(other) ? 'a ClusterIssuer' : `an Issuer in namespace ${namespaceOf(other) ?? '(unset)'}`}. Write \`kind: ${isClusterIssuer(other) ? 'ClusterIssuer' : 'Issuer'}\`${isIssuer(other) ? ` and keep both in namespace ${namespaceOf(other) ?? ''}` : ''}.`,
        });
      } else {
        out.push({
          path: 'spec.issuerRef.name',
          message: `spec.issuerRef names Issuer ${clip(ref.name)}, but that Issuer is in namespace ${namespaceOf(other) ?? '(unset)'} and an Issuer only serves its own namespace (${namespaceOf(ctx.object) ?? '(unset)'}). Use a ClusterIssuer or create the Issuer in ${namespaceOf(ctx.object) ?? ctx.config.linkerdNamespace}.`,
        });
      }
      return out;
    }
    if (isClusterIssuer(ref.found)) {
      const secret = str(at(ref.found, 'spec', 'ca', 'secretName'));
      if (secret === undefined) return [];
      const writer = relatedIndex(ctx).certificatesBySecret.get(secret)?.[0];
      const writerNs = writer ? namespaceOf(writer) : undefined;
      if (writerNs !== undefined && writerNs !== ctx.config.clusterResourceNamespace) {
        out.push({
          path: 'spec.issuerRef.name',
          message: `ClusterIssuer ${clip(ref.name)} reads CA Secret ${clip(secret)} from cert-manager's cluster resource namespace ${ctx.config.clusterResourceNamespace}, but the Certificate writing it is in ${writerNs}. Move the anchor Certificate to ${ctx.config.clusterResourceNamespace}.`,
        });
      }
    }
    return out;
  },
};

export const issuerSelfSigned: RuleDefinition = {
  id: 'setup/issuer-self-signed',
  reads: 'the Issuer or ClusterIssuer its issuerRef names',
  title: 'The identity issuer is signed by the trust anchor, not by a selfSigned issuer',
  appliesTo: ['identity-issuer'],
  defaultSeverity: 'error',
  repair: 'none: the right CA issuer is a setup choice',
  rationale: "A selfSigned issuer signs the identity issuer with its own key: the issuer becomes its own root, every renewal mints a new one, and no trust anchor in Linkerd's bundle ever contains it, so proxies reject every workload certificate (UnknownIssuer). Linkerd's cert-manager guide signs the issuer with a CA issuer whose `ca.secretName` is the trust anchor Secret.",
  check(ctx) {
    if (!refersToCertManager(ctx.object)) return [];
    const ref = resolveIssuerRef(ctx, ctx.object);
    if (ref.found === undefined || !isRecord(at(ref.found, 'spec', 'selfSigned'))) return [];
    const kind = isClusterIssuer(ref.found) ? 'ClusterIssuer' : 'Issuer';
    const anchorSecret = str(at(certificatesWithRole(ctx, 'trust-anchor')[0], 'spec', 'secretName')) ?? ctx.config.anchorNames[0] ?? 'linkerd-trust-anchor';
    return [{
      path: 'spec.issuerRef.name',
      message: `spec.issuerRef names ${kind} ${clip(nameOf(ref.found) ?? ref.name)}, which is selfSigned: the identity issuer would be its own root, renewed into a new root each time, and never contained in the trust anchors Linkerd's proxies trust. Use a CA issuer signed by the trust anchor, e.g. a ClusterIssuer with \`ca: {secretName: ${anchorSecret}}\`.`,
    }];
  },
};

export const anchorBootstrap: RuleDefinition = {
  id: 'setup/anchor-bootstrap',
  reads: 'the Issuer or ClusterIssuer its issuerRef names',
  title: 'The trust anchor is not issued by the CA it creates',
  appliesTo: ['trust-anchor'],
  defaultSeverity: 'error',
  repair: 'none',
  rationale: "A CA issuer signs with the Secret named in its `ca.secretName`. A trust anchor whose issuerRef names the CA issuer reading the very Secret the anchor writes waits for itself: the Secret never exists, the issuer never becomes Ready and the anchor is never issued. Linkerd's guide issues the anchor from a selfSigned Issuer and only the identity issuer from the CA.",
  check(ctx) {
    if (!refersToCertManager(ctx.object)) return [];
    const ref = resolveIssuerRef(ctx, ctx.object);
    const secret = str(at(ctx.object, 'spec', 'secretName'));
    if (ref.found === undefined || secret === undefined || str(at(ref.found, 'spec', 'ca', 'secretName')) !== secret) return [];
    const readsFrom = caSecretNamespace(ref.found, ctx.object, ctx.config);
    const ns = namespaceOf(ctx.object);
    if (readsFrom !== undefined && ns !== undefined && readsFrom !== ns) return [];
    const kind = isClusterIssuer(ref.found) ? 'ClusterIssuer' : 'Issuer';
    return [{
      path: 'spec.issuerRef.name',
      message: `spec.issuerRef names ${kind} ${clip(ref.name)}, a CA issuer that signs with Secret ${clip(secret)}, which is the Secret this Certificate writes: it can never be issued. Issue the trust anchor from a selfSigned Issuer (\`selfSigned: {}\`) and keep the CA issuer for the identity issuer.`,
    }];
  },
};

export const anchorSourced: RuleDefinition = {
  id: 'setup/anchor-sourced',
  reads: 'the trust anchor Certificates',
  title: 'The Bundle sources the trust anchor Secret',
  appliesTo: ['trust-bundle'],
  defaultSeverity: 'error',
  repair: 'none',
  rationale: "trust-manager can only copy what the Bundle names: if no source reads the Secret the anchor Certificate writes, the issuer is signed by an anchor Linkerd does not trust.",
  check(ctx) {
    const anchors = certificatesWithRole(ctx, 'trust-anchor');
    if (anchors.length === 0) return [];
    const bySecret = relatedIndex(ctx).anchorsBySecret;
    const sourced = bundleSources(ctx.object).some((s) => s.kind === 'secret' && s.name !== undefined && bySecret.has(s.name) && (s.key === 'tls.crt' || s.key === 'ca.crt' || s.includeAllKeys));
    if (sourced) return [];
    const names = anchors.map((a) => str(at(a, 'spec', 'secretName')) ?? '?').join(', ');
    return [{
      path: 'spec.sources',
      message: `no source reads the trust anchor Secret (${names}): the bundle Linkerd loads would not contain the anchor that signs the issuer. Add \`- secret: {name: ${str(at(anchors[0], 'spec', 'secretName')) ?? 'linkerd-trust-anchor'}, key: tls.crt}\`.`,
    }];
  },
};

export const namespaceLabel: RuleDefinition = {
  id: 'setup/namespace-label',
  title: 'The Linkerd namespace carries the control-plane label',
  appliesTo: ['control-plane-namespace'],
  defaultSeverity: 'error',
  lintOnly: true,
  repair: 'adds the label `linkerd.io/is-control-plane: "true"`',
  rationale: "trust-manager writes the roots only into namespaces its selector matches; without the label on the linkerd namespace the ConfigMap never appears and the control plane cannot start.",
  check(ctx) {
    const label = ctx.config.namespaceLabel;
    if (labelsOf(ctx.object)[label] === 'true') return [];
    const labels = at(ctx.object, 'metadata', 'labels');
    return [{
      path: `metadata.labels`,
      message: `namespace ${ctx.config.linkerdNamespace} lacks the label ${label}: "true": trust-manager never writes the trust-roots ConfigMap there. Add the label.`,
      patch: [
        labels !== undefined && typeof labels === 'object' && labels !== null && !Array.isArray(labels)
          ? { op: label in labels ? 'replace' : 'add', path: pointer(['metadata', 'labels', label]), value: 'true' }
          : { op: 'add', path: '/metadata/labels', value: { [label]: 'true' } },
      ],
    }];
  },
};

export const SETUP_RULES: readonly RuleDefinition[] = [issuerRef, issuerSelfSigned, anchorBootstrap, anchorSourced, namespaceLabel];
