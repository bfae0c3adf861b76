/**
 * The CEL form of every single-object admission rule: for each violation a rule can report, when it
 * occurs (a CEL boolean over the object) and what its message says. The generator (generate.ts) adds
 * roles, severities, the UPDATE semantics and the rule id. A test over the catalogue fails naming any
 * admission rule that has neither a CEL form here nor a reason in WEBHOOK_ONLY.
 *
 * The objects the policies see are typed by the CRDs (cert-manager.io/v1 Certificate,
 * trust.cert-manager.io/v1alpha1 Bundle): fields have their schema's types, unknown fields are
 * pruned before admission, so the forms read them without the rules' defensive type checks.
 */
import type { Role, Severity } from '../rules/types.js';
import { EXTENDED_KEY_USAGES } from '../rules/certificate.js';
import { and, lit, not, or, orElse, present, text } from './cel.js';

export type PolicyKind = 'certificate' | 'bundle';

/** What a form reads: the object variable (`object`/`oldObject`) and a CEL expression for its role. */
export interface Subject {
  o: string;
  role: string;
}

export interface CelForm {
  rule: string;
  kind: PolicyKind;
  roles: readonly Role[];
  /** the finding's severity when it differs from the rule's default (e.g. an anchor's namespace) */
  severity?: Severity;
  /** the finding's field path; for `each`, the path below one list item, e.g. `secret.key` */
  path: string;
  /** the form judges every item of this list (a field bounded by the CRD's maxItems) */
  each?: { list: string; maxItems: number };
  /** CEL boolean: the violation is present (for `each`: in the item `item`) */
  violated(s: Subject, item?: string): string;
  /** CEL string: what is wrong, why Linkerd cares, what to write (the generator adds path and rule) */
  message(s: Subject): string;
}

const BOTH = ['identity-issuer', 'trust-anchor'] as const;
const ISSUER = ['identity-issuer'] as const;
const BUNDLE = ['trust-bundle'] as const;

const who = (s: Subject): string => `${s.role} == "identity-issuer" ? "the identity issuer" : "a trust anchor"`;
const alg = (s: Subject): string => `${s.o}.spec.privateKey.algorithm`;
const hasAlg = (s: Subject): string => present(s.o, 'spec.privateKey.algorithm');
const hasSize = (s: Subject): string => present(s.o, 'spec.privateKey.size');
const size = (s: Subject): string => `${s.o}.spec.privateKey.size`;
/** cert-manager's default when `spec.duration` is unset: 90 days. */
const DEFAULT_DURATION = '2160h';
/** Go's time.ParseDuration syntax, unsigned, as cert-manager's durations are read (parseGoDuration). */
const GO_DURATION = '^(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|ms|s|m|h))+$';
const isDuration = (x: string): string => `(${x} == "0" || ${x}.matches(${lit(GO_DURATION)}))`;
/** A CEL string in double quotes, as the rules quote values. */
const quoted = (x: string): string => `"\\"" + ${x} + "\\""`;
const namespaceOf = (s: Subject): string => orElse(s.o, 'metadata.namespace', 'request.namespace');


const NAME_LABEL = 'kubernetes.io/metadata.name';
const INJECT_LABEL = 'linkerd.io/inject';
const selector = (s: Subject): string => `${s.o}.spec.target.namespaceSelector`;
const matchLabels = (s: Subject): string => `${selector(s)}.matchLabels`;
const matchExpressions = (s: Subject): string => `${selector(s)}.matchExpressions`;
const hasLabels = (s: Subject): string => and(present(s.o, 'spec.target.namespaceSelector.matchLabels'), `size(${matchLabels(s)}) > 0`);
const hasExpressions = (s: Subject): string => and(present(s.o, 'spec.target.namespaceSelector.matchExpressions'), `size(${matchExpressions(s)}) > 0`);
/** No requirement at all: every namespace. */
const selectsEverything = (s: Subject): string => not(or(hasLabels(s), hasExpressions(s)));
const KNOWN_KEYS = `[${lit(NAME_LABEL)}, variables.namespaceLabel, ${lit(INJECT_LABEL)}]`;
/** A requirement on a known label that does not hold for the Linkerd namespace. */
function selectorMisses(s: Subject): string {
  const label = `${and(hasLabels(s), `${matchLabels(s)}.exists(k, ${or(
    `(k == ${lit(NAME_LABEL)} && ${matchLabels(s)}[k] != variables.linkerdNamespace)`,
    `(k == variables.namespaceLabel && ${matchLabels(s)}[k] != "true")`,
    `k == ${lit(INJECT_LABEL)}`,
  )})`)}`;
  const vals = '(has(e.values) ? e.values : [])';
  const valueFails = (value: string): string => or(`(e.operator == "In" && !(${value} in ${vals}))`, `(e.operator == "NotIn" && ${value} in ${vals})`, 'e.operator == "DoesNotExist"');
  const expr = and(hasExpressions(s), `${matchExpressions(s)}.exists(e, ${or(
    and(`e.key == ${lit(NAME_LABEL)}`, valueFails('variables.linkerdNamespace')),
    and('e.key == variables.namespaceLabel', valueFails('"true"')),
    and(`e.key == ${lit(INJECT_LABEL)}`, or('e.operator == "In"', 'e.operator == "Exists"')),
  )})`);
  return or(label, expr);
}
/** A requirement on a label whose value for the Linkerd namespace is not known here, or an unknown operator. */
function selectorUnknown(s: Subject): string {
  return or(
    and(hasLabels(s), `${matchLabels(s)}.exists(k, !(k in ${KNOWN_KEYS}))`),
    and(hasExpressions(s), `${matchExpressions(s)}.exists(e, !(e.key in ${KNOWN_KEYS}) || !(e.operator in ["In", "NotIn", "Exists", "DoesNotExist"]))`),
  );
}

export const CEL_FORMS: readonly CelForm[] = [
  // certificate/is-ca
  {
    rule: 'certificate/is-ca', kind: 'certificate', roles: BOTH, path: 'spec.isCA',
    violated: (s) => not(and(present(s.o, 'spec.isCA'), `${s.o}.spec.isCA == true`)),
    message: (s) => text`spec.isCA must be true: ${who(s)} signs certificates, and without isCA cert-manager issues a leaf that Linkerd rejects ("it must be an intermediate-CA"). Write \`isCA: true\`.`,
  },
  // certificate/issuer-ref-kind
  {
    rule: 'certificate/issuer-ref-kind', kind: 'certificate', roles: BOTH, path: 'spec.issuerRef.kind',
    violated: (s) => and(
      or(not(present(s.o, 'spec.issuerRef.group')), `${s.o}.spec.issuerRef.group == ""`, `${s.o}.spec.issuerRef.group == "cert-manager.io"`),
      present(s.o, 'spec.issuerRef.kind'),
      `!(${s.o}.spec.issuerRef.kind in ["Issuer", "ClusterIssuer"])`,
    ),
    message: (s) => text`spec.issuerRef.kind is ${quoted(`${s.o}.spec.issuerRef.kind`)}: cert-manager signs only through an Issuer or a ClusterIssuer, and its webhook refuses this Certificate. Write \`kind: ClusterIssuer\` (or \`Issuer\`, in the same namespace) naming the issuer that signs ${who(s)}.`,
  },
  // certificate/key-algorithm
  {
    rule: 'certificate/key-algorithm', kind: 'certificate', roles: ISSUER, path: 'spec.privateKey.algorithm',
    violated: (s) => not(and(hasAlg(s), `${alg(s)} == "ECDSA"`)),
    message: (s) => text`spec.privateKey.algorithm is ${`${hasAlg(s)} ? ${alg(s)} : "unset, so cert-manager generates an RSA key"`}: Linkerd's identity issuer must use an ECDSA P-256 key ("must use ECDSA"). Write \`privateKey.algorithm: ECDSA\`.`,
  },
  {
    rule: 'certificate/key-algorithm', kind: 'certificate', roles: ['trust-anchor'], severity: 'warning', path: 'spec.privateKey.algorithm',
    violated: (s) => not(hasAlg(s)),
    message: () => text`spec.privateKey.algorithm is unset, so cert-manager generates an RSA 2048 key; Linkerd accepts it since 2.12 but its guides use ECDSA P-256. Write \`privateKey.algorithm: ECDSA\`.`,
  },
  {
    rule: 'certificate/key-algorithm', kind: 'certificate', roles: ['trust-anchor'], path: 'spec.privateKey.size',
    violated: (s) => and(hasAlg(s), `${alg(s)} == "RSA"`, hasSize(s), `!(${size(s)} in [2048, 4096])`),
    message: (s) => text`spec.privateKey.size is ${`string(${size(s)})`}: Linkerd accepts RSA trust anchors only with 2048 or 4096 bit keys. Write \`size: 4096\` or use ECDSA.`,
  },
  {
    rule: 'certificate/key-algorithm', kind: 'certificate', roles: ['trust-anchor'], path: 'spec.privateKey.algorithm',
    violated: (s) => and(hasAlg(s), `!(${alg(s)} in ["ECDSA", "RSA"])`),
    message: (s) => text`spec.privateKey.algorithm is ${alg(s)}: Linkerd's trust anchor must be ECDSA P-256 or RSA 2048/4096. Write \`algorithm: ECDSA\`.`,
  },
  // certificate/key-size: the issuer is judged as ECDSA whatever it says; an anchor only when ECDSA (or unset)
  {
    rule: 'certificate/key-size', kind: 'certificate', roles: BOTH, path: 'spec.privateKey.size',
    violated: (s) => and(or(`${s.role} == "identity-issuer"`, not(hasAlg(s)), `${alg(s)} == "ECDSA"`), hasSize(s), `${size(s)} != 256`),
    message: (s) => text`spec.privateKey.size is ${`string(${size(s)})`}: ${who(s)} must use the P-256 curve; P-384 and P-521 keys break Linkerd's proxies. Write \`size: 256\` or leave it unset.`,
  },
  // certificate/rotation-policy
  {
    rule: 'certificate/rotation-policy', kind: 'certificate', roles: BOTH, path: 'spec.privateKey.rotationPolicy',
    violated: (s) => `(${present(s.o, 'spec.privateKey.rotationPolicy')} ? ${s.o}.spec.privateKey.rotationPolicy != "Always" : variables.requireExplicitRotationPolicy)`,
    message: (s) => `${present(s.o, 'spec.privateKey.rotationPolicy')} ? ${text`spec.privateKey.rotationPolicy is ${quoted(`${s.o}.spec.privateKey.rotationPolicy`)}: cert-manager then renews ${who(s)} without a new key, so the CA key never rotates. Write \`rotationPolicy: Always\`.`} : ${text`spec.privateKey.rotationPolicy is unset: cert-manager before v1.18 then never rotates the private key, and a wrong key is never replaced. Write \`rotationPolicy: Always\`.`}`,
  },
  // certificate/namespace
  {
    rule: 'certificate/namespace', kind: 'certificate', roles: ISSUER, path: 'metadata.namespace',
    violated: (s) => `${namespaceOf(s)} != variables.linkerdNamespace`,
    message: (s) => text`metadata.namespace is ${namespaceOf(s)}: Linkerd reads its identity issuer Secret only from namespace ${'variables.linkerdNamespace'}, so this Certificate would never be used. Create it in namespace ${'variables.linkerdNamespace'}.`,
  },
  {
    rule: 'certificate/namespace', kind: 'certificate', roles: ['trust-anchor'], severity: 'warning', path: 'metadata.namespace',
    violated: (s) => `${namespaceOf(s)} != variables.trustNamespace`,
    message: (s) => text`metadata.namespace is ${namespaceOf(s)}: trust-manager reads Secret sources only from its trust namespace ${'variables.trustNamespace'}, so the Bundle cannot copy this anchor. Create it in namespace ${'variables.trustNamespace'}.`,
  },
  // certificate/secret-name
  {
    rule: 'certificate/secret-name', kind: 'certificate', roles: ISSUER, path: 'spec.secretName',
    violated: (s) => not(and(present(s.o, 'spec.secretName'), `${s.o}.spec.secretName == variables.issuerName`)),
    message: (s) => text`spec.secretName is ${quoted(`${s.o}.spec.secretName`)}: Linkerd reads the identity issuer only from Secret ${'variables.issuerName'}. Write \`secretName: ${'variables.issuerName'}\`.`,
  },
  // certificate/usages
  {
    rule: 'certificate/usages', kind: 'certificate', roles: BOTH, path: 'spec.usages',
    violated: (s) => and(present(s.o, 'spec.usages'), `!("cert sign" in ${s.o}.spec.usages)`),
    message: (s) => text`spec.usages lacks "cert sign": ${who(s)} must be allowed to sign certificates. Add \`- cert sign\`.`,
  },
  {
    rule: 'certificate/usages', kind: 'certificate', roles: BOTH, path: 'spec.usages',
    violated: (s) => and(
      present(s.o, 'spec.usages'),
      `${s.o}.spec.usages.exists(u, u in ${lit([...EXTENDED_KEY_USAGES])})`,
      `!("server auth" in ${s.o}.spec.usages)`,
      `!("any" in ${s.o}.spec.usages)`,
    ),
    message: () => text`spec.usages sets extended key usages without "server auth": Go's verifier in \`linkerd check\` then rejects the chain ("incompatible key usage"). Add \`- server auth\`.`,
  },
  // certificate/durations (the comparison with the anchor's lifetime is cross-object: webhook only)
  {
    rule: 'certificate/durations', kind: 'certificate', roles: ISSUER, path: 'spec.duration',
    violated: (s) => and(present(s.o, 'spec.duration'), not(isDuration(`${s.o}.spec.duration`))),
    message: (s) => text`spec.duration ${quoted(`${s.o}.spec.duration`)} is not a duration. Write e.g. \`duration: 48h\`.`,
  },
  {
    rule: 'certificate/durations', kind: 'certificate', roles: ISSUER, path: 'spec.renewBefore',
    violated: (s) => and(
      present(s.o, 'spec.renewBefore'),
      or(not(present(s.o, 'spec.duration')), isDuration(`${s.o}.spec.duration`)),
      or(
        not(isDuration(`${s.o}.spec.renewBefore`)),
        `duration(${s.o}.spec.renewBefore) >= duration(${orElse(s.o, 'spec.duration', lit(DEFAULT_DURATION))})`,
      ),
    ),
    message: (s) => `${isDuration(`${s.o}.spec.renewBefore`)} ? ${text`spec.renewBefore (${`${s.o}.spec.renewBefore`}) is not shorter than spec.duration (${orElse(s.o, 'spec.duration', lit(DEFAULT_DURATION))}): cert-manager cannot schedule the renewal and the issuer expires. Write a renewBefore below the duration, e.g. half of it.`} : ${text`spec.renewBefore ${quoted(`${s.o}.spec.renewBefore`)} is not a duration. Write e.g. \`renewBefore: 25h\`.`}`,
  },
  // certificate/signature-algorithm (SHA256WithRSA is accepted under an RSA anchor: cross-object, webhook only)
  {
    rule: 'certificate/signature-algorithm', kind: 'certificate', roles: ISSUER, path: 'spec.signatureAlgorithm',
    violated: (s) => and(present(s.o, 'spec.signatureAlgorithm'), `${s.o}.spec.signatureAlgorithm != "ECDSAWithSHA256"`),
    message: (s) => text`spec.signatureAlgorithm is ${quoted(`${s.o}.spec.signatureAlgorithm`)}: Linkerd accepts only ECDSAWithSHA256 (or SHA256WithRSA under an RSA anchor). Write \`signatureAlgorithm: ECDSAWithSHA256\` or remove the field.`,
  },
  // certificate/name-constraints
  {
    rule: 'certificate/name-constraints', kind: 'certificate', roles: ISSUER, path: 'spec.nameConstraints',
    violated: (s) => present(s.o, 'spec.nameConstraints'),
    message: () => text`spec.nameConstraints is set: unless it permits every workload identity (*.${'variables.identityName'}), proxies fail with NameConstraintViolation. Remove it or make sure it permits them.`,
  },
  // certificate/common-name
  {
    rule: 'certificate/common-name', kind: 'certificate', roles: ISSUER, path: 'spec.commonName',
    violated: (s) => not(or(
      and(present(s.o, 'spec.commonName'), `${s.o}.spec.commonName == variables.identityName`),
      and(present(s.o, 'spec.dnsNames'), `variables.identityName in ${s.o}.spec.dnsNames`),
    )),
    message: () => text`spec.commonName is not ${'variables.identityName'} and no dnsNames entry is: Linkerd expects its issuer to be named identity.<namespace>.<trustDomain>. Write \`commonName: ${'variables.identityName'}\`.`,
  },
  // bundle/name
  {
    rule: 'bundle/name', kind: 'bundle', roles: BUNDLE, path: 'metadata.name',
    violated: (s) => and(`has(${s.o}.metadata.name)`, `${s.o}.metadata.name != variables.bundleName`),
    message: (s) => text`metadata.name is ${`${s.o}.metadata.name`}: trust-manager writes the ConfigMap under the Bundle's name, and Linkerd reads ${'variables.bundleName'}. Name the Bundle ${'variables.bundleName'}.`,
  },
  // bundle/target-configmap
  {
    rule: 'bundle/target-configmap', kind: 'bundle', roles: BUNDLE, path: 'spec.target.configMap',
    violated: (s) => not(present(s.o, 'spec.target.configMap')),
    message: () => text`spec.target.configMap is missing: Linkerd reads its trust roots only from ConfigMap ${'variables.bundleName'}, never from a Secret target. Add \`target: {configMap: {key: ${'variables.bundleKey'}}}\`.`,
  },
  // bundle/target-key
  {
    rule: 'bundle/target-key', kind: 'bundle', roles: BUNDLE, path: 'spec.target.configMap.key',
    violated: (s) => and(present(s.o, 'spec.target.configMap'), not(and(`has(${s.o}.spec.target.configMap.key)`, `${s.o}.spec.target.configMap.key == variables.bundleKey`))),
    message: (s) => text`spec.target.configMap.key is ${`has(${s.o}.spec.target.configMap.key) ? ${quoted(`${s.o}.spec.target.configMap.key`)} : "unset"`}: Linkerd reads its trust roots from key ${'variables.bundleKey'}. Write \`key: ${'variables.bundleKey'}\`.`,
  },
  // bundle/namespace-selector: what the selector selects for the Linkerd namespace, known by its name
  // (kubernetes.io/metadata.name), the control-plane label it is meant to carry, and the injection
  // label it never carries; a selector on any other label only warns (the manifest is another object)
  {
    rule: 'bundle/namespace-selector', kind: 'bundle', roles: BUNDLE, severity: 'error', path: 'spec.target.namespaceSelector',
    violated: (s) => and(not(selectsEverything(s)), selectorMisses(s)),
    message: () => text`spec.target.namespaceSelector never selects namespace ${'variables.linkerdNamespace'} (a selector on the injection label, another namespace's name, or a value the control-plane label does not have), so Linkerd never gets ConfigMap ${'variables.bundleName'}. Write \`namespaceSelector: {matchLabels: {${'variables.namespaceLabel'}: "true"}}\`.`,
  },
  {
    rule: 'bundle/namespace-selector', kind: 'bundle', roles: BUNDLE, severity: 'warning', path: 'spec.target.namespaceSelector',
    violated: (s) => or(selectsEverything(s), and(not(selectorMisses(s)), selectorUnknown(s))),
    message: () => text`spec.target.namespaceSelector does not select ${'variables.namespaceLabel'}: "true": trust-manager copies the roots into every namespace it matches, and namespace ${'variables.linkerdNamespace'} must carry what it selects. Prefer \`namespaceSelector: {matchLabels: {${'variables.namespaceLabel'}: "true"}}\`.`,
  },
  // bundle/no-private-keys, per source (the CRD allows at most 100)
  ...(['secret', 'configMap'] as const).map((kind): CelForm => ({
    rule: 'bundle/no-private-keys', kind: 'bundle', roles: BUNDLE, path: `${kind}.key`, each: { list: 'spec.sources', maxItems: 100 },
    violated: (_s, item = '') => {
      const k = `${item}.${kind}.key`;
      return and(`has(${item}.${kind})`, `has(${k})`, or(`${k} == "tls.key"`, `${k}.endsWith(".key")`, `${k} == "key.pem"`, `${k}.endsWith("-key.pem")`));
    },
    message: () => text`names a private key, and the Bundle would copy it into every target namespace. Source the certificate instead (\`key: tls.crt\` or \`ca.crt\`).`,
  })),
  {
    rule: 'bundle/no-private-keys', kind: 'bundle', roles: BUNDLE, path: 'secret.includeAllKeys', each: { list: 'spec.sources', maxItems: 100 },
    // a selector may match any cert-manager Secret; a named one is a TLS Secret when it is one of Linkerd's
    violated: (_s, item = '') => and(
      `has(${item}.secret)`, `has(${item}.secret.includeAllKeys)`, `${item}.secret.includeAllKeys == true`,
      or(`!has(${item}.secret.name)`, `${item}.secret.name in variables.anchorNames`, `${item}.secret.name == variables.issuerName`),
    ),
    message: () => text`reads every key of a TLS Secret, including tls.key, and would publish the CA's private key. Write \`key: tls.crt\` instead.`,
  },
  {
    rule: 'bundle/no-private-keys', kind: 'bundle', roles: BUNDLE, path: 'inLine', each: { list: 'spec.sources', maxItems: 100 },
    violated: (_s, item = '') => and(`has(${item}.inLine)`, `${item}.inLine.matches(${lit('(^|\\n)[ \\t]*-----BEGIN [^-\\n]*PRIVATE KEY[^-\\n]*-----[ \\t\\r]*(\\n|$)')})`),
    message: () => text`holds a PRIVATE KEY block, and the Bundle would copy it into every target namespace. Remove the key and keep only the CA certificates; a published key must be rotated.`,
  },
  // bundle/no-default-cas
  {
    rule: 'bundle/no-default-cas', kind: 'bundle', roles: BUNDLE, path: 'useDefaultCAs', each: { list: 'spec.sources', maxItems: 100 },
    violated: (_s, item = '') => and(`has(${item}.useDefaultCAs)`, `${item}.useDefaultCAs == true`),
    message: () => text`adds the public default CA package: every publicly issued certificate would become a mesh trust anchor. Remove it.`,
  },
  // bundle/rotation-overlap
  {
    rule: 'bundle/rotation-overlap', kind: 'bundle', roles: BUNDLE, path: 'spec.sources',
    violated: (s) => `${anchorSources(s)} < 2`,
    message: (s) => text`spec.sources: only ${`string(${anchorSources(s)})`} anchor source: during an anchor rotation the old anchor leaves the bundle before proxies restart, and mTLS between old and new workloads breaks. Add a second source, e.g. Secret ${'size(variables.anchorNames) > 1 ? variables.anchorNames[1] : "linkerd-previous-anchor"'} key tls.crt.`,
  },
];

/** Sources that can hold an anchor: every secret, configMap and inLine entry (bundleSources). */
function anchorSources(s: Subject): string {
  const l = `${s.o}.spec.sources`;
  return `(has(${s.o}.spec.sources) ? ${l}.filter(x, has(x.secret)).size() + ${l}.filter(x, has(x.configMap)).size() + ${l}.filter(x, has(x.inLine)).size() : 0)`;
}

/**
 * Admission rules no CEL policy can express, and why; `docs/policy.md` lists them. Lint-only rules
 * never run at admission and need no entry.
 */
export const WEBHOOK_ONLY: Readonly<Record<string, string>> = {
  'setup/issuer-ref': 'reads the Issuer or ClusterIssuer the Certificate names (another object)',
  'setup/anchor-sourced': 'reads the trust anchor Certificates (other objects)',
  'setup/issuer-self-signed': 'reads the Issuer or ClusterIssuer the identity issuer names (another object)',
  'setup/anchor-bootstrap': 'reads the Issuer or ClusterIssuer the trust anchor names (another object)',
};

/** Parts of expressible rules that read other objects, for the docs. */
export const WEBHOOK_ONLY_PARTS: Readonly<Record<string, string>> = {
  'certificate/durations': "the issuer outliving its trust anchor (the anchor's duration is another object's)",
  'certificate/signature-algorithm': 'SHA256WithRSA under an RSA trust anchor (the policies refuse it, as the webhook does when it does not know the anchor)',
  'bundle/no-private-keys': 'includeAllKeys on a Secret that is not one of the configured names (whether it is a TLS Secret is another object)',
  'bundle/namespace-selector': 'labels other than the namespace name, the control-plane label and the injection label are judged against the Linkerd Namespace (another object): the policies warn on them; and the repair',
};
