/**
 * The rotation plan's input from Kubernetes objects, the same for a live cluster and for
 * `--from` files: the anchor Secrets, the bundle ConfigMap, the issuer Secret and the pods.
 */
import type { Config } from '../config.js';
import type { PodInfo } from '../identity/types.js';
import { findObject as find, podInfo, secretData } from '../cluster/snapshot.js';
import { decodeCertificates } from '../identity/state.js';
import { arr, at, isRecord, kindOf, namespaceOf, str } from '../rules/object.js';
import type { K8sObject } from '../rules/types.js';
import type { Certificate } from '../x509/certificate.js';
import type { RotationInput, RotationPod } from './plan.js';

// The certificates of a PEM text depend on the text alone (`from` only names it in an error, dropped
// here); thousands of proxies hold the same text, so each distinct one is decoded once.
const decoded = new Map<string, Certificate[]>();

function certsOf(text: string | undefined, from: string): Certificate[] | undefined {
  if (text === undefined) return undefined;
  const known = decoded.get(text);
  if (known) return [...known];
  const d = decodeCertificates({ text, from });
  if (decoded.size >= 1_000) decoded.clear();
  decoded.set(text, d.certs);
  return [...d.certs];
}

/** The latest managedFields time: when the object last changed (the API server keeps it per manager). */
export function lastChanged(o: K8sObject): Date | undefined {
  let latest: number | undefined;
  for (const f of arr(at(o, 'metadata', 'managedFields')).filter(isRecord)) {
    const t = typeof f.time === 'string' ? Date.parse(f.time) : NaN;
    if (!Number.isNaN(t) && (latest === undefined || t > latest)) latest = t;
  }
  return latest === undefined ? undefined : new Date(latest);
}

/** A pod as the plan sees it. */
export function rotationPodOf(info: PodInfo): RotationPod {
  const anchors = info.trustAnchors.length > 0 ? info.trustAnchors.flatMap((t) => certsOf(t, `pod ${info.namespace}/${info.name}`) ?? []) : undefined;
  return {
    namespace: info.namespace,
    name: info.name,
    ready: info.ready === true,
    ...(info.startTime ? { startTime: new Date(info.startTime) } : {}),
    ...(info.identity ? { identity: true } : {}),
    ...(anchors ? { trustAnchors: anchors } : {}),
  };
}

/** A pod that is going away (deleted, or finished) no longer takes part in the mesh. */
function live(o: K8sObject): boolean {
  const phase = str(at(o, 'status', 'phase'));
  return at(o, 'metadata', 'deletionTimestamp') === undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

export interface RotationObjects {
  objects: readonly K8sObject[];
  /** whether pods were read at all (files may not hold any) */
  podsKnown: boolean;
}

export function rotationInput(config: Config, src: RotationObjects): RotationInput {
  const { objects } = src;
  const [anchorName = 'linkerd-trust-anchor', previousName = 'linkerd-previous-anchor'] = config.anchorNames;
  const tns = config.trustNamespace;
  const lns = config.linkerdNamespace;
  const anchorSecret = find(objects, 'Secret', anchorName, tns);
  const previousSecret = find(objects, 'Secret', previousName, tns);
  const issuerSecret = find(objects, 'Secret', config.issuerName, lns);
  const bundleCm = find(objects, 'ConfigMap', config.bundleName, lns);
  const issuerData = issuerSecret ? secretData(issuerSecret) : {};
  const bundleText = bundleCm && isRecord(at(bundleCm, 'data')) ? str(at(bundleCm, 'data', config.bundleKey)) : undefined;
  const inp: RotationInput = {
    names: { trustNamespace: tns, linkerdNamespace: lns, anchor: anchorName, previous: previousName, issuer: config.issuerName, bundle: config.bundleName },
  };
  const current = certsOf(anchorSecret ? secretData(anchorSecret)['tls.crt'] : undefined, anchorName)?.[0];
  const previous = certsOf(previousSecret ? secretData(previousSecret)['tls.crt'] : undefined, previousName)?.[0];
  const issuer = certsOf(issuerData['tls.crt'] ?? issuerData['crt.pem'], config.issuerName)?.[0];
  const bundle = certsOf(bundleText, config.bundleName);
  if (current) inp.current = current;
  if (previous) inp.previous = previous;
  if (issuer) inp.issuer = issuer;
  if (bundle) inp.bundle = bundle.filter((c) => c.basicConstraints?.isCA);
  const changed = bundleCm ? lastChanged(bundleCm) : undefined;
  if (changed) inp.bundleChangedAt = changed;
  const issuerChanged = issuerSecret ? lastChanged(issuerSecret) : undefined;
  if (issuerChanged) inp.issuerChangedAt = issuerChanged;
  if (src.podsKnown) {
    const pods = objects.filter((o) => kindOf(o) === 'Pod' && live(o));
    inp.controlPlanePods = pods.filter((p) => namespaceOf(p) === lns).map((p) => rotationPodOf(podInfo(p)));
    inp.meshedPods = pods
      .filter((p) => namespaceOf(p) !== lns && str(at(p, 'metadata', 'labels', 'linkerd.io/control-plane-ns')) !== undefined)
      .map((p) => rotationPodOf(podInfo(p)));
  }
  return inp;
}
