/**
 * Category `linkerd-identity-trust-bundle`: the ConfigMap Linkerd actually loads at runtime
 * (linkerd-identity-trust-roots / ca-bundle.crt), which `linkerd check`'s identity category never reads
 * (research/linkerd-check.md 2.4): strict PEM, only CA certificates, no private key, no duplicates, no
 * expired anchors, the issuer chains to THIS bundle, ca.crt is in it, and the anchor rotation phase.
 */
import { rfc3339, type Certificate } from '../x509/certificate.js';
import { describePemProblems } from '../x509/pem.js';
import { goVerify, sameCert, signersOf } from '../x509/verify.js';
import { anchorAlgorithmError, validityError } from './linkerd.js';
import type { BundleState, IdentityState } from './state.js';
import { GUARD_HINT_BASE, type CheckDef, type Verdict } from './types.js';

export const CATEGORY_TRUST_BUNDLE = 'linkerd-identity-trust-bundle';

const hint = (id: string) => GUARD_HINT_BASE + id;
const label = (c: Certificate) => `${c.serial} ${c.subjectCN}`;

function bundleOf(st: IdentityState): BundleState | undefined {
  return st.bundle;
}

function list(header: string, items: string[]): Verdict {
  return items.length ? `${header}\n\t${items.map((i) => `* ${i}`).join('\n\t')}` : undefined;
}

/** With a bundle present: run `f`; without one (missing): skip, the existence check already failed. */
function withBundle(f: (b: BundleState, st: IdentityState) => Verdict | Promise<Verdict>): (st: IdentityState) => Verdict | Promise<Verdict> {
  return (st) => {
    const b = bundleOf(st);
    return b ? f(b, st) : { skip: true };
  };
}

export interface RotationPhase {
  phase: 'steady' | 'new anchor staged' | 'issuer re-issued under the new anchor' | 'old anchor still trusted' | 'broken';
  detail: string;
  next?: string;
}

/**
 * Where an anchor rotation stands (seed 001, "Rotating the trust anchor", five steps: 1 trigger anchor
 * rotation, 2 trigger issuer rotation, 3 restart the control plane, 4 restart the data plane, 5 remove
 * the old anchor from the bundle).
 */
export async function rotationPhase(st: IdentityState, bundle: Certificate[]): Promise<RotationPhase> {
  const issuer = st.issuer;
  const anchors = uniqueCerts(bundle);
  if (!issuer) return { phase: 'broken', detail: 'no issuer certificate' };
  const signers = await signersOf(issuer, anchors);
  const signer = signers[0];
  const trustNs = st.snap.config.trustNamespace;
  const ns = st.snap.config.linkerdNamespace;
  if (!signer) {
    return {
      phase: 'broken',
      detail: 'no anchor in the bundle signed the issuer',
      next: `re-issue the issuer from an anchor the bundle holds (cmctl renew -n ${ns} ${st.snap.config.issuerName}), or add its anchor to the bundle`,
    };
  }
  if (anchors.length <= 1) return { phase: 'steady', detail: `one anchor (${label(signer)}), which signed the issuer` };
  const current = st.anchorSecrets.find((s) => s.name === st.snap.config.anchorNames[0])?.certs[0];
  // The "new" anchor: the current anchor Secret's when known, else the most recently issued one.
  // Ties on notBefore (anchors minted in the same second) go to the issuer's signer: no rotation is implied.
  const byAge = [...anchors].sort((a, b) => b.notBefore.getTime() - a.notBefore.getTime() || Number(sameCert(b, signer)) - Number(sameCert(a, signer)));
  const newest = current && anchors.some((a) => sameCert(a, current)) ? current : byAge[0]!;
  const olderOnes = anchors.filter((a) => !sameCert(a, newest)).map(label);
  const others = olderOnes.length > 5 ? `${olderOnes.slice(0, 5).join(', ')} and ${olderOnes.length - 5} more` : olderOnes.join(', ');
  if (!sameCert(signer, newest)) {
    return {
      phase: 'new anchor staged',
      detail: `the bundle trusts the new anchor ${label(newest)} and the old ${others}; the issuer is still signed by ${label(signer)}`,
      next: `step 2: re-issue the identity issuer under the new anchor: cmctl renew -n ${ns} ${st.snap.config.issuerName}`,
    };
  }
  const started = (p: { startTime?: string }) => (p.startTime ? new Date(p.startTime) : undefined);
  const cp = st.snap.controlPlanePods;
  const cpStale = cp?.filter((p) => (started(p) ?? new Date(0)) < issuer.notBefore) ?? [];
  if (cp === undefined || cpStale.length > 0) {
    return {
      phase: 'issuer re-issued under the new anchor',
      detail: `the issuer is signed by the new anchor ${label(newest)}; the bundle still trusts ${others}`,
      next: `step 3: restart the control plane (kubectl rollout restart -n ${ns} deploy), then step 4: restart the data plane${cpStale.length ? ` (control-plane pods started before the new issuer: ${cpStale.map((p) => p.name).join(', ')})` : ''}`,
    };
  }
  const dp = st.snap.pods?.filter((p) => p.namespace !== ns) ?? [];
  const dpStale = dp.filter((p) => (started(p) ?? new Date(0)) < issuer.notBefore);
  if (st.snap.pods !== undefined && dpStale.length > 0) {
    return {
      phase: 'issuer re-issued under the new anchor',
      detail: `the control plane runs the new issuer; ${dpStale.length} meshed pod(s) started before it`,
      next: `step 4: restart the data plane: ${dpStale.slice(0, 10).map((p) => `${p.namespace}/${p.name}`).join(', ')}${dpStale.length > 10 ? ', ...' : ''}`,
    };
  }
  return {
    phase: 'old anchor still trusted',
    detail: `the issuer and the restarted workloads use the new anchor ${label(newest)}; the bundle still trusts ${others}`,
    next: `step 5: remove the old anchor from the bundle: copy Secret ${trustNs}/${st.snap.config.anchorNames[0] ?? 'linkerd-trust-anchor'} over ${trustNs}/${st.snap.config.anchorNames[1] ?? 'linkerd-previous-anchor'}`,
  };
}

function uniqueCerts(certs: Certificate[]): Certificate[] {
  const out: Certificate[] = [];
  for (const c of certs) if (!out.some((o) => sameCert(o, c))) out.push(c);
  return out;
}

export const TRUST_BUNDLE_CHECKS: ReadonlyArray<CheckDef<IdentityState>> = [
  {
    id: 'lcg-trust-bundle-exists',
    description: 'trust bundle ConfigMap exists',
    hint: hint('lcg-trust-bundle-exists'),
    recommendation: 'Create the trust-manager Bundle linkerd-identity-trust-roots with target.configMap.key ca-bundle.crt and label the linkerd namespace linkerd.io/is-control-plane=true.',
    run: (st) => st.bundleMissing,
  },
  {
    id: 'lcg-trust-bundle-strict-pem',
    description: 'trust bundle is strictly PEM',
    hint: hint('lcg-trust-bundle-strict-pem'),
    recommendation: 'Write only PEM CERTIFICATE blocks into ca-bundle.crt: no blank lines after the last certificate, no comments, no other blocks.',
    run: withBundle((b) => {
      const problem = describePemProblems(b.scan);
      const unparsable = b.badBlocks.filter((x) => x.block.type === 'CERTIFICATE').map((x) => `block ${x.block.index} (line ${x.block.beginLine}): ${x.reason}`);
      const items = [...(problem ? [problem] : []), ...unparsable];
      if (b.certs.length === 0 && items.length === 0) items.push('no certificate in the bundle');
      return items.length ? `${b.from} does not parse strictly:\n\t${items.map((i) => `* ${i}`).join('\n\t')}` : undefined;
    }),
  },
  {
    id: 'lcg-trust-bundle-only-ca-certificates',
    description: 'trust bundle holds only CA certificates and no private key',
    hint: hint('lcg-trust-bundle-only-ca-certificates'),
    recommendation: 'Source only the anchors\' public certificates (tls.crt, or ca.crt) in the Bundle; never tls.key, never a leaf certificate. A published private key must be rotated.',
    run: withBundle((b) => {
      const items: string[] = [];
      for (const x of b.badBlocks) {
        if (x.block.type === 'CERTIFICATE') continue;
        const isKey = /PRIVATE KEY/.test(x.block.type);
        items.push(`block ${x.block.index} (line ${x.block.beginLine}) is a ${x.block.type}${isKey ? ': a private key is published to every namespace the bundle targets' : ', not a certificate'}`);
      }
      for (const { block, cert } of b.certs) {
        if (!cert.basicConstraints?.isCA) items.push(`block ${block.index} (line ${block.beginLine}): ${label(cert)} is not a CA certificate`);
      }
      return list(`${b.from} holds more than CA certificates:`, items);
    }),
  },
  {
    id: 'lcg-trust-bundle-no-duplicates',
    description: 'trust bundle has no duplicate certificates',
    hint: hint('lcg-trust-bundle-no-duplicates'),
    warning: true,
    recommendation: 'Source each anchor once (after step 5 of an anchor rotation, linkerd-previous-anchor equals linkerd-trust-anchor: trust-manager deduplicates; a manual bundle may not).',
    run: withBundle((b) => {
      const items: string[] = [];
      b.certs.forEach(({ block, cert }, i) => {
        const first = b.certs.findIndex((o) => sameCert(o.cert, cert));
        if (first < i) items.push(`block ${block.index} repeats block ${b.certs[first]!.block.index} (${label(cert)})`);
      });
      return list('Duplicate certificates:', items);
    }),
  },
  {
    id: 'lcg-trust-bundle-anchors-valid',
    description: 'trust bundle anchors are valid and use supported crypto',
    hint: hint('lcg-trust-bundle-anchors-valid'),
    recommendation: 'Remove expired anchors from the bundle once no issuer chains to them; anchors must be ECDSA P-256 or RSA 2048/4096 signed with SHA-256.',
    run: withBundle((b, st) => {
      const items: string[] = [];
      for (const { cert } of b.certs) {
        if (!cert.basicConstraints?.isCA) continue;
        const e = validityError(cert, st.snap.now) ?? anchorAlgorithmError(cert);
        if (e) items.push(`${label(cert)} ${e}`);
      }
      return list('Invalid anchors in the trust bundle:', items);
    }),
  },
  {
    id: 'lcg-trust-bundle-issuer-chains',
    description: 'issuer cert chains to the trust bundle',
    hint: hint('lcg-trust-bundle-issuer-chains'),
    fatal: false,
    recommendation: 'The proxies verify peers against this bundle: add the anchor that signed the issuer to the Bundle sources, or re-issue the issuer from an anchor the bundle holds.',
    run: withBundle(async (b, st) => {
      if (!st.issuer) return { skip: true };
      const r = await goVerify(st.issuer, { roots: b.certs.map((c) => c.cert), intermediates: st.issuerChain, now: st.snap.now });
      return r.ok ? undefined : `issuer certificate ${label(st.issuer)} does not chain to ${b.from}: ${r.error}`;
    }),
  },
  {
    id: 'lcg-trust-bundle-contains-anchors',
    description: 'trust anchors are contained in the trust bundle',
    hint: hint('lcg-trust-bundle-contains-anchors'),
    recommendation: 'The Bundle must source the Secret the anchor Certificate writes (linkerd-trust-anchor in the trust namespace), so ca.crt and ca-bundle.crt agree.',
    run: withBundle((b, st) => {
      const missing = st.anchors.filter((a) => !b.certs.some((c) => sameCert(c.cert, a)));
      return list(`Trust anchors missing from ${b.from} (from ${st.snap.trustAnchors?.from ?? 'the trust anchors'}):`, missing.map((a) => `${label(a)} (expires ${rfc3339(a.notAfter)})`));
    }),
  },
  {
    id: 'lcg-trust-bundle-rotation-phase',
    description: 'trust anchor rotation is not in progress',
    hint: hint('lcg-trust-bundle-rotation-phase'),
    warning: true,
    recommendation: 'Finish the anchor rotation with the next step named (seed 001: trigger anchor rotation, re-issue the issuer, restart control plane, restart data plane, remove the old anchor).',
    run: withBundle(async (b, st) => {
      const p = await rotationPhase(st, b.certs.filter((c) => c.cert.basicConstraints?.isCA).map((c) => c.cert));
      if (p.phase === 'steady') return undefined;
      return `anchor rotation phase: ${p.phase}: ${p.detail}${p.next ? `\n\tnext: ${p.next}` : ''}`;
    }),
  },
];
