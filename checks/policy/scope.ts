/**
 * Scope in CEL: which Certificates and Bundles are Linkerd's (the same recognition as
 * checks/rules/scope.ts, which a test compares object by object).
 *
 * - `certificateMatch`/`bundleMatch`: the coarse `matchConditions` the chart's webhook
 *   configurations carry (charts/linkerd-cert-guard/templates/_helpers.tpl, `lcg.cel.*`), with the
 *   configuration as literals: matchConditions cannot read policy variables. A test renders the chart
 *   and requires the same text.
 * - `certificateRole`/`bundleRole`: the exact role, reading the configuration from the policy's
 *   variables; "" when the object is not Linkerd's.
 */
import { anchorCommonName, identityName, type Config } from '../config.js';
import { ROLE_LABEL } from '../rules/scope.js';
import { lit, present } from './cel.js';

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** The chart's `lcg.cel.certificate`, for the object bound to `v`. */
export function certificateMatch(v: string, config: Config): string {
  const names = lit(unique([config.issuerName, ...config.anchorNames]));
  const cns = lit(unique([identityName(config), anchorCommonName(config), 'root.linkerd.cluster.local']));
  return `(${v} != null && (
  (has(${v}.metadata.name) && ${v}.metadata.name in ${names}) ||
  (has(${v}.metadata.labels) && ${lit(ROLE_LABEL)} in ${v}.metadata.labels) ||
  (has(${v}.spec) && (
    (has(${v}.spec.secretName) && ${v}.spec.secretName in ${names}) ||
    (has(${v}.spec.commonName) && ${v}.spec.commonName in ${cns}) ||
    (has(${v}.spec.dnsNames) && ${v}.spec.dnsNames.exists(n, n == ${lit(identityName(config))}))
  ))
))`;
}

/** The chart's `lcg.cel.bundle`, for the object bound to `v`. */
export function bundleMatch(v: string, config: Config): string {
  const t = `${v}.spec.target`;
  const label = lit(config.namespaceLabel);
  const key = lit(config.bundleKey);
  const secrets = lit([config.issuerName, ...config.anchorNames]);
  return `(${v} != null && (
  (has(${v}.metadata.name) && ${v}.metadata.name == ${lit(config.bundleName)}) ||
  (has(${v}.metadata.labels) && ${lit(ROLE_LABEL)} in ${v}.metadata.labels) ||
  (has(${v}.spec) && has(${v}.spec.sources) && ${v}.spec.sources.exists(s, has(s.secret) && has(s.secret.name) && s.secret.name in ${secrets})) ||
  (has(${v}.spec) && has(${v}.spec.sourceRefs) && ${v}.spec.sourceRefs.exists(s, has(s.kind) && s.kind == "Secret" && has(s.name) && s.name in ${secrets})) ||
  (has(${v}.spec) && has(${t}) && (
    (has(${t}.namespaceSelector) && (
      (has(${t}.namespaceSelector.matchLabels) && ${label} in ${t}.namespaceSelector.matchLabels) ||
      (has(${t}.namespaceSelector.matchExpressions) && ${t}.namespaceSelector.matchExpressions.exists(e, has(e.key) && e.key == ${label}))
    )) ||
    (has(${t}.configMap) && (
      (has(${t}.configMap.key) && ${t}.configMap.key == ${key}) ||
      (has(${t}.configMap.data) && ${t}.configMap.data.exists(d, has(d.key) && d.key == ${key}))
    )) ||
    (has(${t}.secret) && (
      (has(${t}.secret.key) && ${t}.secret.key == ${key}) ||
      (has(${t}.secret.data) && ${t}.secret.data.exists(d, has(d.key) && d.key == ${key}))
    ))
  ))
))`;
}

/** The webhook's matchCondition: the object or, on UPDATE, the old object can be Linkerd's. */
export function matchCondition(kind: 'certificate' | 'bundle', config: Config): string {
  const m = kind === 'certificate' ? certificateMatch : bundleMatch;
  return `${m('object', config)} ||\n${m('oldObject', config)}`;
}

const label = (v: string): string => `${v}.metadata.labels[${lit(ROLE_LABEL)}]`;
const hasLabel = (v: string): string => `(has(${v}.metadata.labels) && ${lit(ROLE_LABEL)} in ${v}.metadata.labels)`;

/** roleOf for a Certificate: label, then configured names, then the DNS names Linkerd's guides use. */
export function certificateRole(v: string): string {
  const nameIs = (test: string) => `((has(${v}.metadata.name) && ${v}.metadata.name ${test}) || (${present(v, 'spec.secretName')} && ${v}.spec.secretName ${test}))`;
  const cn = present(v, 'spec.commonName');
  return `${v} == null ? "" :
(${hasLabel(v)} && ${label(v)} in ["identity-issuer", "trust-anchor"]) ? ${label(v)} :
${nameIs('== variables.issuerName')} ? "identity-issuer" :
${nameIs('in variables.anchorNames')} ? "trust-anchor" :
((${cn} && ${v}.spec.commonName == variables.identityName) || (${present(v, 'spec.dnsNames')} && variables.identityName in ${v}.spec.dnsNames)) ? "identity-issuer" :
(${cn} && ${v}.spec.commonName == variables.anchorCommonName) ? "trust-anchor" :
""`;
}

/** roleOf for a trust.cert-manager.io Bundle: label, name, the selector's label, the target key, a source of Linkerd's Secrets. */
export function bundleRole(v: string): string {
  const sel = `${v}.spec.target.namespaceSelector`;
  return `${v} == null ? "" :
((${hasLabel(v)} && ${label(v)} == "trust-bundle") ||
 (has(${v}.metadata.name) && ${v}.metadata.name == variables.bundleName) ||
 (${present(v, 'spec.target.namespaceSelector')} && (
   (has(${sel}.matchLabels) && variables.namespaceLabel in ${sel}.matchLabels) ||
   (has(${sel}.matchExpressions) && ${sel}.matchExpressions.exists(e, e.key == variables.namespaceLabel)))) ||
 (${present(v, 'spec.target.configMap.key')} && ${v}.spec.target.configMap.key == variables.bundleKey) ||
 (${present(v, 'spec.sources')} && ${v}.spec.sources.exists(s, has(s.secret) && has(s.secret.name) && (s.secret.name == variables.issuerName || s.secret.name in variables.anchorNames)))) ? "trust-bundle" :
""`;
}
