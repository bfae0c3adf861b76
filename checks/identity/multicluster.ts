/**
 * Several clusters judged together, and a cluster that could not be read.
 *
 * Category `linkerd-identity-multicluster`: Linkerd multicluster needs every cluster to trust every
 * other cluster's workloads. Linkerd's own multicluster check compares `identityTrustAnchorsPEM` in the
 * clusters' linkerd-config values; the proxies verify against the trust bundle ConfigMap instead
 * (linkerd-identity-trust-roots), so these checks read that:
 * - each cluster's issuer chains to every other cluster's trust bundle;
 * - no cluster retires an anchor another cluster still needs: the anchor another cluster's issuer chains
 *   to, or, once that cluster re-issued its issuer under a new anchor, the old one its not yet restarted
 *   workloads' certificates chain to. "Retired" means the two clusters share an anchor and the one
 *   missing is older than one the retiring cluster trusts (not an anchor never shared or not yet staged).
 *
 * Category `kubernetes-api`: one check, reported when a cluster's objects cannot be read (refused,
 * timed out, forbidden), so an unreachable cluster is a failed check with its reason, not a crash.
 */
import type { Certificate } from '../x509/certificate.js';
import { goVerify, sameCert, signersOf } from '../x509/verify.js';
import type { IdentityState } from './state.js';
import { rotationPlanOf } from './trust-bundle.js';
import { GUARD_HINT_BASE, type CheckDef, type Verdict } from './types.js';

export const CATEGORY_MULTICLUSTER = 'linkerd-identity-multicluster';
export const CATEGORY_KUBERNETES_API = 'kubernetes-api';
/** The `cluster` of the multicluster category, which judges every cluster together. */
export const ALL_CLUSTERS = '*';

const hint = (id: string) => GUARD_HINT_BASE + id;
const label = (c: Certificate) => `${c.serial} ${c.subjectCN}`;

export const KUBERNETES_API_CHECKS: ReadonlyArray<CheckDef<{ error?: string }>> = [
  {
    id: 'lcg-kubernetes-api-readable',
    description: "can read Linkerd's identity objects from the Kubernetes API",
    hint: hint('lcg-kubernetes-api-readable'),
    fatal: true,
    recommendation:
      'Check that the API server named in the error answers with this kubeconfig and context (kubectl --context <name> get --raw /readyz), and that the user, or the one --as/--as-group impersonates, may get the issuer Secret and the linkerd-config and trust-roots ConfigMaps in the Linkerd namespace.',
    run: (s) => s.error,
  },
];

/** One cluster as the multicluster checks see it: its derived state, or why it could not be judged. */
export interface ClusterState {
  name: string;
  st?: IdentityState;
  /** why this cluster is left out (unreachable, no issuer, no trust bundle) */
  notJudged?: string;
}

export interface MulticlusterState {
  now: Date;
  clusters: ClusterState[];
}

interface Judged {
  name: string;
  st: IdentityState;
  issuer: Certificate;
  bundle: Certificate[];
  from: string;
}

/** The clusters with an issuer and a trust bundle holding at least one CA certificate. */
export function judgedClusters(m: MulticlusterState): Judged[] {
  const out: Judged[] = [];
  for (const c of m.clusters) {
    const issuer = c.st?.issuer;
    const bundle = c.st?.bundle?.certs.map((x) => x.cert).filter((x) => x.basicConstraints?.isCA) ?? [];
    if (c.st && issuer && bundle.length > 0) out.push({ name: c.name, st: c.st, issuer, bundle, from: c.st.bundle?.from ?? 'its trust bundle' });
  }
  return out;
}

/** Clusters left out, and why (for a note on a passing check). */
export function notJudged(m: MulticlusterState): string[] {
  const judged = new Set(judgedClusters(m).map((j) => j.name));
  return m.clusters
    .filter((c) => !judged.has(c.name))
    .map((c) => `${c.name} (${c.notJudged ?? (c.st?.issuer ? 'no trust bundle with a CA certificate' : 'no readable issuer certificate')})`);
}

function listed(header: string, items: string[]): Verdict {
  return items.length ? `${header}\n\t${items.map((i) => `* ${i}`).join('\n\t')}` : undefined;
}

function withNote(v: Verdict, m: MulticlusterState): Verdict {
  if (v !== undefined) return v;
  const left = notJudged(m);
  return left.length ? { note: `not judged: ${left.join(', ')}` } : undefined;
}

export const MULTICLUSTER_CHECKS: ReadonlyArray<CheckDef<MulticlusterState>> = [
  {
    id: 'lcg-multicluster-issuer-chains-everywhere',
    description: "each cluster's issuer chains to every other cluster's trust bundle",
    hint: hint('lcg-multicluster-issuer-chains-everywhere'),
    recommendation:
      "Linkerd multicluster needs one shared trust anchor (Linkerd's docs: Installing Multi-cluster Components, Trust Anchor Bundle): source the same anchor Secret into every cluster's trust-manager Bundle, and during a rotation add the new anchor to every cluster's bundle before any cluster re-issues its identity issuer under it.",
    run: async (m) => {
      const js = judgedClusters(m);
      const items: string[] = [];
      for (const a of js) {
        for (const b of js) {
          if (a === b) continue;
          const r = await goVerify(a.issuer, { roots: b.bundle, intermediates: a.st.issuerChain, now: m.now });
          if (!r.ok) items.push(`the issuer of cluster ${a.name} (${label(a.issuer)}) does not chain to the trust bundle of cluster ${b.name} (${b.from}): ${r.error}; workloads in ${b.name} refuse mTLS from ${a.name}`);
        }
      }
      return withNote(listed('Clusters that do not trust each other:', items), m);
    },
  },
  {
    id: 'lcg-multicluster-anchor-retired-early',
    description: 'no cluster retires an anchor another cluster still needs',
    hint: hint('lcg-multicluster-anchor-retired-early'),
    recommendation:
      'Retire the old anchor (copy linkerd-trust-anchor over linkerd-previous-anchor) in every cluster only after every cluster has re-issued its identity issuer under the new anchor and restarted its control plane and data plane.',
    run: async (m) => {
      const js = judgedClusters(m);
      const items: string[] = [];
      for (const a of js) {
        // what a still needs the others to trust: the anchor its issuer chains to and, once it re-issued its
        // issuer under a new anchor, the older ones its not yet restarted workloads' certificates chain to
        const signers = await signersOf(a.issuer, a.bundle);
        // the same rotation plan as `rotate`: the issuer moved on, the data plane not restarted after it yet
        // (the issuer signed by the newest anchor of a rotating bundle, its data plane not known to be restarted since)
        const plan = await rotationPlanOf(a.st, a.bundle);
        const newest = [...a.bundle].sort((x, y) => y.notBefore.getTime() - x.notBefore.getTime())[0];
        const underNewest = newest !== undefined && signers.some((x) => sameCert(x, newest));
        const reissuedNotRestarted = plan.phase === 'rotating' && a.bundle.length > 1 && underNewest
          && plan.steps.find((x) => x.id === 'restart-data-plane-after-issuer')?.state !== 'done';
        const forWorkloads = reissuedNotRestarted ? a.bundle.filter((x) => !signers.some((s) => sameCert(s, x))) : [];
        const needs = [
          ...signers.map((x) => ({ x, why: `${a.name}'s issuer chains to it` })),
          ...forWorkloads.map((x) => ({ x, why: `${a.name} re-issued its issuer under ${signers[0] ? label(signers[0]) : 'a new anchor'} but has workloads whose certificates chain to it until its data plane is restarted` })),
        ];
        for (const b of js) {
          if (b === a) continue;
          // retired, not merely never shared or not yet staged: b shares an anchor with a and trusts one newer than the missing one
          if (!b.bundle.some((x) => a.bundle.some((y) => sameCert(x, y)))) continue;
          for (const { x, why } of needs) {
            if (b.bundle.some((y) => sameCert(y, x))) continue;
            if (!b.bundle.some((y) => y.notBefore.getTime() > x.notBefore.getTime())) continue;
            items.push(`cluster ${b.name} no longer trusts anchor ${label(x)}, which cluster ${a.name} still needs: ${why}`);
          }
        }
      }
      return withNote(listed('Anchors retired too early:', items), m);
    },
  },
];
