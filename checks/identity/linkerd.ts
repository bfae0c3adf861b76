/**
 * Category `linkerd-identity`, as `linkerd check` runs it (pkg/healthcheck, pkg/issuercerts): same
 * descriptions, order, hint anchors, fatal/warning semantics and message shapes, so verdicts agree.
 * One deliberate extension: an expiry warning for a cert-manager-managed certificate
 * whose renewal is scheduled in time passes, with the schedule as a note.
 */
import { goTimeString, publicKeyAlgorithmName, rfc3339, type Certificate } from '../x509/certificate.js';
import { goVerify } from '../x509/verify.js';
import type { IdentityState } from './state.js';
import { LINKERD_HINT_BASE, type CheckDef, type Verdict } from './types.js';
import { renewalNote } from './cert-manager.js';

export const CATEGORY_LINKERD_IDENTITY = 'linkerd-identity';

const DAY = 86400_000;
export const EXPIRY_WARNING_DAYS = 60;

/** checkECDSACertRequirements: P-256, signed with ECDSA-SHA256 or SHA256-RSA. */
function ecdsaRequirements(c: Certificate): string | undefined {
  if (c.publicKey.algorithm !== 'ECDSA') return undefined;
  if (c.publicKey.bits !== 256) return `must use P-256 curve for public key, instead P-${c.publicKey.bits || c.publicKey.curve} was used`;
  const sig = c.signatureAlgorithm.name;
  if (sig !== 'ECDSA-SHA256' && sig !== 'SHA256-RSA') return `must be signed by an ECDSA P-256 key, instead ${sig} was used`;
  return undefined;
}

/** CheckTrustAnchorAlgoRequirements */
export function anchorAlgorithmError(c: Certificate): string | undefined {
  const pk = c.publicKey;
  if (pk.algorithm === 'ECDSA') return ecdsaRequirements(c);
  if (pk.algorithm === 'RSA') {
    if (pk.bits !== 2048 && pk.bits !== 4096) return `RSA must use a 2048 or 4096 bit public key, instead ${pk.bits} bit public key was used`;
    if (c.signatureAlgorithm.name !== 'SHA256-RSA') return `must be signed by an RSA 2048/4096 bit key, instead ${c.signatureAlgorithm.name} was used`;
    return undefined;
  }
  return `trust anchor must use ECDSA or RSA for public key algorithm, instead ${publicKeyAlgorithmName(pk)} was used`;
}

/** CheckIssuerCertAlgoRequirements */
export function issuerAlgorithmError(c: Certificate): string | undefined {
  if (c.publicKey.algorithm === 'ECDSA') return ecdsaRequirements(c);
  return `issuer certificate must use ECDSA for public key algorithm, instead ${publicKeyAlgorithmName(c.publicKey)} was used`;
}

/** CheckCertValidityPeriod */
export function validityError(c: Certificate, now: Date): string | undefined {
  if (c.notBefore > now) return `not valid before: ${rfc3339(c.notBefore)}`;
  if (c.notAfter < now) return `not valid anymore. Expired on ${rfc3339(c.notAfter)}`;
  return undefined;
}

/** CheckExpiringSoon: fewer than 60 calendar days left. */
export function expiringSoonError(c: Certificate, now: Date): string | undefined {
  if (now.getTime() + EXPIRY_WARNING_DAYS * DAY > c.notAfter.getTime()) return `will expire on ${rfc3339(c.notAfter)}`;
  return undefined;
}

function anchorList(header: string, anchors: Certificate[], test: (c: Certificate) => string | undefined): Verdict {
  const bad: string[] = [];
  for (const a of anchors) {
    const err = test(a);
    if (err) bad.push(`* ${a.serial} ${a.subjectCN} ${err}`);
  }
  return bad.length ? `${header}\n\t${bad.join('\n\t')}` : undefined;
}

const hint = (anchor: string) => LINKERD_HINT_BASE + anchor;

/** What Linkerd's Crt.Verify appends to Go's expiry error, times printed as Go's `%s` prints them. */
export function expiryAnnotation(issuer: Certificate, now: Date): string {
  return ` - Current Time : ${goTimeString(now)} - Invalid before ${goTimeString(issuer.notBefore)} - Invalid After ${goTimeString(issuer.notAfter)}`;
}

/** The issuer as loaded; check 1 is fatal, so later checks only run when it is set. */
function issuerOf(st: IdentityState): Certificate {
  if (!st.issuer) throw new Error('linkerd-identity check ran without an issuer certificate');
  return st.issuer;
}

export const LINKERD_IDENTITY_CHECKS: ReadonlyArray<CheckDef<IdentityState>> = [
  {
    id: 'l5d-identity-cert-config-valid',
    description: 'certificate config is valid',
    hint: hint('l5d-identity-cert-config-valid'),
    fatal: true,
    recommendation: 'Make the issuer Secret hold a PEM certificate and its matching private key (and ca.crt for kubernetes.io/tls), with no stray bytes after the last certificate.',
    run: (st) => st.configError,
  },
  {
    id: 'l5d-identity-trustAnchors-use-supported-crypto',
    description: 'trust anchors are using supported crypto algorithm',
    hint: hint('l5d-identity-trustAnchors-use-supported-crypto'),
    fatal: true,
    recommendation: 'Issue trust anchors with ECDSA P-256 (or RSA 2048/4096) signed with SHA-256: privateKey.algorithm ECDSA, size 256.',
    run: (st) => anchorList('Invalid trustAnchors:', st.anchors, anchorAlgorithmError),
  },
  {
    id: 'l5d-identity-trustAnchors-are-time-valid',
    description: 'trust anchors are within their validity period',
    hint: hint('l5d-identity-trustAnchors-are-time-valid'),
    fatal: true,
    recommendation: 'Replace the expired or not-yet-valid trust anchor (rotate the anchor, then re-issue the issuer under it).',
    run: (st) => anchorList('Invalid anchors:', st.anchors, (c) => validityError(c, st.snap.now)),
  },
  {
    id: 'l5d-identity-trustAnchors-not-expiring-soon',
    description: 'trust anchors are valid for at least 60 days',
    hint: hint('l5d-identity-trustAnchors-not-expiring-soon'),
    warning: true,
    recommendation: 'Rotate the trust anchor before it expires (Linkerd docs: "Automatically Rotating Control Plane TLS Credentials", https://linkerd.io/2/tasks/automatically-rotating-control-plane-tls-credentials/), or make sure cert-manager renews it in time.',
    run: (st) => {
      const notes: string[] = [];
      const v = anchorList('Anchors expiring soon:', st.anchors, (c) => {
        const soon = expiringSoonError(c, st.snap.now);
        if (!soon) return undefined;
        const note = renewalNote(st.snap, c);
        if (note) {
          notes.push(`${c.subjectCN}: ${note}`);
          return undefined;
        }
        return soon;
      });
      if (v) return v;
      return notes.length ? { note: notes.join('; ') } : undefined;
    },
  },
  {
    id: 'l5d-identity-issuer-cert-uses-supported-crypto',
    description: 'issuer cert is using supported crypto algorithm',
    hint: hint('l5d-identity-issuer-cert-uses-supported-crypto'),
    fatal: true,
    recommendation: 'Issue the identity issuer with ECDSA P-256 (cert-manager: spec.privateKey.algorithm: ECDSA, size: 256; its default is RSA).',
    run: (st) => {
      const e = issuerAlgorithmError(issuerOf(st));
      return e ? `issuer certificate ${e}` : undefined;
    },
  },
  {
    id: 'l5d-identity-issuer-cert-is-time-valid',
    description: 'issuer cert is within its validity period',
    hint: hint('l5d-identity-issuer-cert-is-time-valid'),
    fatal: true,
    recommendation: 'Re-issue the identity issuer certificate (cmctl renew -n linkerd linkerd-identity-issuer) and check the clocks.',
    run: (st) => {
      const e = validityError(issuerOf(st), st.snap.now);
      return e ? `issuer certificate is ${e}` : undefined;
    },
  },
  {
    id: 'l5d-identity-issuer-cert-not-expiring-soon',
    description: 'issuer cert is valid for at least 60 days',
    hint: hint('l5d-identity-issuer-cert-not-expiring-soon'),
    warning: true,
    recommendation: 'Renew the identity issuer before it expires, or let cert-manager manage it with a renewBefore shorter than its duration.',
    run: (st) => {
      const issuer = issuerOf(st);
      const e = expiringSoonError(issuer, st.snap.now);
      if (!e) return undefined;
      const note = renewalNote(st.snap, issuer);
      return note ? { note } : `issuer certificate ${e}`;
    },
  },
  {
    id: 'l5d-identity-issuer-cert-issued-by-trust-anchor',
    description: 'issuer cert is issued by the trust anchor',
    hint: hint('l5d-identity-issuer-cert-issued-by-trust-anchor'),
    recommendation: 'Re-issue the identity issuer from the current trust anchor, or add the anchor that signed it to the trust anchors.',
    run: async (st) => {
      const issuer = issuerOf(st);
      const r = await goVerify(issuer, { roots: st.anchors, intermediates: st.issuerChain, now: st.snap.now });
      if (r.ok) return undefined;
      // Crt.Verify (pkg/tls/cred.go) annotates an expiry error with the clock and the ISSUER's own validity
      return r.expired ? `${r.error}${expiryAnnotation(issuer, st.snap.now)}` : r.error;
    },
  },
];
