/**
 * Stand-ins for the two parts of a meshed cluster that cannot run in this tier, each doing only
 * what the real part does for a trust-anchor rotation:
 *
 * - the proxy injector: a mutating webhook on Pod CREATE that sets the linkerd-proxy container's
 *   LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS from the bundle ConfigMap, read afresh on every request
 *   (Linkerd's injector re-reads its mounted ca-bundle.crt per request);
 * - the kubelet: marks a new pod Running and Ready with a start time, and removes a terminating pod.
 *
 * It also records, as each pod starts, which identity issuer signs its proxy's certificate, and checks
 * the invariant of a safe rotation at every observed moment: every live pod trusts the anchor behind
 * the issuer of every other live pod. Linkerd's identity controller (label
 * linkerd.io/control-plane-component=identity) loads the issuer Secret when it starts and signs with
 * it (its own proxy's certificate too); any other proxy gets its certificate from a running identity
 * controller, taken here as the oldest one (the worst case), and waits while none runs. The real
 * controller also reloads the Secret some time after it changes; that is left out, which only makes
 * the stand-in stricter.
 */
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { freePort, type Cluster } from './harness.js';

export const MESH_LABEL = 'e2e.linkerd-cert-guard.io/meshed';
const COMPONENT_LABEL = 'linkerd.io/control-plane-component';

export interface PodRecord {
  namespace: string;
  name: string;
  /** fingerprint of the issuer current when the pod started */
  issuer: string;
  /** fingerprints of the anchors its proxy trusts */
  trusts: string[];
}

export interface Violation {
  /** what the test was doing (set with `mesh.moment`) */
  moment: string;
  pod: string;
  peer: string;
  detail: string;
}

export interface Mesh {
  /** label the moment for violations seen from now on */
  moment(label: string): void;
  violations: Violation[];
  records: Map<string, PodRecord>;
  /** every tick's live pod count, for the test to see the monitor really observed */
  ticks: number;
  stop(): Promise<void>;
}

const pemBlocks = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];

export async function startMesh(cluster: Cluster, opts: { linkerdNamespace: string; issuerSecret: string; bundleConfigMap: string }): Promise<Mesh> {
  const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
  const admission = cluster.kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  const bundleText = async (): Promise<string> => (await core.readNamespacedConfigMap({ namespace: opts.linkerdNamespace, name: opts.bundleConfigMap })).data?.['ca-bundle.crt'] ?? '';

  // --- the proxy injector
  const cert = await cluster.pki.serving('injector');
  const server: Server = createServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string; object: { spec: { containers: Array<{ name: string }> } } } };
        const index = review.request.object.spec.containers.findIndex((c) => c.name === 'linkerd-proxy');
        const anchors = (await bundleText()).trim();
        const patch = index < 0 ? [] : [{ op: 'add', path: `/spec/containers/${index}/env`, value: [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: anchors }] }];
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') } }));
      })().catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  await admission.createMutatingWebhookConfiguration({
    body: {
      metadata: { name: 'e2e-linkerd-proxy-injector' },
      webhooks: [{
        name: 'linkerd-proxy-injector.e2e.linkerd-cert-guard.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        objectSelector: { matchLabels: { [MESH_LABEL]: 'true' } },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        clientConfig: { url: `https://127.0.0.1:${port}/inject`, caBundle: Buffer.from(cluster.pki.caPem).toString('base64') },
      }],
    },
  });

  // --- the kubelet, the records and the invariant
  const records = new Map<string, PodRecord>();
  const anchors = new Map<string, X509Certificate>();
  const issuerAnchor = new Map<string, string | undefined>();
  const mesh: Mesh = { moment: (l) => (moment = l), violations: [], records, ticks: 0, stop: async () => undefined };
  let moment = 'start';
  let running = true;
  const anchorOf = (issuer: X509Certificate): string | undefined => {
    if (!issuerAnchor.has(issuer.fingerprint256)) {
      issuerAnchor.set(issuer.fingerprint256, [...anchors.values()].find((a) => issuer.verify(a.publicKey))?.fingerprint256);
    }
    return issuerAnchor.get(issuer.fingerprint256);
  };
  const issuers = new Map<string, X509Certificate>();
  const tick = async (): Promise<void> => {
    for (const block of pemBlocks(await bundleText())) {
      const a = new X509Certificate(block);
      anchors.set(a.fingerprint256, a);
    }
    const pods = (await core.listPodForAllNamespaces({ labelSelector: `${MESH_LABEL}=true` })).items;
    for (const pod of pods) {
      const ns = pod.metadata?.namespace ?? '';
      const name = pod.metadata?.name ?? '';
      if (pod.metadata?.deletionTimestamp) {
        await core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 }).catch(() => undefined);
        continue;
      }
      if (pod.status?.startTime) continue;
      // The kubelet stamps the start before the proxy asks for its certificate: so the issuer read
      // below is never older than the start time says.
      const now = new Date();
      let issuer: X509Certificate;
      if (pod.metadata?.labels?.[COMPONENT_LABEL] === 'identity') {
        const issuerPem = Buffer.from((await core.readNamespacedSecret({ namespace: opts.linkerdNamespace, name: opts.issuerSecret })).data?.['tls.crt'] ?? '', 'base64').toString('utf8');
        issuer = new X509Certificate(issuerPem);
        issuers.set(issuer.fingerprint256, issuer);
      } else {
        const controller = pods
          .filter((p) => p.metadata?.labels?.[COMPONENT_LABEL] === 'identity' && !p.metadata.deletionTimestamp && p.status?.startTime && records.has(p.metadata.uid ?? ''))
          .sort((a, b) => new Date(a.status?.startTime ?? 0).getTime() - new Date(b.status?.startTime ?? 0).getTime())[0];
        const loaded = controller ? issuers.get(records.get(controller.metadata?.uid ?? '')?.issuer ?? '') : undefined;
        if (!loaded) continue; // no identity controller runs yet: the proxy retries
        issuer = loaded;
      }
      const env = pod.spec?.containers.find((c) => c.name === 'linkerd-proxy')?.env?.find((e) => e.name === 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS')?.value ?? '';
      records.set(pod.metadata?.uid ?? name, { namespace: ns, name, issuer: issuer.fingerprint256, trusts: pemBlocks(env).map((b) => new X509Certificate(b).fingerprint256) });
      await core.replaceNamespacedPodStatus({
        namespace: ns, name,
        body: { ...pod, status: { phase: 'Running', startTime: now, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }, { type: 'ContainersReady', status: 'True', lastTransitionTime: now }] } },
      }).catch(() => undefined);
    }
    // The invariant, over the pods live now.
    const live = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.startTime).map((p) => records.get(p.metadata?.uid ?? '')).filter((r): r is PodRecord => r !== undefined);
    for (const p of live) {
      for (const q of live) {
        const issuer = issuers.get(q.issuer);
        const anchor = issuer ? anchorOf(issuer) : undefined;
        if (anchor !== undefined && !p.trusts.includes(anchor)) {
          mesh.violations.push({ moment, pod: `${p.namespace}/${p.name}`, peer: `${q.namespace}/${q.name}`, detail: `does not trust the anchor behind ${q.namespace}/${q.name}'s issuer` });
        }
      }
    }
    mesh.ticks++;
  };
  const loop = (async () => {
    while (running) {
      try {
        await tick();
      } catch {
        // a transient API error: the next tick retries
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  mesh.stop = async () => {
    running = false;
    await loop;
    await new Promise((r) => server.close(r));
  };
  return mesh;
}
