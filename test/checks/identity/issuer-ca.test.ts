import t from 'tap';
import { issue, makeKeyPair, makeLinkerdChain, pemBundle, selfSigned } from '../../helpers/pki.js';
import { DAY, runScenario } from './scenario.js';

const result = async (s: Parameters<typeof runScenario>[0], id: string) => (await runScenario(s)).byId.get(id);

t.test('healthy chain passes every issuer-ca check', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain();
  const o = await runScenario({ issuer, anchors: anchor.pem });
  const cat = o.report.categories.find((c) => c.name === 'linkerd-identity-issuer-ca')!;
  t.same(cat.results.map((r) => r.result), ['success', 'success', 'success', 'success', 'success', 'success']);
});

t.test('issuer not a CA', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain({ issuer: { isCA: false } });
  const r = await result({ issuer, anchors: anchor.pem }, 'lcg-issuer-ca-is-ca');
  t.equal(r?.result, 'error');
  t.match(r?.error, /is not a CA \(BasicConstraints CA:TRUE not asserted\): the identity controller fails with "it must be an intermediate-CA, but it is not"/);
  const none = await makeLinkerdChain({ issuer: { basicConstraints: false } });
  t.match((await result({ issuer: none.issuer, anchors: none.anchor.pem }, 'lcg-issuer-ca-is-ca'))?.error, /CA:TRUE missing/);
});

t.test('key usage without keyCertSign', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain({ issuer: { keyUsage: ['digitalSignature', 'keyEncipherment'] } });
  const r = await result({ issuer, anchors: anchor.pem }, 'lcg-issuer-ca-key-cert-sign');
  t.equal(r?.result, 'error');
  t.match(r?.error, /lacks keyCertSign/);
});

t.test('client-auth-only EKU', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain({ issuer: { extKeyUsage: ['clientAuth'] } });
  const r = await result({ issuer, anchors: anchor.pem }, 'lcg-issuer-ca-ext-key-usage');
  t.equal(r?.result, 'error');
  t.match(r?.error, /incompatible key usage:\n\t\* \d+ identity\.linkerd\.cluster\.local extended key usage lacks serverAuth/);
  const both = await makeLinkerdChain({ issuer: { extKeyUsage: ['serverAuth', 'clientAuth'] } });
  t.equal((await result({ issuer: both.issuer, anchors: both.anchor.pem }, 'lcg-issuer-ca-ext-key-usage'))?.result, 'success');
});

t.test('anchor path length 0 leaves no room for workload certificates', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain({ anchor: { pathLen: 0 } });
  const r = await result({ issuer, anchors: anchor.pem }, 'lcg-issuer-ca-path-length');
  t.equal(r?.result, 'error');
  t.match(r?.error, /root\.linkerd\.cluster\.local has path length 0, but 1 intermediate certificate sits below it/);
  const one = await makeLinkerdChain({ anchor: { pathLen: 1 } });
  t.equal((await result({ issuer: one.issuer, anchors: one.anchor.pem }, 'lcg-issuer-ca-path-length'))?.result, 'success');
  // an intermediate between anchor and issuer: anchor pathLen 1 is then too small
  const root = await selfSigned(await makeKeyPair('P-256'), { cn: 'root', isCA: true, pathLen: 1 });
  const mid = await issue(await makeKeyPair('P-256'), root, { cn: 'mid', isCA: true });
  const iss = await issue(await makeKeyPair('P-256'), mid, { cn: 'identity.linkerd.cluster.local', isCA: true, pathLen: 0 });
  const r2 = await result({ issuer: pemBundle(iss, mid), key: (await import('../../helpers/pki.js')).keyPem(iss.key, 'sec1'), anchors: root.pem }, 'lcg-issuer-ca-path-length');
  t.equal(r2?.result, 'error');
  t.match(r2?.error, /\d+ root has path length 1, but 2 intermediate certificates sit below it/);
});

t.test('name constraints', async (t) => {
  const ok = await makeLinkerdChain({ issuer: { permittedDNS: ['linkerd.cluster.local'] } });
  const r = await result({ issuer: ok.issuer, anchors: ok.anchor.pem }, 'lcg-issuer-ca-name-constraints');
  t.equal(r?.result, 'warning', 'constraints that permit workloads: a warning');
  const bad = await makeLinkerdChain({ issuer: { permittedDNS: ['example.com'] } });
  const r2 = await result({ issuer: bad.issuer, anchors: bad.anchor.pem }, 'lcg-issuer-ca-name-constraints');
  t.equal(r2?.result, 'error', 'constraints that reject workload identities: an error');
  t.match(r2?.error, /reject workload identities such as default\.default\.serviceaccount\.identity\.linkerd\.cluster\.local/);
});

t.test('issuer outliving its anchor', async (t) => {
  const now = Date.now();
  const { anchor, issuer } = await makeLinkerdChain({ anchor: { notAfter: new Date(now + 100 * DAY) }, issuer: { notAfter: new Date(now + 200 * DAY) } });
  const r = await result({ issuer, anchors: anchor.pem }, 'lcg-issuer-ca-outlived-by-anchor');
  t.equal(r?.result, 'warning');
  t.match(r?.error, /issuer certificate expires on .*, after its trust anchor:\n\t\* \d+ root\.linkerd\.cluster\.local expires on /);
});
