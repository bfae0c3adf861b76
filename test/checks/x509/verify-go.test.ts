import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCertificate } from '../../../checks/x509/certificate.js';
import { scanPem } from '../../../checks/x509/pem.js';
import { goVerify } from '../../../checks/x509/verify.js';
import { issue, makeKeyPair, makeLinkerdChain, pemBundle, selfSigned } from '../../helpers/pki.js';

// Differential test: goVerify must give Go's own verdict and error text (Linkerd prints Go's text).
// The oracle is Go's crypto/x509 (goverify/main.go); without a Go toolchain this file is skipped.
const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
const oracle = fileURLToPath(new URL('./goverify/main.go', import.meta.url));
const fixture = (n: string) => readFileSync(new URL(`../../fixtures/linkerd2/${n}`, import.meta.url), 'utf8');

interface Case {
  name: string;
  roots: string;
  intermediates?: string;
  leaf: string;
  now?: Date;
}

const rfc = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

t.test('goVerify agrees with Go crypto/x509', { skip: goVersion.status === 0 ? false : 'no Go toolchain on PATH' }, async (t) => {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const k = () => makeKeyPair('P-256');
  const ok = await makeLinkerdChain({ leaf: true });
  const twin = await selfSigned(await k(), { cn: ok.anchor.cn, isCA: true, keyIdentifiers: false });
  const noKid = await makeLinkerdChain({ anchor: { keyIdentifiers: false }, issuer: { keyIdentifiers: false } });
  const twinNoKid = await selfSigned(await k(), { cn: noKid.anchor.cn, isCA: true, keyIdentifiers: false });
  const clientOnly = await makeLinkerdChain({ issuer: { extKeyUsage: ['clientAuth'] } });
  const anchorEku = await makeLinkerdChain({ anchor: { extKeyUsage: ['clientAuth'] } });
  const pathLen0 = await makeLinkerdChain({ anchor: { pathLen: 0 }, leaf: true });
  const notCA = await makeLinkerdChain({ issuer: { isCA: false } });
  const rootNoCertSign = await makeLinkerdChain({ anchor: { keyUsage: ['digitalSignature'] } });
  const rootNotCA = await makeLinkerdChain({ anchor: { isCA: false } });
  const rootNoBC = await makeLinkerdChain({ anchor: { basicConstraints: false, keyUsage: ['keyCertSign'] } });
  const old = await selfSigned(await k(), { cn: 'old', isCA: true, notBefore: new Date('2000-01-01T00:00:00Z'), notAfter: new Date('2001-01-01T00:00:00Z') });
  const underOld = await issue(await k(), old, { cn: 'c', isCA: true, notBefore: new Date('2000-01-01T00:00:00Z') });
  const nc = await selfSigned(await k(), { cn: 'nc', isCA: true, permittedDNS: ['example.com'] });
  const ncIssuer = await issue(await k(), nc, { cn: 'i', isCA: true, dnsNames: ['identity.linkerd.cluster.local'] });
  const ncOk = await issue(await k(), nc, { cn: 'i', isCA: true, dnsNames: ['a.example.com'] });
  const excl = await selfSigned(await k(), { cn: 'ex', isCA: true, excludedDNS: ['cluster.local'] });
  const exclIssuer = await issue(await k(), excl, { cn: 'i', isCA: true, dnsNames: ['identity.linkerd.cluster.local'] });
  const rsa = await makeLinkerdChain({ anchorKey: 'RSA-2048', anchor: { rsaPss: true }, issuer: { rsaPss: true, hash: 'SHA-384' } });
  const sha1 = await makeLinkerdChain({ anchorKey: 'RSA-2048', issuer: { hash: 'SHA-1' } });
  const p521 = await makeLinkerdChain({ anchorKey: 'P-521', issuerKey: 'P-384', anchor: { hash: 'SHA-512' }, issuer: { hash: 'SHA-512' } });
  const mid = await issue(await k(), ok.anchor, { cn: 'mid', isCA: true });
  const midNotCA = await issue(await k(), ok.anchor, { cn: 'mid', isCA: false, keyUsage: ['keyCertSign'] });
  const belowMid = await issue(await k(), mid, { cn: 'identity.linkerd.cluster.local', isCA: true });
  const belowMidNotCA = await issue(await k(), midNotCA, { cn: 'identity.linkerd.cluster.local', isCA: true });

  const cases: Case[] = [
    { name: 'fixture valid', roots: fixture('valid-trust-anchors.pem'), leaf: fixture('valid-crt.pem'), now: new Date('2026-01-01T00:00:00Z') },
    { name: 'fixture rsa anchor', roots: fixture('valid-with-rsa-anchor-trust-anchors.pem'), leaf: fixture('valid-with-rsa-anchor-crt.pem'), now: new Date('2026-01-01T00:00:00Z') },
    { name: 'fixture rsa-ca', roots: fixture('rsa-ca/ca.crt'), leaf: fixture('rsa-ca/issuer.crt'), now: new Date('2026-01-01T00:00:00Z') },
    { name: 'fixture cross (same CN, other key)', roots: fixture('expired-trust-anchors.pem'), leaf: fixture('valid-crt.pem'), now: new Date('2026-01-01T00:00:00Z') },
    { name: 'fixture no candidate', roots: fixture('valid-with-rsa-anchor-trust-anchors.pem'), leaf: fixture('valid-crt.pem'), now: new Date('2026-01-01T00:00:00Z') },
    { name: 'fixture expired leaf', roots: fixture('expired-trust-anchors.pem'), leaf: fixture('expired-crt.pem'), now: new Date('2026-01-01T00:00:00Z') },
    { name: 'fixture not yet valid', roots: fixture('not-valid-yet-trust-anchors.pem'), leaf: fixture('not-valid-yet-crt.pem'), now: new Date('2026-01-01T00:00:00Z') },
    { name: 'healthy', roots: ok.anchor.pem, leaf: ok.issuer.pem },
    { name: 'workload leaf through the issuer', roots: ok.anchor.pem, intermediates: ok.issuer.pem, leaf: ok.leaf!.pem },
    { name: 'same-name impostor with key ids', roots: twin.pem, leaf: ok.issuer.pem },
    { name: 'same-name impostor without key ids', roots: twinNoKid.pem, leaf: noKid.issuer.pem },
    { name: 'impostor and real anchor', roots: pemBundle(twinNoKid, noKid.anchor), leaf: noKid.issuer.pem },
    { name: 'issuer EKU clientAuth only', roots: clientOnly.anchor.pem, leaf: clientOnly.issuer.pem },
    { name: 'anchor EKU clientAuth only', roots: anchorEku.anchor.pem, leaf: anchorEku.issuer.pem },
    { name: 'anchor pathLen 0, issuer as leaf', roots: pathLen0.anchor.pem, leaf: pathLen0.issuer.pem },
    { name: 'anchor pathLen 0, workload leaf', roots: pathLen0.anchor.pem, intermediates: pathLen0.issuer.pem, leaf: pathLen0.leaf!.pem },
    { name: 'issuer not a CA', roots: notCA.anchor.pem, leaf: notCA.issuer.pem },
    { name: 'root without certSign', roots: rootNoCertSign.anchor.pem, leaf: rootNoCertSign.issuer.pem },
    { name: 'root CA:FALSE', roots: rootNotCA.anchor.pem, leaf: rootNotCA.issuer.pem },
    { name: 'root without basic constraints', roots: rootNoBC.anchor.pem, leaf: rootNoBC.issuer.pem },
    { name: 'expired root', roots: old.pem, leaf: underOld.pem },
    { name: 'name constraints reject', roots: nc.pem, leaf: ncIssuer.pem },
    { name: 'name constraints permit', roots: nc.pem, leaf: ncOk.pem },
    { name: 'name constraints exclude', roots: excl.pem, leaf: exclIssuer.pem },
    { name: 'self-signed issuer in the pool', roots: ok.anchor.pem, leaf: ok.anchor.pem },
    { name: 'RSA-PSS', roots: rsa.anchor.pem, leaf: rsa.issuer.pem },
    { name: 'SHA-1 signed issuer', roots: sha1.anchor.pem, leaf: sha1.issuer.pem },
    { name: 'P-521/P-384 SHA-512', roots: p521.anchor.pem, leaf: p521.issuer.pem },
    { name: 'intermediate CA', roots: ok.anchor.pem, intermediates: mid.pem, leaf: belowMid.pem },
    { name: 'intermediate not CA', roots: ok.anchor.pem, intermediates: midNotCA.pem, leaf: belowMidNotCA.pem },
    { name: 'empty pool', roots: '', leaf: ok.issuer.pem },
  ];
  const input = JSON.stringify(cases.map((c) => ({ roots: c.roots, intermediates: c.intermediates ?? '', leaf: c.leaf, now: rfc(c.now ?? now) })));
  const go = spawnSync('go', ['run', oracle], { input, encoding: 'utf8', timeout: 180_000 });
  t.equal(go.status, 0, `go run: ${go.stderr.split('\n')[0] ?? ''}`);
  const want = JSON.parse(go.stdout) as string[];
  const certs = (s: string) => scanPem(s).blocks.map((b) => parseCertificate(b.der));
  for (const [i, c] of cases.entries()) {
    const r = await goVerify(certs(c.leaf)[0]!, { roots: certs(c.roots), intermediates: certs(c.intermediates ?? ''), now: c.now ?? now });
    t.equal(r.ok ? 'ok' : r.error, want[i], c.name);
  }
});
