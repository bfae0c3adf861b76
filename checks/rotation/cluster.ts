/**
 * The cluster side of `rotate`: read what the plan is derived from, and make the one change each
 * step needs. Every change is one the user would make by hand (`cmctl renew`,
 * `kubectl rollout restart`, the Secret copy of Linkerd's guide); nothing is ever deleted.
 */
import { GuardError, guardError } from '../errors.js';
import type { Config } from '../config.js';
import { at, arr, isRecord, kindOf, nameOf, namespaceOf, str } from '../rules/object.js';
import type { K8sObject } from '../rules/types.js';
import { isIdentityPod } from '../cluster/snapshot.js';
import { startedAfter, type RestartReference, type StepId } from './plan.js';
import { connect, corePath, getObject, listObjects, listPodsSlim, requestJson, statusOf, type ConnectOptions } from '../cluster/live.js';

/** The annotation `kubectl rollout restart` sets on a pod template. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
const FIELD_MANAGER = 'linkerd-cert-guard';
/** The apps/v1 kinds rotate reads, by their resource names. */
const WORKLOADS = { ReplicaSet: 'replicasets', Deployment: 'deployments', DaemonSet: 'daemonsets', StatefulSet: 'statefulsets' } as const;

export interface ApiCall {
  verb: 'PUT' | 'PATCH' | 'CREATE';
  what: string;
  detail: string;
}

export interface Cluster {
  name: string;
  server: string;
  read(): Promise<K8sObject[]>;
  /** The API calls `step` needs now (empty when nothing is left to do but wait). */
  plan(step: StepId, objects: K8sObject[], reference: RestartReference | undefined): ApiCall[];
  /** `reference`: the step's reference times (plan.ts `referenceTime`), which a restart must come after */
  apply(calls: ApiCall[], objects: K8sObject[], reference?: RestartReference): Promise<void>;
}

/** A renewal this cluster cannot do: no Certificate here writes the Secret (it is synced from elsewhere). */
export class NotManagedHere extends GuardError {
  constructor(message: string) {
    super('LCG_USAGE', message);
  }
}

/** Wait, at most about a second, until the clock is in a later second than `reference`. */
async function untilSecondAfter(reference: Date): Promise<void> {
  const wait = (Math.floor(reference.getTime() / 1000) + 1) * 1000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The workload a pod belongs to, through its ReplicaSet for Deployments. */
export function workloadOf(pod: K8sObject, objects: readonly K8sObject[]): { kind: string; namespace: string; name: string } | undefined {
  const ns = namespaceOf(pod) ?? 'default';
  const owner = arr(at(pod, 'metadata', 'ownerReferences')).filter(isRecord).find((r) => r.controller === true) ?? arr(at(pod, 'metadata', 'ownerReferences')).filter(isRecord)[0];
  if (!owner || typeof owner.kind !== 'string' || typeof owner.name !== 'string') return undefined;
  if (owner.kind === 'ReplicaSet') {
    const rs = objects.find((o) => kindOf(o) === 'ReplicaSet' && nameOf(o) === owner.name && namespaceOf(o) === ns);
    const dep = rs ? arr(at(rs, 'metadata', 'ownerReferences')).filter(isRecord).find((r) => r.kind === 'Deployment') : undefined;
    return dep && typeof dep.name === 'string' ? { kind: 'Deployment', namespace: ns, name: dep.name } : undefined;
  }
  if (owner.kind === 'DaemonSet' || owner.kind === 'StatefulSet') return { kind: owner.kind, namespace: ns, name: owner.name };
  return undefined;
}

/** The Certificate that writes Secret `secretName` in `namespace`. */
function certificateWriting(objects: readonly K8sObject[], namespace: string, secretName: string): K8sObject | undefined {
  return objects.find((o) => kindOf(o) === 'Certificate' && namespaceOf(o) === namespace && str(at(o, 'spec', 'secretName')) === secretName);
}

function issuing(cert: K8sObject): boolean {
  return arr(at(cert, 'status', 'conditions')).filter(isRecord).some((c) => c.type === 'Issuing' && c.status === 'True');
}

/**
 * Pods whose workload must restart for `step` (not known to have started after their reference).
 * After the issuer changed, the control plane's other pods wait until the identity controller's
 * pods run with the new issuer: restarted together, they could get certificates from an old one.
 */
function podsToRestart(step: StepId, objects: readonly K8sObject[], config: Config, reference: RestartReference): K8sObject[] {
  const controlPlane = step === 'restart-control-plane' || step === 'restart-control-plane-after-issuer';
  const stale = objects.filter((o) => {
    if (kindOf(o) !== 'Pod' || at(o, 'metadata', 'deletionTimestamp') !== undefined) return false;
    const inCp = namespaceOf(o) === config.linkerdNamespace;
    const meshed = str(at(o, 'metadata', 'labels', 'linkerd.io/control-plane-ns')) !== undefined;
    if (controlPlane ? !inCp : inCp || !meshed) return false;
    const started = str(at(o, 'status', 'startTime'));
    return !startedAfter(started === undefined ? undefined : new Date(started), referenceOf(o, reference));
  });
  if (step !== 'restart-control-plane-after-issuer' || !stale.some(isIdentityPod)) return stale;
  return stale.filter(isIdentityPod);
}

function referenceOf(pod: K8sObject, reference: RestartReference): Date {
  return isIdentityPod(pod) ? reference.identity : reference.others;
}

/** Restarts still to ask for: workloads of stale pods whose template was not restarted since their reference. */
export function restartCalls(step: StepId, objects: readonly K8sObject[], config: Config, reference: RestartReference): ApiCall[] {
  const seen = new Set<string>();
  const calls: ApiCall[] = [];
  for (const pod of podsToRestart(step, objects, config, reference)) {
    const w = workloadOf(pod, objects);
    if (!w) continue;
    const key = `${w.kind}/${w.namespace}/${w.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const obj = objects.find((o) => kindOf(o) === w.kind && nameOf(o) === w.name && namespaceOf(o) === w.namespace);
    const restartedAt = obj ? str(at(obj, 'spec', 'template', 'metadata', 'annotations', RESTARTED_AT)) : undefined;
    if (restartedAt !== undefined && startedAfter(new Date(restartedAt), referenceOf(pod, reference))) continue; // a rollout is under way
    calls.push({ verb: 'PATCH', what: key, detail: `spec.template.metadata.annotations["${RESTARTED_AT}"] (kubectl rollout restart)` });
  }
  return calls;
}

export async function connectCluster(config: Config, opts: ConnectOptions): Promise<Cluster> {
  const conn = await connect({ ...opts, offline: 'judge exported objects with --from' });
  const { server, name } = conn;
  const unreachable = (what: string, e: unknown): GuardError => {
    const status = statusOf(e);
    return guardError('LCG_CLUSTER_UNREACHABLE', what, server, status ? `HTTP ${status}` : e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e));
  };
  const [anchorName = 'linkerd-trust-anchor', previousName = 'linkerd-previous-anchor'] = config.anchorNames;

  return {
    name,
    server,
    async read(): Promise<K8sObject[]> {
      const out: K8sObject[] = [];
      const one = async (what: string, f: () => Promise<K8sObject>): Promise<void> => {
        try {
          out.push(await f());
        } catch (e) {
          if (statusOf(e) !== 404) throw unreachable(what, e);
        }
      };
      const list = async (what: string, f: () => Promise<K8sObject[]>): Promise<void> => {
        try {
          for (const item of await f()) out.push(item);
        } catch (e) {
          if (statusOf(e) !== 404) throw unreachable(what, e);
        }
      };
      const tns = config.trustNamespace;
      const lns = config.linkerdNamespace;
      await Promise.all([
        one(`Secret ${tns}/${anchorName}`, () => getObject(conn, corePath(tns, 'secrets', anchorName), 'Secret', 'v1')),
        one(`Secret ${tns}/${previousName}`, () => getObject(conn, corePath(tns, 'secrets', previousName), 'Secret', 'v1')),
        one(`Secret ${lns}/${config.issuerName}`, () => getObject(conn, corePath(lns, 'secrets', config.issuerName), 'Secret', 'v1')),
        one(`ConfigMap ${lns}/${config.bundleName}`, () => getObject(conn, corePath(lns, 'configmaps', config.bundleName), 'ConfigMap', 'v1')),
        ...[tns, lns].map((namespace) =>
          list(`certificates.cert-manager.io in ${namespace}`, () => listObjects(conn, `/apis/cert-manager.io/v1/namespaces/${encodeURIComponent(namespace)}/certificates`, 'Certificate', 'cert-manager.io/v1')),
        ),
        // pods in pages, reduced to what the plan reads: a large mesh's full list is more than one response may carry
        list(`pods in ${lns}`, () => listPodsSlim(conn, corePath(lns, 'pods'))),
        list('meshed pods', () => listPodsSlim(conn, '/api/v1/pods', 'linkerd.io/control-plane-ns')),
        ...(['ReplicaSet', 'Deployment', 'DaemonSet', 'StatefulSet'] as const).map((kind) => list(WORKLOADS[kind], () => listObjects(conn, `/apis/apps/v1/${WORKLOADS[kind]}`, kind, 'apps/v1'))),
      ]);
      // the control-plane namespace's pods appear in both pod lists
      const seen = new Set<string>();
      return out.filter((o) => {
        const uid = str(at(o, 'metadata', 'uid'));
        if (uid === undefined) return true;
        if (seen.has(uid)) return false;
        seen.add(uid);
        return true;
      });
    },
    plan(step, objects, reference): ApiCall[] {
      switch (step) {
        case 'renew-anchor':
        case 'renew-issuer': {
          const [namespace, secret] = step === 'renew-anchor' ? [config.trustNamespace, anchorName] : [config.linkerdNamespace, config.issuerName];
          const cert = certificateWriting(objects, namespace, secret);
          if (!cert) throw new NotManagedHere(`no cert-manager Certificate in namespace ${namespace} of ${name} writes Secret ${secret}: renew it where it is managed`);
          if (issuing(cert)) return []; // cert-manager is issuing already: wait
          return [{ verb: 'PUT', what: `Certificate/${namespace}/${nameOf(cert) ?? secret}/status`, detail: 'condition Issuing=True, reason ManuallyTriggered (cmctl renew)' }];
        }
        case 'retire-old-anchor':
          return [{ verb: 'PUT', what: `Secret/${config.trustNamespace}/${previousName}`, detail: `data of Secret ${config.trustNamespace}/${anchorName} (Linkerd's guide: copy the anchor over the previous anchor)` }];
        default:
          return reference ? restartCalls(step, objects, config, reference) : [];
      }
    },
    async apply(calls, objects, reference): Promise<void> {
      for (const call of calls) {
        const [kind, namespace, name] = call.what.split('/') as [string, string, string];
        if (kind === 'Certificate') {
          const cert = objects.find((o) => kindOf(o) === 'Certificate' && namespaceOf(o) === namespace && nameOf(o) === name);
          if (!cert) continue;
          const generation = at(cert, 'metadata', 'generation');
          const conditions = arr(at(cert, 'status', 'conditions')).filter(isRecord).filter((c) => c.type !== 'Issuing');
          conditions.push({ type: 'Issuing', status: 'True', reason: 'ManuallyTriggered', message: 'Certificate re-issuance manually triggered', lastTransitionTime: rfc3339(new Date()), ...(typeof generation === 'number' ? { observedGeneration: generation } : {}) });
          const status = isRecord(cert.status) ? cert.status : {};
          // A PUT of the object as read: a stale resourceVersion is a conflict, never a lost update.
          await requestJson(conn, 'PUT', `/apis/cert-manager.io/v1/namespaces/${encodeURIComponent(namespace)}/certificates/${encodeURIComponent(name)}/status`, { body: { ...cert, status: { ...status, conditions } } });
        } else if (kind === 'Secret') {
          const [anchorNs, anchorSecret] = [config.trustNamespace, anchorName];
          const source = await getObject(conn, corePath(anchorNs, 'secrets', anchorSecret), 'Secret', 'v1');
          let current: K8sObject | undefined;
          try {
            current = await getObject(conn, corePath(namespace, 'secrets', name), 'Secret', 'v1');
          } catch (e) {
            if (statusOf(e) !== 404) throw e;
          }
          const resourceVersion = current ? str(at(current, 'metadata', 'resourceVersion')) : undefined;
          const labels = current ? at(current, 'metadata', 'labels') : undefined;
          const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}), labels: isRecord(labels) ? labels : {} }, type: str(source.type) ?? 'kubernetes.io/tls', data: isRecord(source.data) ? source.data : {} };
          if (current) await requestJson(conn, 'PUT', corePath(namespace, 'secrets', name), { body });
          else await requestJson(conn, 'POST', corePath(namespace, 'secrets'), { body });
        } else {
          const plural = WORKLOADS[kind as keyof typeof WORKLOADS];
          if (plural === undefined) continue;
          // The new pods must start in a later second than the reference (plan.ts `startedAfter`).
          if (reference) await untilSecondAfter(reference.others);
          const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: rfc3339(new Date()) } } } } };
          await requestJson(conn, 'PATCH', `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}`, { body: patch, contentType: 'application/merge-patch+json', query: { fieldManager: FIELD_MANAGER } });
        }
      }
    },
  };
}
