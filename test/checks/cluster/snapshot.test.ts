import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { buildSnapshot, podInfo, secretData } from '../../../checks/cluster/snapshot.js';
import { runChecks } from '../../../checks/identity/run.js';
import type { K8sObject } from '../../../checks/rules/types.js';
import { exampleObjects } from '../../helpers/example-setup.js';
import { makeLinkerdChain } from '../../helpers/pki.js';

const config = resolveConfig();
const objectsOf = (files: Record<string, object>): K8sObject[] =>
  Object.values(files).flatMap((o) => ((o as { kind: string }).kind === 'List' ? (o as { items: K8sObject[] }).items : [o as K8sObject]));
const snap = (objects: K8sObject[], mode: 'files' | 'live' = 'files') => buildSnapshot({ config, now: new Date(), mode, objects, proxy: false });

t.test('kubernetes.io/tls: anchors from ca.crt, issuer from tls.crt/tls.key', async (t) => {
  const chain = await makeLinkerdChain();
  const s = snap(objectsOf(exampleObjects(chain)));
  t.equal(s.scheme, 'kubernetes.io/tls');
  t.equal(s.trustAnchors?.text, chain.anchor.pem);
  t.equal(s.trustAnchors?.from, 'Secret linkerd/linkerd-identity-issuer ca.crt');
  t.equal(s.issuerCert?.text, chain.issuer.pem);
  t.same(s.configErrors, []);
  t.equal(s.trustBundle?.text, chain.anchor.pem);
  t.same(s.anchorSecrets.map((a) => a.name), ['linkerd-trust-anchor']);
  t.equal(s.certManager?.certificates.length, 2);
  t.ok((await runChecks(s)).success);
});

t.test('linkerd.io/tls: crt.pem/key.pem, anchors from identityTrustAnchorsPEM', async (t) => {
  const chain = await makeLinkerdChain();
  const s = snap(objectsOf(exampleObjects(chain, { scheme: 'linkerd.io/tls' })));
  t.equal(s.scheme, 'linkerd.io/tls');
  t.equal(s.trustAnchors?.from, 'ConfigMap linkerd/linkerd-config identityTrustAnchorsPEM');
  t.equal(s.issuerCert?.from, 'Secret linkerd/linkerd-identity-issuer crt.pem');
  t.ok((await runChecks(s)).success);
});

t.test("missing keys give Linkerd's messages; scheme mismatch too", async (t) => {
  const chain = await makeLinkerdChain();
  const files = exampleObjects(chain);
  const secret = files['issuer-secret.yaml'] as { data: Record<string, string> };
  const without = (key: string, scheme?: string) => {
    const data = { ...secret.data };
    delete data[key];
    const objs = structuredClone(objectsOf({ ...files, "issuer-secret.yaml": { ...secret, data } }));
    if (scheme) {
      const lc = objs.find((o) => (o.metadata as { name: string }).name === 'linkerd-config') as { data: { values: string } };
      lc.data = { values: `identity:\n  issuer:\n    scheme: ${scheme}\n` };
    }
    return snap(objs).configErrors;
  };
  t.same(without('ca.crt'), ['key ca.crt containing the trust anchors needs to exist in secret linkerd-identity-issuer if --identity-external-issuer=true']);
  t.same(without('tls.key'), ['key tls.key containing the issuer private key needs to exist in secret linkerd-identity-issuer if --identity-external-issuer=true']);
  t.same(without('nothing', 'linkerd.io/tls'), ['key crt.pem containing the issuer certificate needs to exist in secret linkerd-identity-issuer if --identity-external-issuer=false']);
  const missingSecret = snap(objectsOf({ ...files, 'issuer-secret.yaml': { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } } }), 'live');
  t.same(missingSecret.configErrors, ['secrets "linkerd-identity-issuer" not found']);
  const r = await runChecks(snap(objectsOf({ ...files, 'issuer-secret.yaml': { ...secret, data: { 'tls.crt': secret.data['tls.crt'] } } })));
  t.equal(r.results[0]?.error, 'key ca.crt containing the trust anchors needs to exist in secret linkerd-identity-issuer if --identity-external-issuer=true');
  t.equal(r.results.length, 1, 'fatal');
});

t.test('trust roots ConfigMap without the key, live mode without it, data and stringData', async (t) => {
  const chain = await makeLinkerdChain();
  const files = exampleObjects(chain);
  const s = snap(objectsOf({ ...files, 'trust-roots.yaml': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-identity-trust-roots', namespace: 'linkerd' }, data: { 'ca.crt': 'x' } } }));
  t.equal(s.trustBundle?.missing, 'ConfigMap linkerd/linkerd-identity-trust-roots has no key ca-bundle.crt (keys: ca.crt)');
  const { 'trust-roots.yaml': _drop, ...rest } = files;
  void _drop;
  t.equal(snap(objectsOf(rest)).trustBundle, undefined, 'files: not part of the input');
  t.equal(snap(objectsOf(rest), 'live').trustBundle?.missing, 'configmaps "linkerd-identity-trust-roots" not found in namespace linkerd');
  t.same(secretData({ data: { a: Buffer.from('x').toString('base64') }, stringData: { b: 'y' } }), { a: 'x', b: 'y' });
});

t.test('pods: linkerd-proxy env from containers and init containers', async (t) => {
  const p = podInfo({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { initContainers: [{ name: 'linkerd-proxy', env: [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: 'A' }] }], containers: [{ name: 'app', env: [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: 'B' }] }] }, status: { startTime: '2026-01-01T00:00:00Z' } });
  t.same(p, { namespace: 'n', name: 'p', trustAnchors: ['A'], startTime: '2026-01-01T00:00:00Z', ready: false });
  const ready = podInfo({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { containers: [] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  t.equal(ready.ready, true, 'condition Ready=True is ready');
});
