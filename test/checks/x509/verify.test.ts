import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseCertificate, type Certificate } from '../../../checks/x509/certificate.js';
import { scanPem } from '../../../checks/x509/pem.js';
import { goVerify } from '../../../checks/x509/verify.js';
import { issue, makeKeyPair, makeLinkerdChain, selfSigned } from '../../helpers/pki.js';

const certs = (n: string) => scanPem(readFileSync(new URL(`../../fixtures/linkerd2/${n}`, import.meta.url), 'utf8')).blocks.map((b) => parseCertificate(b.der));
const p = (c: { der: Uint8Array }) => parseCertificate(c.der);
const NOW = new Date('2026-01-01T00:00:00Z');

t.test('linkerd2 fixtures: issuer chains to its anchors as Go says', async (t) => {
  for (const prefix of ['valid', 'valid-with-rsa-anchor', 'wrong-algo', 'wrong-domain']) {
    const r = await goVerify(certs(`${prefix}-crt.pem`)[0]!, { roots: certs(`${prefix}-trust-anchors.pem`), now: NOW });
    t.ok(r.ok, prefix);
  }
  const rsa = await goVerify(certs('rsa-ca/issuer.crt')[0]!, { roots: certs('rsa-ca/ca.crt'), now: NOW });
  t.ok(rsa.ok, 'rsa-ca');
  const cross = await goVerify(certs('valid-crt.pem')[0]!, { roots: certs('expired-trust-anchors.pem'), now: NOW });
  t.same(cross, { ok: false, error: 'x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "identity.linkerd.cluster.local")' }, 'same name, other key');
  const none = await goVerify(certs('valid-crt.pem')[0]!, { roots: certs('valid-with-rsa-anchor-trust-anchors.pem'), now: NOW });
  t.same(none, { ok: false, error: 'x509: certificate signed by unknown authority' }, 'no candidate by name');
});

t.test('same name, other key: chosen by signature, Go error text', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain({ anchor: { keyIdentifiers: false }, issuer: { keyIdentifiers: false } });
  const impostor = await selfSigned(await makeKeyPair('P-256'), { cn: anchor.cn, isCA: true, keyIdentifiers: false });
  const bad = await goVerify(p(issuer), { roots: [p(impostor)], now: new Date() });
  t.same(bad, { ok: false, error: 'x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "root.linkerd.cluster.local")' });
  const good = await goVerify(p(issuer), { roots: [p(impostor), p(anchor)], now: new Date() });
  t.ok(good.ok && good.chains[0]![1]!.der.length === anchor.der.length, 'the real anchor is found among same-named ones');
});

t.test("Go's constraints", async (t) => {
  const now = new Date();
  const root = await selfSigned(await makeKeyPair('P-256'), { cn: 'root', isCA: true, pathLen: 0 });
  // EKU: an issuer whose EKU lacks serverAuth is "incompatible key usage"; no EKU or any passes
  const clientOnly = await issue(await makeKeyPair('P-256'), root, { cn: 'i', isCA: true, extKeyUsage: ['clientAuth'] });
  t.same(await goVerify(p(clientOnly), { roots: [p(root)], now }), { ok: false, error: 'x509: certificate specifies an incompatible key usage' });
  const anyEku = await issue(await makeKeyPair('P-256'), root, { cn: 'i', isCA: true, extKeyUsage: ['any'] });
  t.ok((await goVerify(p(anyEku), { roots: [p(root)], now })).ok);
  // path length 0 on the root allows the issuer as leaf (Go), but not a leaf below an intermediate
  const inter = await issue(await makeKeyPair('P-256'), root, { cn: 'inter', isCA: true });
  t.ok((await goVerify(p(inter), { roots: [p(root)], now })).ok, 'root pathlen 0 is fine for the issuer itself');
  const leaf = await issue(await makeKeyPair('P-256'), inter, { cn: 'leaf' });
  t.match(await goVerify(p(leaf), { roots: [p(root)], intermediates: [p(inter)], now }), { ok: false, error: /too many intermediates for path length constraint/ });
  // intermediates need CA:TRUE
  const notCA = await issue(await makeKeyPair('P-256'), await selfSigned(await makeKeyPair('P-256'), { cn: 'r2', isCA: true }), { cn: 'notca', isCA: false });
  const r2 = await selfSigned(await makeKeyPair('P-256'), { cn: 'r3', isCA: true });
  const mid = await issue(await makeKeyPair('P-256'), r2, { cn: 'mid', isCA: false });
  const below = await issue(await makeKeyPair('P-256'), mid, { cn: 'below' });
  t.match(await goVerify(p(below), { roots: [p(r2)], intermediates: [p(mid)], now }), { ok: false, error: /parent certificate cannot sign this kind of certificate/ });
  t.ok(notCA, 'a leaf issuer itself verifies as a leaf in Go');
  // a root that verifies the signature but has expired: Go returns the validity error itself
  const old = await selfSigned(await makeKeyPair('P-256'), { cn: 'old', isCA: true, notBefore: new Date('2000-01-01T00:00:00Z'), notAfter: new Date('2001-01-01T00:00:00Z') });
  const child = await issue(await makeKeyPair('P-256'), old, { cn: 'c', notBefore: new Date('2000-01-01T00:00:00Z') });
  t.match(await goVerify(p(child), { roots: [p(old)], now }), { ok: false, error: /^x509: certificate has expired or is not yet valid: current time .* is after 2001-01-01T00:00:00Z$/ });
  // name constraints on the anchor apply to the issuer's DNS SANs
  const nc = await selfSigned(await makeKeyPair('P-256'), { cn: 'nc', isCA: true, permittedDNS: ['example.com'] });
  const named = await issue(await makeKeyPair('P-256'), nc, { cn: 'i', isCA: true, dnsNames: ['identity.linkerd.cluster.local'] });
  t.match(await goVerify(p(named), { roots: [p(nc)], now }), { ok: false, error: 'x509: a root or intermediate certificate is not authorized to sign for this name: DNS name "identity.linkerd.cluster.local" is not permitted by any constraint' });
  // a self-signed issuer that is itself an anchor verifies
  t.ok((await goVerify(p(root), { roots: [p(root)], now })).ok);
  // leaf validity comes first
  const e: Certificate = p(old);
  t.match(await goVerify(e, { roots: [e], now }), { ok: false, error: /^x509: certificate has expired or is not yet valid: current time/ });
});
