/**
 * Where a trust-anchor rotation stands, derived from the cluster every time (so `rotate` is
 * idempotent and resumes after any interruption), in the order Linkerd's current guide gives
 * ("Automatically Rotating Control Plane TLS Credentials": renew the anchor, restart the control
 * plane, restart the data plane, renew the issuer, restart both again, retire the old anchor). The
 * older five-step order re-issues the issuer before every proxy trusts the new anchor, so new and
 * old workloads reject each other for a while; this order never does.
 *
 * Pure: plain data in, a plan out. `check` (the rotation-phase check) and `rotate` both call it.
 */
import { certName, rfc3339, type Certificate } from '../x509/certificate.js';
import { sameCert, signersOf } from '../x509/verify.js';

export const STEP_IDS = [
  'renew-anchor',
  'restart-control-plane',
  'restart-data-plane',
  'renew-issuer',
  'restart-control-plane-after-issuer',
  'restart-data-plane-after-issuer',
  'retire-old-anchor',
] as const;
export type StepId = (typeof STEP_IDS)[number];

export const STEP_TITLES: Record<StepId, string> = {
  'renew-anchor': 'renew the trust anchor',
  'restart-control-plane': 'restart the control plane',
  'restart-data-plane': 'restart the data plane',
  'renew-issuer': 'renew the identity issuer',
  'restart-control-plane-after-issuer': 'restart the control plane after the issuer changed',
  'restart-data-plane-after-issuer': 'restart the data plane after the issuer changed',
  'retire-old-anchor': 'retire the old trust anchor',
};

export type StepState = 'done' | 'next' | 'pending' | 'unknown' | 'blocked';

export interface RotationPod {
  namespace: string;
  name: string;
  startTime?: Date;
  ready: boolean;
  /** the anchors the pod's proxy was started with; undefined when it has no proxy */
  trustAnchors?: Certificate[];
  /** Linkerd's identity controller, which signs every proxy's certificate with the issuer it loaded */
  identity?: boolean;
}

/** Everything the plan is derived from; undefined means "not known" (not readable, or not in the files). */
export interface RotationInput {
  /** the current anchor: tls.crt of the first anchor Secret */
  current?: Certificate;
  /** the previous anchor: tls.crt of the second anchor Secret */
  previous?: Certificate;
  /** the anchors in the bundle ConfigMap Linkerd loads */
  bundle?: Certificate[];
  /** when the bundle ConfigMap last changed (its managedFields), if known */
  bundleChangedAt?: Date;
  issuer?: Certificate;
  /** when the issuer Secret last changed (its managedFields), if known */
  issuerChangedAt?: Date;
  controlPlanePods?: RotationPod[];
  meshedPods?: RotationPod[];
  /** names used in messages */
  names: { trustNamespace: string; linkerdNamespace: string; anchor: string; previous: string; issuer: string; bundle: string };
}

export interface PlanStep {
  id: StepId;
  title: string;
  state: StepState;
  detail: string;
}

export interface RotationPlan {
  phase: 'steady' | 'rotating';
  steps: PlanStep[];
  next: { id: StepId; title: string } | null;
  blockers: string[];
}

interface Judgement {
  done: boolean;
  detail: string;
  unknown?: boolean;
  blocked?: boolean;
}

const has = (set: readonly Certificate[], c: Certificate | undefined): boolean => c !== undefined && set.some((x) => sameCert(x, c));
const label = (c: Certificate): string => `${certName(c)} (serial ${c.serial}, issued ${rfc3339(c.notBefore)})`;

function listPods(pods: RotationPod[]): string {
  const shown = pods.slice(0, 5).map((p) => `${p.namespace}/${p.name}`).join(', ');
  return pods.length > 5 ? `${shown} and ${pods.length - 5} more` : shown;
}

/**
 * Whether `start` is known to come after `reference`. A pod's start time and a certificate's validity
 * are whole seconds (as are managedFields times), so a pod that started in the same second as a change
 * may have started before it: only a later second counts.
 */
export function startedAfter(start: Date | undefined, reference: Date): boolean {
  return start !== undefined && Math.floor(start.getTime() / 1000) > Math.floor(reference.getTime() / 1000);
}

/** Pods that are not Ready or not known to have started after `since`. */
function startedBefore(pods: RotationPod[], since: Date): RotationPod[] {
  return pods.filter((p) => !p.ready || !startedAfter(p.startTime, since));
}

function proxiesLacking(pods: RotationPod[], anchors: Certificate[]): RotationPod[] {
  return pods.filter((p) => p.trustAnchors !== undefined && !anchors.every((a) => has(p.trustAnchors ?? [], a)));
}

export async function planRotation(inp: RotationInput): Promise<RotationPlan> {
  const n = inp.names;
  const blockers: string[] = [];
  if (!inp.current) blockers.push(`Secret ${n.trustNamespace}/${n.anchor} has no tls.crt: cert-manager has not issued the trust anchor`);
  if (inp.current && !inp.previous) {
    blockers.push(`Secret ${n.trustNamespace}/${n.previous} has no tls.crt: create it as a copy of ${n.anchor}, as Linkerd's guide does, so the bundle can hold the old anchor during a rotation`);
  }
  if (!inp.bundle) blockers.push(`ConfigMap ${n.linkerdNamespace}/${n.bundle} is missing: trust-manager has not written the bundle Linkerd loads`);
  if (!inp.issuer) blockers.push(`Secret ${n.linkerdNamespace}/${n.issuer} has no issuer certificate`);
  const { current, previous, bundle, issuer } = inp;
  if (!current || !previous || !bundle || !issuer) {
    return { phase: 'steady', steps: STEP_IDS.map((id) => ({ id, title: STEP_TITLES[id], state: 'unknown', detail: 'the rotation state cannot be derived' })), next: null, blockers };
  }
  const rotatingAnchors = !sameCert(current, previous);
  const [signer] = await signersOf(issuer, rotatingAnchors ? [current, previous] : [current]);
  const signedByCurrent = signer !== undefined && sameCert(signer, current);
  const onlyCurrentInBundle = bundle.length > 0 && bundle.every((c) => sameCert(c, current));
  const steady = !rotatingAnchors && onlyCurrentInBundle && signedByCurrent;
  if (!signer) blockers.push(`the identity issuer ${label(issuer)} is signed by neither ${n.anchor} nor ${n.previous}: re-issue it (cmctl renew -n ${n.linkerdNamespace} ${n.issuer})`);

  if (steady) {
    return {
      phase: 'steady',
      steps: STEP_IDS.map((id) => ({
        id,
        title: STEP_TITLES[id],
        state: id === 'renew-anchor' ? 'next' : 'pending',
        detail: id === 'renew-anchor' ? `steady: one anchor, ${label(current)}, which signed the issuer; a rotation starts here` : 'steady',
      })),
      next: { id: 'renew-anchor', title: STEP_TITLES['renew-anchor'] },
      blockers,
    };
  }

  const cp = inp.controlPlanePods;
  const dp = inp.meshedPods;
  const bothAnchors = [current, previous];
  const bundleSince = bundleChange(current, inp);
  const afterIssuer = issuerReference(issuer, inp);
  // The old anchor already copied over (retire-old-anchor applied): everything before it happened.
  const retiring = !rotatingAnchors;

  const judge: Record<StepId, () => Judgement> = {
    'renew-anchor': () => {
      if (retiring) return { done: true, detail: `the old anchor was retired; ${n.previous} already holds ${label(current)}` };
      if (has(bundle, current) && has(bundle, previous)) return { done: true, detail: `cert-manager wrote the new anchor ${label(current)}; the bundle holds it and the old ${label(previous)}` };
      if (!has(bundle, current)) return { done: false, detail: `cert-manager wrote the new anchor ${label(current)}; waiting for trust-manager to add it to ${n.bundle}` };
      return { done: false, detail: `the bundle lacks the old anchor ${label(previous)}: proxies that still use it would be cut off`, blocked: true };
    },
    'restart-control-plane': () => {
      if (retiring) return { done: true, detail: 'done before the old anchor was retired' };
      if (!cp) return { done: false, unknown: true, detail: `the control-plane pods in ${n.linkerdNamespace} are not known` };
      // Once the issuer moved on, later restarts replace these pods: what still matters is that
      // their proxies trust both anchors.
      const stale = signedByCurrent ? proxiesLacking(cp, bothAnchors) : [...new Set([...startedBefore(cp, bundleSince), ...proxiesLacking(cp, bothAnchors)])];
      if (stale.length === 0) return { done: true, detail: `every control-plane pod (${cp.length}) started after the bundle changed (${rfc3339(bundleSince)}) and is Ready` };
      return { done: false, detail: `${stale.length} control-plane pod(s) started before the bundle changed or are not Ready: ${listPods(stale)}` };
    },
    'restart-data-plane': () => {
      if (retiring) return { done: true, detail: 'done before the old anchor was retired' };
      if (!dp) return { done: false, unknown: true, detail: 'the meshed pods are not known' };
      const stale = proxiesLacking(dp, bothAnchors);
      if (stale.length === 0) return { done: true, detail: `every meshed pod's proxy (${dp.length}) trusts both anchors` };
      return { done: false, detail: `${stale.length} meshed pod(s) whose proxy does not trust both anchors: ${listPods(stale)}` };
    },
    'renew-issuer': () => {
      if (signedByCurrent) return { done: true, detail: `the issuer ${label(issuer)} is signed by the new anchor` };
      if (!signer) return { done: false, blocked: true, detail: 'the issuer is signed by neither anchor' };
      return { done: false, detail: `the issuer ${label(issuer)} is still signed by the old anchor` };
    },
    'restart-control-plane-after-issuer': () => {
      if (retiring) return { done: true, detail: 'done before the old anchor was retired' };
      if (!cp) return { done: false, unknown: true, detail: `the control-plane pods in ${n.linkerdNamespace} are not known` };
      const staleIdentity = startedBefore(cp.filter((p) => p.identity), afterIssuer.identity);
      if (staleIdentity.length > 0) return { done: false, detail: `${staleIdentity.length} identity controller pod(s) started before the issuer changed (${rfc3339(afterIssuer.identity)}): ${listPods(staleIdentity)}` };
      const stale = startedBefore(cp.filter((p) => !p.identity), afterIssuer.others);
      if (stale.length === 0) return { done: true, detail: `every control-plane pod started after the issuer changed (${rfc3339(afterIssuer.identity)}), the rest after the identity controller (${rfc3339(afterIssuer.others)}), and is Ready` };
      return { done: false, detail: `${stale.length} control-plane pod(s) started before the identity controller had the new issuer (${rfc3339(afterIssuer.others)}): ${listPods(stale)}` };
    },
    'restart-data-plane-after-issuer': () => {
      if (retiring) return { done: true, detail: 'done before the old anchor was retired' };
      if (!dp) return { done: false, unknown: true, detail: 'the meshed pods are not known' };
      const stale = startedBefore(dp, afterIssuer.others);
      if (stale.length === 0) return { done: true, detail: `every meshed pod (${dp.length}) started after the identity controller had the new issuer (${rfc3339(afterIssuer.others)})` };
      return { done: false, detail: `${stale.length} meshed pod(s) started before the identity controller had the new issuer (${rfc3339(afterIssuer.others)}): ${listPods(stale)}` };
    },
    'retire-old-anchor': () => {
      if (onlyCurrentInBundle && retiring) return { done: true, detail: 'the bundle holds only the new anchor' };
      if (retiring) return { done: false, detail: `${n.previous} holds the new anchor; waiting for trust-manager to drop the old one from ${n.bundle}` };
      return { done: false, detail: `${n.previous} still holds the old anchor ${label(previous)}` };
    },
  };

  const steps: PlanStep[] = [];
  let next: RotationPlan['next'] = null;
  for (const id of STEP_IDS) {
    const j = judge[id]();
    let state: StepState;
    if (next !== null) state = 'pending';
    else if (j.done) state = 'done';
    else state = j.blocked ? 'blocked' : j.unknown ? 'unknown' : 'next';
    if (next === null && state !== 'done') next = { id, title: STEP_TITLES[id] };
    // A later step already done out of order is reported: the older guide's order does exactly this.
    // Only when an earlier step is known to be undone (not merely unknown).
    if (state === 'pending' && id === 'renew-issuer' && j.done && steps.some((s) => s.state === 'next' || s.state === 'blocked')) {
      blockers.push('the identity issuer was re-issued under the new anchor before every workload trusted it: proxies that trust only the old anchor reject the certificates it signs; finish the restarts now');
    }
    steps.push({ id, title: STEP_TITLES[id], state, detail: j.detail });
  }
  for (const s of steps) if (s.state === 'blocked') blockers.push(`${s.id}: ${s.detail}`);
  return { phase: 'rotating', steps, next, blockers };
}

/** The times a restart step's pods must have started after (in a later second, see `startedAfter`). */
export interface RestartReference {
  /** for the pods of Linkerd's identity controller */
  identity: Date;
  /** for every other pod */
  others: Date;
}

/**
 * - The first restarts: the bundle change (the later of the new anchor and the ConfigMap's last change).
 * - The restarts after the issuer: the identity controller's pods, the issuer's re-issuance (the later
 *   of its notBefore and its Secret's last change: an issuer may backdate notBefore, and the Secret is
 *   written after signing). Every other pod, also the identity controller's latest start: it signs
 *   proxies' certificates with the issuer it loaded, so a proxy that started before it may hold a
 *   certificate from the old issuer (Linkerd's own reload of the Secret is not relied on, linkerd2#15109).
 * Undefined for the other steps.
 */
export function referenceTime(step: StepId, inp: RotationInput): RestartReference | undefined {
  if (step === 'restart-control-plane' || step === 'restart-data-plane') {
    if (!inp.current) return undefined;
    const changed = bundleChange(inp.current, inp);
    return { identity: changed, others: changed };
  }
  if (step === 'restart-control-plane-after-issuer' || step === 'restart-data-plane-after-issuer') return inp.issuer ? issuerReference(inp.issuer, inp) : undefined;
  return undefined;
}

const latest = (...times: Array<Date | undefined>): Date => new Date(Math.max(...times.map((d) => d?.getTime() ?? 0)));

function bundleChange(current: Certificate, inp: RotationInput): Date {
  return latest(current.notBefore, inp.bundleChangedAt);
}

function issuerReference(issuer: Certificate, inp: RotationInput): RestartReference {
  const reissued = latest(issuer.notBefore, inp.issuerChangedAt);
  return { identity: reissued, others: latest(reissued, ...(inp.controlPlanePods ?? []).filter((p) => p.identity).map((p) => p.startTime)) };
}
