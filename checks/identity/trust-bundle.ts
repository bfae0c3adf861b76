/**
 * Category `linkerd-identity-trust-bundle`: the ConfigMap Linkerd actually loads at runtime
 * (linkerd-identity-trust-roots / ca-bundle.crt), which `linkerd check`'s identity category never reads
 * (as Linkerd's identity controller and proxies parse it): strict PEM, only CA certificates, no private key, no duplicates, no
 * expired anchors, the issuer chains to THIS bundle, ca.crt is in it, and the anchor rotation phase.
 */
import { rfc3339, type Certificate } from '../x509/certificate.js';
import { describePemProblems } from '../x509/pem.js';
import { goVerify, sameCert } from '../x509/verify.js';
import { rotationPodOf } from '../rotation/input.js';
import { planRotation, type RotationInput, type RotationPlan } from '../rotation/plan.js';
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

/**
 * The rotation plan for what `check` read: the anchor Secrets when readable, else the bundle's
 * anchors by age (newest current); the control-plane pods, and the meshed pods with --proxy.
 */
export async function rotationPlanOf(st: IdentityState, bundle: Certificate[]): Promise<RotationPlan> {
  const c = st.snap.config;
  const [anchorName = 'linkerd-trust-anchor', previousName = 'linkerd-previous-anchor'] = c.anchorNames;
  const secret = (name: string) => st.anchorSecrets.find((s) => s.name === name)?.certs[0];
  const anchors = uniqueCerts(bundle);
  const byAge = [...anchors].sort((a, b) => b.notBefore.getTime() - a.notBefore.getTime());
  const current = secret(anchorName) ?? byAge[0];
  // Without the previous-anchor Secret (not readable, or not exported), the other anchor in the bundle.
  const previous = secret(previousName) ?? (current ? anchors.find((a) => !sameCert(a, current)) ?? current : undefined);
  const input: RotationInput = {
    names: { trustNamespace: c.trustNamespace, linkerdNamespace: c.linkerdNamespace, anchor: anchorName, previous: previousName, issuer: c.issuerName, bundle: c.bundleName },
    bundle: anchors,
    ...(current ? { current } : {}),
    ...(previous ? { previous } : {}),
    ...(st.issuer ? { issuer: st.issuer } : {}),
    ...(st.snap.controlPlanePods ? { controlPlanePods: st.snap.controlPlanePods.map(rotationPodOf) } : st.snap.mode === 'live' ? { controlPlanePods: [] } : {}),
    ...(st.snap.pods ? { meshedPods: st.snap.pods.filter((p) => p.namespace !== c.linkerdNamespace).map(rotationPodOf) } : {}),
  };
  return planRotation(input);
}

/** The rotation-phase check's text: undefined when steady. */
export function describeRotation(plan: RotationPlan): string | undefined {
  if (plan.blockers.length > 0) return `anchor rotation phase: blocked: ${plan.blockers.join('; ')}`;
  if (plan.phase === 'steady' || !plan.next) return undefined;
  const i = plan.steps.findIndex((s) => s.id === plan.next?.id);
  const step = plan.steps[i];
  const done = plan.steps.filter((s) => s.state === 'done').map((s) => s.id);
  return `anchor rotation phase: rotating: ${done.length ? `done ${done.join(', ')}; ` : ''}step ${i + 1} ${plan.next.id} is ${step?.state ?? 'next'}: ${step?.detail ?? ''}\n\tnext: ${plan.next.title} (linkerd-cert-guard rotate --apply)`;
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
    recommendation: "Finish the anchor rotation with the next step named, in the order of Linkerd's guide (renew the anchor, restart the control plane and the data plane, renew the issuer, restart both again, retire the old anchor): `linkerd-cert-guard rotate` shows where it stands and `rotate --apply` does the next step.",
    run: withBundle(async (b, st) => describeRotation(await rotationPlanOf(st, b.certs.filter((c) => c.cert.basicConstraints?.isCA).map((c) => c.cert)))),
  },
];
