/**
 * Rules over cert-manager Certificates that play the identity issuer or a trust anchor (and, for the
 * legacy API versions, the Issuers and ClusterIssuers that sign them).
 * Each rule is plain data plus a pure check; messages say what is wrong, why Linkerd
 * cares, and what to write instead.
 */
import { identityName } from '../config.js';
import type { K8sObject, RuleContext, RuleDefinition, Violation } from './types.js';
import {
  apiGroup, apiVersionOnly, arr, at, dotted, formatDuration, isCertificate, isClusterIssuer, isIssuer, isRecord, namespaceOf, parseGoDuration,
  pointer, refersToCertManager, str, strings,
} from './object.js';
import { setOp } from './patch.js';
import { anchorsOf, oncePerSet } from './related.js';
import { clip, quote } from '../limits.js';

const ISSUER_AND_ANCHOR = ['identity-issuer', 'trust-anchor'] as const;

/** cert-manager's key usages vs extended key usages (pkg/apis/certmanager/v1/types.go). */
export const EXTENDED_KEY_USAGES = new Set([
  'any', 'server auth', 'client auth', 'code signing', 'email protection', 's/mime', 'ipsec end system',
  'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing', 'microsoft sgc', 'netscape sgc',
]);

function who(ctx: RuleContext): string {
  return ctx.role === 'identity-issuer' ? 'the identity issuer' : 'a trust anchor';
}

/** The key algorithm cert-manager will use: privateKey.algorithm, else legacy keyAlgorithm, else RSA. */
export function effectiveAlgorithm(o: K8sObject): { value: string; explicit: boolean } {
  const a = str(at(o, 'spec', 'privateKey', 'algorithm'));
  if (a !== undefined) return { value: a, explicit: true };
  const legacy = str(at(o, 'spec', 'keyAlgorithm'));
  if (legacy !== undefined) return { value: v1KeyAlgorithm(legacy), explicit: true };
  return { value: 'RSA', explicit: false };
}

/** A legacy `keyAlgorithm` (`rsa`, `ecdsa`, lower case) as v1's `privateKey.algorithm` spells it. */
function v1KeyAlgorithm(legacy: string): string {
  const v1 = ({ ecdsa: 'ECDSA', rsa: 'RSA', ed25519: 'Ed25519' } as Record<string, string>)[legacy.toLowerCase()];
  return v1 ?? legacy;
}

export function effectiveSize(o: K8sObject): number | undefined {
  const s = at(o, 'spec', 'privateKey', 'size') ?? at(o, 'spec', 'keySize');
  return typeof s === 'number' ? s : undefined;
}

export const isCa: RuleDefinition = {
  id: 'certificate/is-ca',
  title: 'Identity issuer and trust anchor are CA certificates',
  appliesTo: ISSUER_AND_ANCHOR,
  defaultSeverity: 'error',
  repair: 'sets `spec.isCA: true`',
  rationale:
    "Linkerd's identity controller refuses an issuer that is not a CA (\"it must be an intermediate-CA, but it is not\", linkerd2#6453, cert-manager#4654) and `linkerd install` fails with \"issuer cert is not a CA\" (linkerd2#10391). A trust anchor must be a CA to sign the issuer.",
  check(ctx) {
    if (at(ctx.object, 'spec', 'isCA') === true) return [];
    return [{
      path: 'spec.isCA',
      message: `spec.isCA must be true: ${who(ctx)} signs certificates, and without isCA cert-manager issues a leaf that Linkerd rejects ("it must be an intermediate-CA"). Write \`isCA: true\`.`,
      patch: [setOp(ctx.object, ['spec', 'isCA'], true)],
    }];
  },
};

export const keyAlgorithm: RuleDefinition = {
  id: 'certificate/key-algorithm',
  title: 'Issuer key is ECDSA; anchor key is ECDSA or RSA 2048/4096',
  appliesTo: ISSUER_AND_ANCHOR,
  defaultSeverity: 'error',
  repair: 'sets `spec.privateKey.algorithm: ECDSA` (issuer always; anchor only when unset)',
  rationale:
    "cert-manager's default key algorithm is RSA. Linkerd's issuer must be ECDSA P-256: the identity controller and `linkerd check` reject anything else (linkerd/website#826, linkerd2#4323). Trust anchors may be RSA 2048 or 4096 since Linkerd 2.12 (linkerd2#7771, #8868), so an anchor left at cert-manager's RSA 2048 default is only a warning.",
  check(ctx) {
    const { value, explicit } = effectiveAlgorithm(ctx.object);
    const path = ['spec', 'privateKey', 'algorithm'];
    if (ctx.role === 'identity-issuer') {
      if (value === 'ECDSA') return [];
      const patch = [setOp(ctx.object, path, 'ECDSA')];
      const size = effectiveSize(ctx.object);
      if (size !== undefined && size !== 256 && at(ctx.object, 'spec', 'privateKey', 'size') !== undefined) {
        patch.push(setOp(ctx.object, ['spec', 'privateKey', 'size'], 256));
      }
      return [{
        path: 'spec.privateKey.algorithm',
        message: explicit
          ? `spec.privateKey.algorithm is ${clip(value)}: Linkerd's identity issuer must use an ECDSA P-256 key, or identity fails with "issuer certificate must use ECDSA". Write \`algorithm: ECDSA\`.`
          : "spec.privateKey.algorithm is unset, so cert-manager generates an RSA key, which Linkerd's identity issuer rejects (\"must use ECDSA\"). Write `privateKey.algorithm: ECDSA`.",
        patch,
      }];
    }
    // trust anchor
    if (!explicit) {
      // RSA 2048 works for an anchor (Linkerd >= 2.12): a warning with the repair, not a failure
      return [{
        path: 'spec.privateKey.algorithm',
        severity: 'warning',
        message: 'spec.privateKey.algorithm is unset, so cert-manager generates an RSA 2048 key; Linkerd accepts it since 2.12 but its guides use ECDSA P-256. Write `privateKey.algorithm: ECDSA`.',
        patch: [setOp(ctx.object, path, 'ECDSA')],
      }];
    }
    if (value === 'ECDSA') return [];
    if (value === 'RSA') {
      const size = effectiveSize(ctx.object) ?? 2048;
      if (size === 2048 || size === 4096) return [];
      return [{
        path: 'spec.privateKey.size',
        message: `spec.privateKey.size is ${size}: Linkerd accepts RSA trust anchors only with 2048 or 4096 bit keys ("RSA must use a 2048 or 4096 bit public key"). Write \`size: 4096\` or use ECDSA.`,
      }];
    }
    return [{
      path: 'spec.privateKey.algorithm',
      message: `spec.privateKey.algorithm is ${clip(value)}: Linkerd's trust anchor must be ECDSA P-256 or RSA 2048/4096 ("trust anchor must use ECDSA or RSA"). Write \`algorithm: ECDSA\`.`,
    }];
  },
};

export const keySize: RuleDefinition = {
  id: 'certificate/key-size',
  title: 'ECDSA keys are P-256',
  appliesTo: ISSUER_AND_ANCHOR,
  defaultSeverity: 'error',
  repair: 'sets `spec.privateKey.size: 256`',
  rationale:
    'cert-manager accepts ECDSA sizes 384 and 521, but Linkerd requires P-256: P-521 anchors give proxies "UnknownIssuer" (linkerd2#3777) and larger EC keys "BadSignature" (linkerd2#12506); `linkerd check` fails with "must use P-256 curve".',
  check(ctx) {
    // The issuer is judged as ECDSA whatever it says (key-algorithm repairs that); the anchor only when ECDSA.
    const alg = effectiveAlgorithm(ctx.object);
    const ecdsa = ctx.role === 'identity-issuer' || alg.value === 'ECDSA' || !alg.explicit;
    if (!ecdsa) return [];
    const size = effectiveSize(ctx.object);
    if (size === undefined || size === 256) return [];
    return [{
      path: 'spec.privateKey.size',
      message: `spec.privateKey.size is ${size}: ${who(ctx)} must use the P-256 curve; P-384 and P-521 keys break Linkerd's proxies ("must use P-256 curve"). Write \`size: 256\` or leave it unset.`,
      patch: [setOp(ctx.object, ['spec', 'privateKey', 'size'], 256)],
    }];
  },
};

export const rotationPolicy: RuleDefinition = {
  id: 'certificate/rotation-policy',
  title: 'Private keys rotate on every re-issuance',
  appliesTo: ISSUER_AND_ANCHOR,
  defaultSeverity: 'error',
  repair: 'sets `spec.privateKey.rotationPolicy: Always`',
  rationale:
    "With `rotationPolicy: Never` cert-manager renews the certificate but keeps the old key, and a key of the wrong algorithm or size is never replaced. Linkerd's guide sets `Always` on both CA certificates; cert-manager only defaults to Always since v1.18 (cert-manager#7601, #7723).",
  check(ctx) {
    const v = at(ctx.object, 'spec', 'privateKey', 'rotationPolicy');
    if (v === 'Always') return [];
    if (v === undefined && !ctx.config.requireExplicitRotationPolicy) return [];
    const patch = [setOp(ctx.object, ['spec', 'privateKey', 'rotationPolicy'], 'Always')];
    if (v === undefined) {
      return [{
        path: 'spec.privateKey.rotationPolicy',
        message: 'spec.privateKey.rotationPolicy is unset: cert-manager before v1.18 then never rotates the private key, and a wrong key is never replaced. Write `rotationPolicy: Always`.',
        patch,
      }];
    }
    return [{
      path: 'spec.privateKey.rotationPolicy',
      message: `spec.privateKey.rotationPolicy is ${quote(v)}: cert-manager then renews ${who(ctx)} without a new key, so the CA key never rotates. Write \`rotationPolicy: Always\`.`,
      patch,
    }];
  },
};

export const certificateNamespace: RuleDefinition = {
  id: 'certificate/namespace',
  title: 'Issuer lives in the Linkerd namespace; anchors in the trust namespace',
  appliesTo: ISSUER_AND_ANCHOR,
  defaultSeverity: 'error',
  repair: 'none: the namespace of an object cannot be changed',
  rationale:
    "cert-manager writes the Secret in the Certificate's namespace. Linkerd reads Secret linkerd-identity-issuer only from its own namespace; trust-manager reads Secret sources only from its trust namespace (trust-manager#120).",
  check(ctx) {
    const ns = namespaceOf(ctx.object);
    if (ns === undefined) return []; // unknown until applied; the webhook always knows it
    if (ctx.role === 'identity-issuer') {
      if (ns === ctx.config.linkerdNamespace) return [];
      return [{
        path: 'metadata.namespace',
        message: `metadata.namespace is ${clip(ns)}: Linkerd reads its identity issuer Secret only from namespace ${ctx.config.linkerdNamespace}, so this Certificate would never be used. Create it in namespace ${ctx.config.linkerdNamespace}.`,
      }];
    }
    if (ns === ctx.config.trustNamespace) return [];
    return [{
      path: 'metadata.namespace',
      message: `metadata.namespace is ${clip(ns)}: trust-manager reads Secret sources only from its trust namespace ${ctx.config.trustNamespace}, so the Bundle cannot copy this anchor. Create it in namespace ${ctx.config.trustNamespace}.`,
      severity: 'warning',
    }];
  },
};

export const secretName: RuleDefinition = {
  id: 'certificate/secret-name',
  title: 'Issuer is written to the Secret Linkerd reads',
  appliesTo: ['identity-issuer'],
  defaultSeverity: 'error',
  repair: 'sets `spec.secretName` to the issuer Secret name',
  rationale: 'Linkerd reads its issuer credentials from Secret linkerd-identity-issuer only; a Certificate writing anywhere else leaves the identity controller on stale or missing credentials.',
  check(ctx) {
    const v = at(ctx.object, 'spec', 'secretName');
    if (v === ctx.config.issuerName) return [];
    return [{
      path: 'spec.secretName',
      message: `spec.secretName is ${v === undefined ? 'unset' : quote(v)}: Linkerd reads the identity issuer only from Secret ${ctx.config.issuerName}. Write \`secretName: ${ctx.config.issuerName}\`.`,
      patch: [setOp(ctx.object, ['spec', 'secretName'], ctx.config.issuerName)],
    }];
  },
};

export const usages: RuleDefinition = {
  id: 'certificate/usages',
  title: 'Usages allow signing and satisfy Go\'s verifier',
  appliesTo: ISSUER_AND_ANCHOR,
  defaultSeverity: 'error',
  repair: 'adds the missing usages (`cert sign`, `server auth`)',
  rationale:
    "A CA needs keyCertSign. `linkerd check` verifies the chain with Go's x509 verifier, which treats an intermediate or root whose extended key usage lacks serverAuth as incompatible (\"x509: certificate specifies an incompatible key usage\").",
  check(ctx) {
    const raw = at(ctx.object, 'spec', 'usages');
    if (raw === undefined) return [];
    const list = strings(raw);
    const out: Violation[] = [];
    if (!list.includes('cert sign')) {
      out.push({
        path: 'spec.usages',
        message: `spec.usages lacks "cert sign": ${who(ctx)} must be allowed to sign certificates. Add \`- cert sign\`.`,
        patch: [{ op: 'add', path: Array.isArray(raw) ? '/spec/usages/-' : '/spec/usages', value: Array.isArray(raw) ? 'cert sign' : ['cert sign'] }],
      });
    }
    const ekus = list.filter((u) => EXTENDED_KEY_USAGES.has(u));
    if (ekus.length > 0 && !ekus.includes('server auth') && !ekus.includes('any')) {
      out.push({
        path: 'spec.usages',
        message: `spec.usages sets extended key usages (${clip(ekus.join(', '))}) without "server auth": Go's verifier in \`linkerd check\` then rejects the chain ("incompatible key usage"). Add \`- server auth\`.`,
        patch: [{ op: 'add', path: '/spec/usages/-', value: 'server auth' }],
      });
    }
    return out;
  },
};

export const durations: RuleDefinition = {
  id: 'certificate/durations',
  reads: 'the trust anchor Certificates (the issuer must not outlive the anchor)',
  title: 'Issuer renews before it expires and does not outlive its anchor',
  appliesTo: ['identity-issuer'],
  defaultSeverity: 'error',
  repair: 'none: the right lifetime is a policy choice',
  rationale:
    "cert-manager only renews when renewBefore is shorter than the duration. Linkerd clamps workload certificates to the earliest expiry in the chain, and an issuer that outlives its anchor still stops working when the anchor expires.",
  check(ctx) {
    const out: Violation[] = [];
    const durRaw = at(ctx.object, 'spec', 'duration');
    const duration = durRaw === undefined ? 90 * 24 * 3_600_000 : parseGoDuration(durRaw);
    const renewRaw = at(ctx.object, 'spec', 'renewBefore');
    if (durRaw !== undefined && duration === undefined) {
      out.push({ path: 'spec.duration', message: `spec.duration ${quote(durRaw)} is not a duration. Write e.g. \`duration: 48h\`.` });
      return out;
    }
    if (renewRaw !== undefined) {
      const renew = parseGoDuration(renewRaw);
      if (renew === undefined) {
        out.push({ path: 'spec.renewBefore', message: `spec.renewBefore ${quote(renewRaw)} is not a duration. Write e.g. \`renewBefore: 25h\`.` });
      } else if (duration !== undefined && renew >= duration) {
        out.push({
          path: 'spec.renewBefore',
          message: `spec.renewBefore (${renewRaw}) is not shorter than spec.duration (${formatDuration(duration)}): cert-manager cannot schedule the renewal and the issuer expires. Write a renewBefore below the duration, e.g. half of it.`,
        });
      }
    }
    const anchor = shortestAnchorMs(anchorsOf(ctx));
    if (duration !== undefined && anchor !== undefined) {
      if (duration > anchor) {
        out.push({
          path: 'spec.duration',
          message: `spec.duration (${formatDuration(duration)}) is longer than the trust anchor's (${formatDuration(anchor)}): the issuer would outlive the anchor that signs it, and workload certificates are cut at the anchor's expiry. Keep the issuer shorter than the anchor.`,
        });
      }
    }
    return out;
  },
};

/** The shortest duration among the anchors (cert-manager's 90-day default where unset). */
const shortestAnchorMs = oncePerSet((anchors) => {
  let shortest: number | undefined;
  for (const a of anchors) {
    const d = at(a, 'spec', 'duration');
    const ms = d === undefined ? 90 * 24 * 3_600_000 : parseGoDuration(d);
    if (ms !== undefined && (shortest === undefined || ms < shortest)) shortest = ms;
  }
  return shortest;
});

/** Whether any of the anchors has an RSA key. */
const anyRsaAnchor = oncePerSet((anchors) => anchors.some((a) => effectiveAlgorithm(a).value === 'RSA'));

export const signatureAlgorithm: RuleDefinition = {
  id: 'certificate/signature-algorithm',
  reads: 'the trust anchor Certificates (SHA256WithRSA is right under an RSA anchor)',
  title: 'Issuer signature algorithm is one Linkerd accepts',
  appliesTo: ['identity-issuer'],
  defaultSeverity: 'error',
  repair: 'none: the right value depends on the anchor',
  rationale: "Linkerd accepts an issuer signed with ECDSAWithSHA256, or SHA256WithRSA under an RSA anchor; SHA-384/512 and RSA-PSS fail \"must be signed by an ECDSA P-256 key\".",
  check(ctx) {
    const v = at(ctx.object, 'spec', 'signatureAlgorithm');
    if (v === undefined || v === 'ECDSAWithSHA256') return [];
    const rsaAnchor = anyRsaAnchor(anchorsOf(ctx));
    if (v === 'SHA256WithRSA' && rsaAnchor) return [];
    return [{
      path: 'spec.signatureAlgorithm',
      message: `spec.signatureAlgorithm is ${quote(v)}: Linkerd accepts only ECDSAWithSHA256${rsaAnchor ? ' or SHA256WithRSA' : ' (or SHA256WithRSA under an RSA anchor)'}. Write \`signatureAlgorithm: ECDSAWithSHA256\` or remove the field.`,
    }];
  },
};

export const nameConstraints: RuleDefinition = {
  id: 'certificate/name-constraints',
  title: 'No name constraints on the issuer',
  appliesTo: ['identity-issuer'],
  defaultSeverity: 'warning',
  repair: 'none',
  rationale: 'Workload identities are `<sa>.<ns>.serviceaccount.identity.<ns>.<trustDomain>`; name constraints that do not permit them make proxies fail with NameConstraintViolation (linkerd2#9299).',
  check(ctx) {
    if (at(ctx.object, 'spec', 'nameConstraints') === undefined) return [];
    return [{
      path: 'spec.nameConstraints',
      message: `spec.nameConstraints is set: unless it permits every workload identity (*.${identityName(ctx.config)}), proxies fail with NameConstraintViolation. Remove it or make sure it permits them.`,
    }];
  },
};

export const commonName: RuleDefinition = {
  id: 'certificate/common-name',
  title: 'Issuer is named identity.<namespace>.<trustDomain>',
  appliesTo: ['identity-issuer'],
  defaultSeverity: 'warning',
  repair: 'none',
  rationale: "Linkerd's identity controller names the issuer identity.<ns>.<trustDomain> in its errors and its guides set it as CN and DNS name; another name usually means the wrong trust domain or namespace.",
  check(ctx) {
    const want = identityName(ctx.config);
    if (str(at(ctx.object, 'spec', 'commonName')) === want || strings(at(ctx.object, 'spec', 'dnsNames')).includes(want)) return [];
    return [{
      path: 'spec.commonName',
      message: `spec.commonName is not ${want} and no dnsNames entry is: Linkerd expects its issuer to be named identity.<namespace>.<trustDomain>. Write \`commonName: ${want}\`.`,
    }];
  },
};

const CERT_MANAGER_ISSUER_KINDS = new Set(['Issuer', 'ClusterIssuer']);

export const issuerRefKind: RuleDefinition = {
  id: 'certificate/issuer-ref-kind',
  title: 'issuerRef names an Issuer or a ClusterIssuer',
  appliesTo: ISSUER_AND_ANCHOR,
  defaultSeverity: 'error',
  repair: 'none: which issuer was meant is not known',
  rationale:
    "With group cert-manager.io (or none), cert-manager's webhook accepts only `kind: Issuer` or `kind: ClusterIssuer` and refuses the Certificate at apply time; manifests naming the Certificate or Secret of the CA (`kind: Certificate`) are a common slip. External issuers (another group) name their own kinds.",
  check(ctx) {
    if (!refersToCertManager(ctx.object)) return [];
    const kind = at(ctx.object, 'spec', 'issuerRef', 'kind');
    if (kind === undefined || (typeof kind === 'string' && CERT_MANAGER_ISSUER_KINDS.has(kind))) return [];
    return [{
      path: 'spec.issuerRef.kind',
      message: `spec.issuerRef.kind is ${quote(kind)}: cert-manager signs only through an Issuer or a ClusterIssuer, and its webhook refuses this Certificate. Write \`kind: ClusterIssuer\` (or \`Issuer\`, in the same namespace) naming the issuer that signs ${who(ctx)}.`,
    }];
  },
};

const LEGACY_VERSIONS = new Set(['v1alpha1', 'v1alpha2', 'v1alpha3', 'v1beta1']);

/**
 * A legacy spec field and its v1 home, as cert-manager's own conversion to v1 moved it (its
 * internal/apis/{certmanager,acme}/v1alpha2, v1alpha3 and v1beta1 conversions, removed with those versions).
 * `map` gives the v1 value, or undefined when there is none to write (the field is then only removed).
 */
interface Move {
  from: Array<string | number>;
  to: Array<string | number>;
  map?: (v: unknown) => unknown;
}

const upper = (v: unknown): unknown => (typeof v === 'string' ? v.toUpperCase() : undefined);

const CERTIFICATE_MOVES: readonly Move[] = [
  { from: ['keyAlgorithm'], to: ['privateKey', 'algorithm'], map: (v) => (typeof v === 'string' ? v1KeyAlgorithm(v) : undefined) },
  { from: ['keySize'], to: ['privateKey', 'size'] },
  { from: ['keyEncoding'], to: ['privateKey', 'encoding'], map: upper },
  { from: ['emailSANs'], to: ['emailAddresses'] },
  { from: ['uriSANs'], to: ['uris'] },
  { from: ['organization'], to: ['subject', 'organizations'] },
];
const KEY_FIELDS = new Set(['keyAlgorithm', 'keySize', 'keyEncoding']);

/** v1alpha2 and v1alpha3 spelled three ACME DNS-01 providers in lower case; v1beta1 and v1 in camel case. */
const DNS01_RENAMES: ReadonlyArray<readonly [string, string]> = [['clouddns', 'cloudDNS'], ['azuredns', 'azureDNS'], ['acmedns', 'acmeDNS']];

function issuerMoves(o: K8sObject): Move[] {
  const moves: Move[] = [];
  arr(at(o, 'spec', 'acme', 'solvers')).forEach((solver, i) => {
    const dns01 = at(solver, 'dns01');
    if (!isRecord(dns01)) return;
    for (const [from, to] of DNS01_RENAMES) {
      if (from in dns01) moves.push({ from: ['acme', 'solvers', i, 'dns01', from], to: ['acme', 'solvers', i, 'dns01', to] });
    }
  });
  return moves;
}

export const legacyApi: RuleDefinition = {
  id: 'certificate/legacy-api',
  title: 'Certificates, Issuers and ClusterIssuers use cert-manager.io/v1',
  appliesTo: [...ISSUER_AND_ANCHOR, 'signing-issuer'],
  defaultSeverity: 'error',
  lintOnly: true,
  repair: '`--fix` rewrites to `cert-manager.io/v1`, moving the fields v1 renamed (`spec.privateKey`, `emailAddresses`, `uris`, `subject.organizations`, ACME `cloudDNS`/`azureDNS`/`acmeDNS`)',
  rationale:
    "cert-manager stopped serving v1alpha2, v1alpha3 and v1beta1 in v1.6 and removed them in v1.7 (https://cert-manager.io/docs/releases/upgrading/remove-deprecated-apis/), so an Issuer or ClusterIssuer left at a legacy version beside a converted Certificate is refused and the Certificate never issued. Under v1 the fields those versions named differently are unknown and dropped: the old top-level `keyAlgorithm`/`keySize`/`keyEncoding` (the key silently falls back to RSA), `emailSANs`, `uriSANs` and `organization`, and an ACME issuer's lower-case `clouddns`/`azuredns`/`acmedns`.",
  check(ctx) {
    const o = ctx.object;
    const spec = at(o, 'spec');
    const moves = isCertificate(o)
      ? CERTIFICATE_MOVES.filter((m) => isRecord(spec) && (m.from[0] as string) in spec)
      : isIssuer(o) || isClusterIssuer(o) ? issuerMoves(o) : undefined;
    if (moves === undefined) return [];
    const legacyVersion = apiGroup(o) !== 'cert-manager.io' || LEGACY_VERSIONS.has(apiVersionOnly(o));
    if (!legacyVersion && moves.length === 0) return [];
    const patch = [];
    if (legacyVersion) patch.push(setOp(o, ['apiVersion'], 'cert-manager.io/v1'));
    for (const m of moves) {
      const old = at(spec, ...m.from);
      const value = m.map ? m.map(old) : old;
      // a v1 field already set wins, as it is what cert-manager reads
      if (value !== undefined && at(spec, ...m.to) === undefined) patch.push(setOp(o, ['spec', ...m.to], value));
      patch.push({ op: 'remove' as const, path: pointer(['spec', ...m.from]) });
    }
    const fields = moves.map((m) => dotted(['spec', ...m.from]));
    const keys = isCertificate(o) && moves.some((m) => KEY_FIELDS.has(String(m.from[0])));
    const keyOnly = keys && moves.every((m) => KEY_FIELDS.has(String(m.from[0])));
    const dropped = `cert-manager would drop ${fields.length > 1 ? 'them' : 'it'}${keys ? ': the key would silently be RSA' : ''}`;
    const what = [
      legacyVersion ? `apiVersion ${quote(str(o.apiVersion))} is no longer served by cert-manager (removed in v1.7)` : '',
      fields.length ? `${fields.join(', ')} ${fields.length > 1 ? 'are not v1 fields' : 'is not a v1 field'} (${keyOnly ? 'the key would silently be RSA' : dropped})` : '',
    ].filter(Boolean).join('; ');
    const todo = [
      legacyVersion ? 'write `apiVersion: cert-manager.io/v1`' : '',
      moves.length ? `move ${moves.map((m) => `${dotted(['spec', ...m.from])} to ${dotted(['spec', ...m.to])}`).join(', ')}` : '',
    ].filter(Boolean).join(' and ');
    return [{
      path: legacyVersion ? 'apiVersion' : (fields[0] as string),
      message: `${what}. ${todo.charAt(0).toUpperCase()}${todo.slice(1)}.`,
      patch,
    }];
  },
};

export const CERTIFICATE_RULES: readonly RuleDefinition[] = [
  legacyApi, isCa, keyAlgorithm, keySize, rotationPolicy, certificateNamespace, secretName, usages, durations,
  signatureAlgorithm, nameConstraints, commonName, issuerRefKind,
];
