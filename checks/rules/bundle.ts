/**
 * Rules over the trust-manager Bundle (trust.cert-manager.io/v1alpha1) that writes Linkerd's
 * trust roots, and its successor ClusterBundle (trust-manager.io/v1alpha2) where the shape allows.
 */
import type { K8sObject, PatchOp, RuleContext, RuleDefinition, Violation } from './types.js';
import { relatedIndex } from './related.js';
import { arr, at, bundleSources, bundleTargetKeys, dotted, isBundle, isClusterBundle, isRecord, labelsOf, nameOf, namespaceOf, pointer, str } from './object.js';
import { setOp } from './patch.js';
import { clip, quote } from '../limits.js';
import { hasPrivateKeyBlock } from '../x509/pem.js';

export const bundleName: RuleDefinition = {
  id: 'bundle/name',
  title: 'Bundle is named like the ConfigMap Linkerd reads',
  appliesTo: ['trust-bundle'],
  defaultSeverity: 'error',
  repair: 'none: names are immutable; create a Bundle with the right name',
  rationale: 'trust-manager names every target ConfigMap after the Bundle, and Linkerd reads ConfigMap linkerd-identity-trust-roots; a Bundle named otherwise writes roots nobody loads.',
  check(ctx) {
    const name = nameOf(ctx.object);
    if (name === ctx.config.bundleName || name === undefined) return [];
    return [{
      path: 'metadata.name',
      message: `metadata.name is ${clip(name)}: trust-manager writes the ConfigMap under the Bundle's name, and Linkerd reads ${ctx.config.bundleName}. Name the Bundle ${ctx.config.bundleName}.`,
    }];
  },
};

export const targetConfigMap: RuleDefinition = {
  id: 'bundle/target-configmap',
  title: 'Bundle writes a ConfigMap target',
  appliesTo: ['trust-bundle'],
  defaultSeverity: 'error',
  repair: 'adds `target.configMap.key: ca-bundle.crt`',
  rationale: 'Linkerd loads its trust roots from a ConfigMap and never from a Secret (linkerd2#7345 declined Secrets because they hold keys).',
  check(ctx) {
    if (isRecord(at(ctx.object, 'spec', 'target', 'configMap'))) return [];
    const value = isClusterBundle(ctx.object) ? { data: [{ key: ctx.config.bundleKey }] } : { key: ctx.config.bundleKey };
    return [{
      path: 'spec.target.configMap',
      message: `spec.target.configMap is missing: Linkerd reads its trust roots only from ConfigMap ${ctx.config.bundleName}, never from a Secret target. Add \`target: {configMap: {key: ${ctx.config.bundleKey}}}\`.`,
      patch: [setOp(ctx.object, ['spec', 'target', 'configMap'], value)],
    }];
  },
};

export const targetKey: RuleDefinition = {
  id: 'bundle/target-key',
  title: 'ConfigMap target key is ca-bundle.crt',
  appliesTo: ['trust-bundle'],
  defaultSeverity: 'error',
  repair: 'sets `target.configMap.key: ca-bundle.crt`',
  rationale: 'The identity controller and control-plane proxies read the roots from key ca-bundle.crt of ConfigMap linkerd-identity-trust-roots.',
  check(ctx) {
    const cm = at(ctx.object, 'spec', 'target', 'configMap');
    if (!isRecord(cm)) return []; // bundle/target-configmap speaks
    const keys = bundleTargetKeys(ctx.object);
    if (keys.includes(ctx.config.bundleKey)) return [];
    if (isClusterBundle(ctx.object)) {
      return [{
        path: 'spec.target.configMap.data',
        message: `spec.target.configMap.data has no key ${ctx.config.bundleKey}: Linkerd reads its roots from that key. Add \`- key: ${ctx.config.bundleKey}\`.`,
        patch: [Array.isArray(cm.data) ? { op: 'add', path: '/spec/target/configMap/data/-', value: { key: ctx.config.bundleKey } } : setOp(ctx.object, ['spec', 'target', 'configMap', 'data'], [{ key: ctx.config.bundleKey }])],
      }];
    }
    return [{
      path: 'spec.target.configMap.key',
      message: `spec.target.configMap.key is ${cm.key === undefined ? 'unset' : quote(cm.key)}: Linkerd reads its trust roots from key ${ctx.config.bundleKey}. Write \`key: ${ctx.config.bundleKey}\`.`,
      patch: [setOp(ctx.object, ['spec', 'target', 'configMap', 'key'], ctx.config.bundleKey)],
    }];
  },
};

/** The label that marks application namespaces for proxy injection: Linkerd's own namespace never has it. */
const INJECT_LABEL = 'linkerd.io/inject';
const NAME_LABEL = 'kubernetes.io/metadata.name';

interface Requirement {
  key: string;
  operator: string;
  values: string[];
}

/** A LabelSelector as requirements (matchLabels are `In [value]`); [] selects every namespace. */
function selectorRequirements(selector: unknown): Requirement[] {
  if (!isRecord(selector)) return [];
  const out: Requirement[] = [];
  const ml = selector.matchLabels;
  if (isRecord(ml)) for (const [key, v] of Object.entries(ml)) out.push({ key, operator: 'In', values: [String(v)] });
  for (const e of arr(selector.matchExpressions)) {
    if (!isRecord(e) || typeof e.key !== 'string') continue;
    out.push({ key: e.key, operator: str(e.operator) ?? '', values: arr(e.values).map(String) });
  }
  return out;
}

/** Does a requirement hold for a label value (undefined: the namespace lacks the label)? undefined when the operator is unknown. */
function holds(r: Requirement, value: string | undefined): boolean | undefined {
  switch (r.operator) {
    case 'In': return value !== undefined && r.values.includes(value);
    case 'NotIn': return value === undefined || !r.values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    default: return undefined;
  }
}

type SelectorVerdict =
  | { kind: 'selects' }
  | { kind: 'everything' }
  | { kind: 'misses'; requirement: Requirement; why: 'inject' | 'name' | 'lacks' | 'value' }
  | { kind: 'unknown'; requirement: Requirement };

/**
 * What the Bundle's namespaceSelector does for the Linkerd namespace, from what is known of it:
 * its name always (`kubernetes.io/metadata.name`, set by the API server), its labels when the input
 * holds its manifest. The control-plane label is the one Linkerd's namespace is meant to carry
 * (setup/namespace-label judges the manifest); the injection label marks application namespaces.
 */
function judgeSelector(selector: unknown, ctx: Pick<RuleContext, 'related' | 'config'>): SelectorVerdict {
  const reqs = selectorRequirements(selector);
  if (reqs.length === 0) return { kind: 'everything' };
  const { linkerdNamespace, namespaceLabel } = ctx.config;
  const manifest = relatedIndex(ctx).namespacesByName.get(linkerdNamespace);
  const labels = manifest ? labelsOf(manifest) : undefined;
  let unknown: Requirement | undefined;
  for (const r of reqs) {
    let value: string | undefined;
    let known = true;
    if (r.key === NAME_LABEL) value = linkerdNamespace;
    else if (r.key === namespaceLabel) value = 'true';
    else if (labels !== undefined) value = str(labels[r.key]);
    else if (r.key === INJECT_LABEL) value = undefined;
    else known = false;
    if (!known) {
      unknown ??= r;
      continue;
    }
    const ok = holds(r, value);
    if (ok === undefined) unknown ??= r;
    else if (!ok) {
      const why = r.key === NAME_LABEL ? 'name' : r.key === INJECT_LABEL && (labels === undefined || value === undefined) ? 'inject' : value === undefined ? 'lacks' : 'value';
      return { kind: 'misses', requirement: r, why };
    }
  }
  return unknown ? { kind: 'unknown', requirement: unknown } : { kind: 'selects' };
}

function describeRequirement(r: Requirement): string {
  if (r.operator === 'In' && r.values.length === 1) return `${clip(r.key)}: ${quote(r.values[0])}`;
  if (r.operator === 'Exists' || r.operator === 'DoesNotExist') return `${clip(r.key)} ${r.operator}`;
  return `${clip(r.key)} ${clip(r.operator)} [${clip(r.values.join(', '))}]`;
}

export const namespaceSelector: RuleDefinition = {
  id: 'bundle/namespace-selector',
  reads: 'the Linkerd Namespace (the repair is offered only when it carries the label)',
  title: 'Bundle targets the control-plane namespace',
  appliesTo: ['trust-bundle'],
  defaultSeverity: 'warning',
  repair: 'sets the selector to the control-plane label, only when the input shows the Linkerd namespace carries it',
  rationale: "trust-manager writes the roots only into the namespaces the selector matches. `linkerd.io/is-control-plane: \"true\"` (or `kubernetes.io/metadata.name: linkerd`) selects Linkerd's namespace; without a selector the roots are copied into every namespace; a selector on the injection label (`linkerd.io/inject`, which marks application namespaces) or on a label the Linkerd namespace lacks never reaches Linkerd, and the control plane cannot start. Repairing blindly would delete the ConfigMap from an unlabelled linkerd namespace, so the repair waits until the namespace is known to carry the label.",
  check(ctx) {
    const label = ctx.config.namespaceLabel;
    const ns = ctx.config.linkerdNamespace;
    const selector = at(ctx.object, 'spec', 'target', 'namespaceSelector');
    const verdict = judgeSelector(selector, ctx);
    if (verdict.kind === 'selects') return [];
    const manifest = relatedIndex(ctx).namespacesByName.get(ns);
    const safe = manifest !== undefined && labelsOf(manifest)[label] === 'true';
    const want = `\`namespaceSelector: {matchLabels: {${label}: "true"}}\``;
    const v: Violation = { path: 'spec.target.namespaceSelector', message: '' };
    if (verdict.kind === 'everything') {
      v.message = `spec.target.namespaceSelector does not select ${label}: "true": trust-manager then copies the roots into every namespace instead of Linkerd's. Add ${want} once namespace ${ns} carries the label.`;
    } else if (verdict.kind === 'unknown') {
      v.message = `spec.target.namespaceSelector selects on ${describeRequirement(verdict.requirement)}: namespace ${ns} must carry it, or Linkerd never gets ConfigMap ${ctx.config.bundleName}. Prefer ${want} (or \`${NAME_LABEL}: ${ns}\`).`;
    } else {
      v.severity = 'error';
      const why = {
        inject: `${INJECT_LABEL} marks application namespaces for proxy injection, and namespace ${ns} does not carry it`,
        name: `that is not namespace ${ns}`,
        lacks: `namespace ${ns} in this input does not carry that label`,
        value: `namespace ${ns} in this input does not match it`,
      }[verdict.why];
      v.message = `spec.target.namespaceSelector requires ${describeRequirement(verdict.requirement)}, but ${why}: trust-manager never writes ConfigMap ${ctx.config.bundleName} there and Linkerd's control plane cannot load its trust roots. Write ${want}.`;
    }
    if (safe) v.patch = [setOp(ctx.object, ['spec', 'target', 'namespaceSelector'], { matchLabels: { [label]: 'true' } })];
    return [v];
  },
};

/** A key that holds private key material: tls.key, any *.key, key.pem. */
export function isPrivateKeyKey(key: string): boolean {
  return key === 'tls.key' || key.endsWith('.key') || key === 'key.pem' || key.endsWith('-key.pem');
}

export const noPrivateKeys: RuleDefinition = {
  id: 'bundle/no-private-keys',
  reads: 'the Certificates writing the Secrets it sources (a Secret cert-manager writes holds a key)',
  title: 'Bundle never reads a private key',
  appliesTo: ['trust-bundle'],
  defaultSeverity: 'error',
  repair: 'none: the request is denied',
  rationale: "A Bundle copies its sources into every target namespace: sourcing tls.key, or pasting a key into an inLine source, would publish the CA's private key to every namespace it selects.",
  check(ctx) {
    const out: Violation[] = [];
    for (const s of bundleSources(ctx.object)) {
      if (s.kind === 'inLine') {
        // trust-manager copies inLine text verbatim: a key pasted there is published like tls.key
        const inLine = at(ctx.object, ...s.path);
        const texts = typeof inLine === 'string' ? [inLine] : arr(inLine).filter((x): x is string => typeof x === 'string');
        if (texts.some(hasPrivateKeyBlock)) {
          out.push({
            path: dotted(s.path),
            message: `${dotted(s.path)} holds a PRIVATE KEY block, and the Bundle would copy it into every target namespace. Remove the key and keep only the CA certificates; a published key must be rotated.`,
          });
        }
        continue;
      }
      if (s.kind !== 'secret' && s.kind !== 'configMap') continue;
      if (s.key !== undefined && isPrivateKeyKey(s.key)) {
        out.push({
          path: dotted([...s.path, 'key']),
          message: `${dotted([...s.path, 'key'])} is ${clip(s.key)}: that is a private key, and the Bundle would copy it into every target namespace. Source the certificate instead (\`key: tls.crt\` or \`ca.crt\`).`,
        });
      } else if (s.includeAllKeys && s.kind === 'secret' && readsTlsSecret(ctx, s.name)) {
        out.push({
          path: dotted([...s.path, 'includeAllKeys']),
          message: `${dotted([...s.path, 'includeAllKeys'])} reads every key of TLS Secret ${s.name === undefined ? '(selected)' : clip(s.name)}, including tls.key, and would publish the CA's private key. Write \`key: tls.crt\` instead.`,
        });
      }
    }
    return out;
  },
};

/** Is the named Secret (or, with a selector, any Secret) a TLS Secret holding a key? */
function readsTlsSecret(ctx: Pick<RuleContext, 'related' | 'config'>, name: string | undefined): boolean {
  if (name === undefined) return true; // a selector may match any cert-manager Secret
  const index = relatedIndex(ctx);
  const secret = index.secretsByName.get(name)?.[0];
  if (secret) return secret.type === 'kubernetes.io/tls' || (isRecord(secret.data) && 'tls.key' in secret.data) || (isRecord(secret.stringData) && 'tls.key' in secret.stringData);
  if (ctx.config.anchorNames.includes(name) || name === ctx.config.issuerName) return true;
  // a Secret written by a cert-manager Certificate is always kubernetes.io/tls
  return index.certificatesBySecret.has(name);
}

export const noDefaultCAs: RuleDefinition = {
  id: 'bundle/no-default-cas',
  title: 'No public CAs in the mesh trust bundle',
  appliesTo: ['trust-bundle'],
  defaultSeverity: 'error',
  repair: 'removes the `useDefaultCAs` source (when others remain)',
  rationale: 'useDefaultCAs adds the public web PKI; any certificate from a public CA would then be trusted as a mesh identity root.',
  check(ctx) {
    const out: Violation[] = [];
    const sources = bundleSources(ctx.object);
    const real = sources.filter((s) => s.kind !== 'defaultCAs');
    for (const s of sources) {
      if (s.kind !== 'defaultCAs') continue;
      const v: Violation = {
        path: dotted(s.path),
        message: `${dotted(s.path)} adds the public default CA package: every publicly issued certificate would become a mesh trust anchor. Remove it.`,
      };
      if (isClusterBundle(ctx.object)) v.patch = [{ op: 'replace', path: pointer(s.path), value: 'Disabled' }];
      else if (real.length > 0) {
        const entry = at(ctx.object, 'spec', 'sources', s.index);
        const onlyDefault = isRecord(entry) && Object.keys(entry).every((k) => k === 'useDefaultCAs');
        v.patch = [onlyDefault ? { op: 'remove', path: pointer(['spec', 'sources', s.index]) } : { op: 'remove', path: pointer(s.path) }];
      }
      out.push(v);
    }
    return out;
  },
};

export const rotationOverlap: RuleDefinition = {
  id: 'bundle/rotation-overlap',
  title: 'Bundle can hold the old and the new anchor',
  appliesTo: ['trust-bundle'],
  defaultSeverity: 'warning',
  repair: 'none',
  rationale: "Anchor rotation needs both anchors trusted until every proxy restarted; Linkerd's guide sources linkerd-trust-anchor and linkerd-previous-anchor for that. With one source the old anchor vanishes the moment the new one is issued.",
  check(ctx) {
    const anchorSources = bundleSources(ctx.object).filter((s) => s.kind !== 'defaultCAs');
    if (anchorSources.length >= 2) return [];
    return [{
      path: isClusterBundle(ctx.object) ? 'spec.sourceRefs' : 'spec.sources',
      message: `only ${anchorSources.length} anchor source: during an anchor rotation the old anchor leaves the bundle before proxies restart, and mTLS between old and new workloads breaks. Add a second source, e.g. Secret ${ctx.config.anchorNames[1] ?? 'linkerd-previous-anchor'} key tls.crt.`,
    }];
  },
};

export const clusterScoped: RuleDefinition = {
  id: 'bundle/cluster-scoped',
  title: 'Bundle manifests carry no namespace',
  appliesTo: ['trust-bundle'],
  defaultSeverity: 'warning',
  lintOnly: true,
  repair: 'removes `metadata.namespace`',
  rationale: 'Bundles are cluster-scoped; a namespace in the manifest suggests the author expects sources or targets there, which trust-manager ignores (trust-manager#120).',
  check(ctx) {
    if (namespaceOf(ctx.object) === undefined) return [];
    if (!isBundle(ctx.object) && !isClusterBundle(ctx.object)) return [];
    return [{
      path: 'metadata.namespace',
      message: `metadata.namespace is ${clip(namespaceOf(ctx.object))}, but a Bundle is cluster-scoped: sources are read only from the trust namespace (${ctx.config.trustNamespace}). Remove the namespace.`,
      patch: [{ op: 'remove', path: '/metadata/namespace' }],
    }];
  },
};

export const BUNDLE_RULES: readonly RuleDefinition[] = [
  bundleName, targetConfigMap, targetKey, namespaceSelector, noPrivateKeys, noDefaultCAs, rotationOverlap, clusterScoped,
];
