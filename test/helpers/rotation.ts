/**
 * Exported-object setups for each moment of a trust-anchor rotation, with certificates generated
 * at test time: what `kubectl get -o yaml` of the anchor Secrets, the bundle ConfigMap, the issuer
 * Secret and the pods would show.
 */
import { issue, keyPem, makeKeyPair, makeLinkerdChain, selfSigned, type TestCert } from './pki.js';

type Obj = Record<string, unknown>;
const b64 = (s: string) => Buffer.from(s).toString('base64');

export function tlsSecret(namespace: string, name: string, crt: TestCert, ca: TestCert): Obj {
  return { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { namespace, name }, data: { 'tls.crt': b64(crt.pem), 'tls.key': b64(keyPem(crt.key, 'sec1')), 'ca.crt': b64(ca.pem) } };
}

export function bundleConfigMap(anchors: TestCert[], changedAt?: Date): Obj {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { namespace: 'linkerd', name: 'linkerd-identity-trust-roots', ...(changedAt ? { managedFields: [{ manager: 'trust-manager', operation: 'Apply', time: changedAt.toISOString().replace(/\.\d+Z$/, 'Z') }] } : {}) },
    data: { 'ca-bundle.crt': anchors.map((a) => a.pem.trim()).join('\n') },
  };
}

export function meshedPod(namespace: string, name: string, started: Date, anchors: TestCert[], ready = true): Obj {
  const component = /^linkerd-(identity|destination)-/.exec(name)?.[1];
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { namespace, name, labels: { 'linkerd.io/control-plane-ns': 'linkerd', ...(component ? { 'linkerd.io/control-plane-component': component } : {}) }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-rs`, controller: true, uid: `${name}-rs-uid` }] },
    spec: { containers: [{ name: 'linkerd-proxy', env: [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: anchors.map((a) => a.pem).join('') }] }] },
    status: { phase: 'Running', startTime: started.toISOString().replace(/\.\d+Z$/, 'Z'), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

export interface RotationFixture {
  oldAnchor: TestCert;
  newAnchor: TestCert;
  oldIssuer: TestCert;
  newIssuer: TestCert;
  /** the objects at each moment */
  steady(): Obj[];
  staged(opts?: { restarted?: 'none' | 'control-plane' | 'both' }): Obj[];
  reissued(opts?: { restarted?: 'none' | 'both' }): Obj[];
  retired(opts?: { synced?: boolean }): Obj[];
}

const minutes = (n: number) => new Date(Math.floor((Date.now() + n * 60_000) / 1000) * 1000);

export async function rotationFixture(): Promise<RotationFixture> {
  const old = await makeLinkerdChain({ anchor: { notBefore: minutes(-600) }, issuer: { notBefore: minutes(-500) } });
  const newAnchor = await selfSigned(await makeKeyPair('P-256'), { cn: 'root.linkerd.cluster.local', isCA: true, notBefore: minutes(-60) });
  const newIssuer = await issue(await makeKeyPair('P-256'), newAnchor, { cn: 'identity.linkerd.cluster.local', isCA: true, pathLen: 0, notBefore: minutes(-20) });
  const { anchor: oldAnchor, issuer: oldIssuer } = old;
  const anchors = (current: TestCert, previous: TestCert) => [tlsSecret('cert-manager', 'linkerd-trust-anchor', current, current), tlsSecret('cert-manager', 'linkerd-previous-anchor', previous, previous)];
  const issuerSecret = (i: TestCert, a: TestCert) => tlsSecret('linkerd', 'linkerd-identity-issuer', i, a);
  const pods = (cpStart: Date, cpAnchors: TestCert[], dpStart: Date, dpAnchors: TestCert[]) => [meshedPod('linkerd', 'linkerd-identity-1', cpStart, cpAnchors), meshedPod('emojivoto', 'web-1', dpStart, dpAnchors)];
  return {
    oldAnchor, newAnchor, oldIssuer, newIssuer,
    steady: () => [...anchors(oldAnchor, oldAnchor), bundleConfigMap([oldAnchor], minutes(-590)), issuerSecret(oldIssuer, oldAnchor), ...pods(minutes(-400), [oldAnchor], minutes(-400), [oldAnchor])],
    staged: ({ restarted = 'none' } = {}) => [
      ...anchors(newAnchor, oldAnchor), bundleConfigMap([newAnchor, oldAnchor], minutes(-59)), issuerSecret(oldIssuer, oldAnchor),
      ...pods(restarted === 'none' ? minutes(-400) : minutes(-50), restarted === 'none' ? [oldAnchor] : [newAnchor, oldAnchor], restarted === 'both' ? minutes(-40) : minutes(-400), restarted === 'both' ? [newAnchor, oldAnchor] : [oldAnchor]),
    ],
    reissued: ({ restarted = 'none' } = {}) => [
      ...anchors(newAnchor, oldAnchor), bundleConfigMap([newAnchor, oldAnchor], minutes(-59)), issuerSecret(newIssuer, newAnchor),
      ...pods(restarted === 'both' ? minutes(-10) : minutes(-50), [newAnchor, oldAnchor], restarted === 'both' ? minutes(-5) : minutes(-40), [newAnchor, oldAnchor]),
    ],
    retired: ({ synced = true } = {}) => [
      ...anchors(newAnchor, newAnchor), bundleConfigMap(synced ? [newAnchor] : [newAnchor, oldAnchor], minutes(-1)), issuerSecret(newIssuer, newAnchor),
      ...pods(minutes(-10), [newAnchor, oldAnchor], minutes(-5), [newAnchor, oldAnchor]),
    ],
  };
}
