/**
 * What the end-to-end tests do with cert-manager and trust-manager, through the API server: read
 * and wait for Certificates, re-issue them as `cmctl renew` does, copy the anchor Secret as
 * Linkerd's guide does, wait for trust-manager's bundle, and write Linkerd's `linkerd-config` as
 * its install would (Linkerd itself does not run here).
 */
import { X509Certificate } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { waitFor, type Cluster, type Proc } from './harness.js';

export interface CertStatus {
  revision?: number;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; observedGeneration?: number }>;
}

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; generation?: number; uid?: string }; spec?: Record<string, unknown>; [k: string]: unknown };

/** The PEM blocks of a bundle, each with its armour. */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** `watched()`: the processes whose death ends a wait early (the controllers). */
export function identityOps(cluster: Cluster, watched: () => Proc[]) {
  const customs = cluster.kc.makeApiClient(k8s.CustomObjectsApi);
  const core = cluster.kc.makeApiClient(k8s.CoreV1Api);

  async function getCertificate(namespace: string, name: string): Promise<Obj & { status?: CertStatus }> {
    return (await customs.getNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespace, name })) as Obj & { status?: CertStatus };
  }

  /** Wait until cert-manager reports the Certificate Ready at `revision` or later (issuance done). */
  async function waitIssued(namespace: string, name: string, revision: number): Promise<{ revision: number }> {
    let seen = 0;
    await waitFor(`Certificate ${namespace}/${name} issued (revision ${revision})`, async () => {
      const st = (await getCertificate(namespace, name)).status;
      seen = st?.revision ?? 0;
      const ready = st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      const issuing = st?.conditions?.some((c) => c.type === 'Issuing' && c.status === 'True') ?? false;
      return ready && !issuing && seen >= revision;
    }, { procs: watched(), timeoutMs: 60_000, intervalMs: 200 });
    return { revision: seen };
  }

  /** Wait until cert-manager reports the Certificate Ready (a re-created one whose Secret is up to date has no revision). */
  async function waitReady(namespace: string, name: string): Promise<void> {
    await waitIssued(namespace, name, 0);
  }

  /**
   * `cmctl renew`: set Issuing=True (reason ManuallyTriggered) through the status subresource on
   * the fetched object, then wait for cert-manager to finish the new revision. Returns it.
   */
  async function renew(namespace: string, name: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const crt = await getCertificate(namespace, name);
      const revision = crt.status?.revision ?? 0;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const conditions = (crt.status?.conditions ?? []).filter((c) => c.type !== 'Issuing');
      conditions.push({
        type: 'Issuing', status: 'True', reason: 'ManuallyTriggered', message: 'Certificate re-issuance manually triggered',
        lastTransitionTime: now, observedGeneration: (crt.metadata as { generation?: number }).generation,
      });
      try {
        // A PUT of the fetched object: a stale resourceVersion is a conflict, as with cmctl.
        await customs.replaceNamespacedCustomObjectStatus({
          group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespace, name,
          body: { ...crt, status: { ...crt.status, conditions } },
        });
      } catch (e) {
        if (e instanceof k8s.ApiException && e.code === 409 && attempt < 5) continue;
        throw e;
      }
      return (await waitIssued(namespace, name, revision + 1)).revision;
    }
  }

  /** The Secret's annotations and its data decoded as text (certificates only are ever compared). */
  async function readSecret(namespace: string, name: string): Promise<{ annotations: Record<string, string>; data: Record<string, string> }> {
    const raw = await readSecretRaw(namespace, name);
    const s = await core.readNamespacedSecret({ namespace, name });
    return {
      annotations: s.metadata?.annotations ?? {},
      data: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
    };
  }

  async function readSecretRaw(namespace: string, name: string): Promise<Record<string, string>> {
    return (await core.readNamespacedSecret({ namespace, name })).data ?? {};
  }

  /** Seed 001's `kubectl get secret linkerd-trust-anchor -o yaml | sed ... | kubectl apply -f -`. */
  async function copyAnchorOverPrevious(): Promise<void> {
    const data = await readSecretRaw('cert-manager', 'linkerd-trust-anchor');
    const body: k8s.V1Secret = { metadata: { name: 'linkerd-previous-anchor', namespace: 'cert-manager' }, type: 'kubernetes.io/tls', data };
    try {
      const current = await core.readNamespacedSecret({ namespace: 'cert-manager', name: 'linkerd-previous-anchor' });
      await core.replaceNamespacedSecret({ namespace: 'cert-manager', name: 'linkerd-previous-anchor', body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion } } });
    } catch (e) {
      if (!(e instanceof k8s.ApiException && e.code === 404)) throw e;
      await core.createNamespacedSecret({ namespace: 'cert-manager', body });
    }
  }

  /** Wait until trust-manager's ConfigMap in the Linkerd namespace holds exactly `anchors`. */
  async function waitBundle(anchors: X509Certificate[], what: string): Promise<{ text: string; labels: Record<string, string>; annotations: Record<string, string> }> {
    const want = anchors.map((a) => a.fingerprint256).sort();
    let last = { text: '', labels: {} as Record<string, string>, annotations: {} as Record<string, string> };
    await waitFor(what, async () => {
      const cm = await core.readNamespacedConfigMap({ namespace: 'linkerd', name: 'linkerd-identity-trust-roots' });
      last = { text: cm.data?.['ca-bundle.crt'] ?? '', labels: cm.metadata?.labels ?? {}, annotations: cm.metadata?.annotations ?? {} };
      const have = pemBlocks(last.text).map((p) => new X509Certificate(p).fingerprint256).sort();
      return JSON.stringify(have) === JSON.stringify(want);
    }, { procs: watched(), timeoutMs: 60_000, intervalMs: 200 });
    return last;
  }

  async function waitBundleSynced(): Promise<void> {
    await waitFor('Bundle linkerd-identity-trust-roots Synced', async () => {
      const b = (await customs.getClusterCustomObject({ group: 'trust.cert-manager.io', version: 'v1alpha1', plural: 'bundles', name: 'linkerd-identity-trust-roots' })) as { status?: CertStatus };
      return b.status?.conditions?.some((c) => c.type === 'Synced' && c.status === 'True') ?? false;
    }, { procs: watched(), timeoutMs: 60_000, intervalMs: 200 });
  }

  /**
   * Stand-in for `linkerd install --set identity.externalCA=true --set identity.issuer.scheme=kubernetes.io/tls`
   * (Linkerd is not in this tier): the linkerd-config ConfigMap it stores, with the anchors it was installed with.
   */
  async function installLinkerdConfig(anchorsPem: string): Promise<void> {
    await core.createNamespacedConfigMap({
      namespace: 'linkerd',
      body: {
        metadata: { name: 'linkerd-config' },
        data: { values: toYaml({ identityTrustAnchorsPEM: anchorsPem, identity: { externalCA: true, issuer: { scheme: 'kubernetes.io/tls' } } }) },
      },
    });
  }


  return { getCertificate, waitIssued, waitReady, renew, readSecret, readSecretRaw, copyAnchorOverPrevious, waitBundle, waitBundleSynced, installLinkerdConfig };
}
