/**
 * Category `linkerd-identity-issuer-ca`: what the identity controller and the proxies need of the issuer
 * as a CA, which `linkerd check` never checks (its healthcheck only verifies the chain): CA:TRUE, keyCertSign,
 * an EKU Go's verifier accepts, path lengths that leave room for workload certificates, no name
 * constraints that reject workload identities, and an issuer that does not outlive its anchor.
 */
import { EKU, rfc3339, type Certificate } from '../x509/certificate.js';
import { dnsNameConstraintViolation, goVerify, signersOf } from '../x509/verify.js';
import type { IdentityState } from './state.js';
import { GUARD_HINT_BASE, type CheckDef, type Verdict } from './types.js';

export const CATEGORY_ISSUER_CA = 'linkerd-identity-issuer-ca';

const hint = (id: string) => GUARD_HINT_BASE + id;
const SKEW_ALLOWANCE_MS = 5 * 60_000;
const label = (c: Certificate) => `${c.serial} ${c.subjectCN}`;

function withIssuer(f: (issuer: Certificate, st: IdentityState) => Verdict | Promise<Verdict>): (st: IdentityState) => Verdict | Promise<Verdict> {
  return (st) => (st.issuer ? f(st.issuer, st) : { skip: true });
}

/** The issuer's chain up to an anchor: Go's first chain, else the issuer alone. */
async function chainOf(issuer: Certificate, st: IdentityState): Promise<Certificate[]> {
  const r = await goVerify(issuer, { roots: st.anchors, intermediates: st.issuerChain, now: st.snap.now, keyUsages: [EKU.any] });
  return r.ok ? r.chains[0]! : [issuer];
}

export const ISSUER_CA_CHECKS: ReadonlyArray<CheckDef<IdentityState>> = [
  {
    id: 'lcg-issuer-ca-is-ca',
    description: 'issuer cert is a CA',
    hint: hint('lcg-issuer-ca-is-ca'),
    recommendation: 'Set spec.isCA: true on the identity issuer Certificate (with Vault, issue from a path that allows CA certificates).',
    run: withIssuer((issuer) =>
      issuer.basicConstraints?.isCA
        ? undefined
        : `issuer certificate ${label(issuer)} is not a CA (BasicConstraints CA:TRUE ${issuer.basicConstraints ? 'not asserted' : 'missing'}): the identity controller fails with "it must be an intermediate-CA, but it is not"`,
    ),
  },
  {
    id: 'lcg-issuer-ca-key-cert-sign',
    description: 'issuer cert may sign certificates',
    hint: hint('lcg-issuer-ca-key-cert-sign'),
    recommendation: 'Include "cert sign" in spec.usages of the identity issuer Certificate (or leave usages unset with isCA: true).',
    run: withIssuer((issuer) =>
      issuer.keyUsage && issuer.keyUsage.size > 0 && !issuer.keyUsage.has('keyCertSign')
        ? `issuer certificate ${label(issuer)} key usage (${[...issuer.keyUsage].join(', ')}) lacks keyCertSign: proxies reject the workload certificates it signs`
        : undefined,
    ),
  },
  {
    id: 'lcg-issuer-ca-ext-key-usage',
    description: 'issuer chain extended key usage is compatible',
    hint: hint('lcg-issuer-ca-ext-key-usage'),
    recommendation: 'Drop the extended usages from the issuer and anchor Certificates, or include "server auth" (and "client auth") in spec.usages.',
    run: withIssuer(async (issuer, st) => {
      const bad = (await chainOf(issuer, st)).filter((c) => c.extKeyUsage && c.extKeyUsage.length > 0 && !c.extKeyUsage.includes(EKU.any) && !c.extKeyUsage.includes(EKU.serverAuth));
      if (bad.length === 0) return undefined;
      return `x509: certificate specifies an incompatible key usage:\n\t${bad.map((c) => `* ${label(c)} extended key usage lacks serverAuth`).join('\n\t')}`;
    }),
  },
  {
    id: 'lcg-issuer-ca-path-length',
    description: 'chain path lengths leave room for workload certificates',
    hint: hint('lcg-issuer-ca-path-length'),
    recommendation: 'Issue the trust anchor without a path length constraint (or pathLen >= 1): the issuer is an intermediate under it, and workload certificates sit below the issuer.',
    run: withIssuer(async (issuer, st) => {
      const chain = await chainOf(issuer, st);
      const bad: string[] = [];
      // below chain[j] sit j intermediates once a workload leaf is issued (the issuer is index 0)
      chain.forEach((c, j) => {
        const pl = c.basicConstraints?.pathLen;
        if (pl !== undefined && pl < j) bad.push(`* ${label(c)} has path length ${pl}, but ${j} intermediate certificate${j > 1 ? 's sit' : ' sits'} below it once a workload certificate is issued`);
      });
      return bad.length ? `Path length constraints break workload certificates (proxies fail with UnknownIssuer):\n\t${bad.join('\n\t')}` : undefined;
    }),
  },
  {
    id: 'lcg-issuer-ca-name-constraints',
    description: 'issuer chain has no name constraints',
    hint: hint('lcg-issuer-ca-name-constraints'),
    warning: true,
    recommendation: 'Remove name constraints from the issuer and anchor (linkerd2#9299: proxies fail with NameConstraintViolation), or permit identity.<namespace>.<trust domain>.',
    run: withIssuer(async (issuer, st) => {
      const chain = await chainOf(issuer, st);
      const constrained = chain.filter((c) => c.nameConstraints);
      if (constrained.length === 0) return undefined;
      const sample = `default.default.serviceaccount.identity.${st.snap.config.linkerdNamespace}.${st.snap.config.trustDomain}`;
      const rejecting = constrained.filter((c) => dnsNameConstraintViolation(sample, c) !== undefined);
      const lines = constrained.map((c) => `* ${label(c)} has name constraints${rejecting.includes(c) ? ` that reject workload identities such as ${sample}` : ''}`);
      const msg = `Name constraints in the issuer chain:\n\t${lines.join('\n\t')}`;
      return rejecting.length ? { error: msg, result: 'error' } : msg;
    }),
  },
  {
    id: 'lcg-issuer-ca-outlived-by-anchor',
    description: 'issuer cert expires no later than its trust anchor',
    hint: hint('lcg-issuer-ca-outlived-by-anchor'),
    warning: true,
    recommendation: 'Give the issuer a shorter duration than the anchor (cert-manager: issuer duration 48h, anchor 1 year) and rotate the anchor before it expires.',
    run: withIssuer(async (issuer, st) => {
      const signers = await signersOf(issuer, st.anchors);
      // a few minutes over is the clock-skew allowance generators add (linkerd2's fixtures: 60 s), not a finding
      const earlier = signers.filter((a) => issuer.notAfter.getTime() - a.notAfter.getTime() > SKEW_ALLOWANCE_MS);
      if (earlier.length === 0) return undefined;
      return `issuer certificate expires on ${rfc3339(issuer.notAfter)}, after its trust anchor:\n\t${earlier.map((a) => `* ${label(a)} expires on ${rfc3339(a.notAfter)}`).join('\n\t')}`;
    }),
  },
];
