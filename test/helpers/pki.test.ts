import t from 'tap';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issue, keyPem, makeKeyPair, makeLinkerdChain, pemBundle, selfSigned } from './pki.js';

// node:crypto's X509Certificate (OpenSSL) is an independent judge of what the helper produces.

t.test('linkerd chain verifies and carries the requested fields', async (t) => {
  const { anchor, issuer, leaf } = await makeLinkerdChain({ leaf: true });
  const a = new X509Certificate(anchor.pem);
  const i = new X509Certificate(issuer.pem);
  const l = new X509Certificate(leaf!.pem);
  t.ok(a.verify(a.publicKey), 'anchor self-signed');
  t.ok(i.verify(a.publicKey), 'issuer signed by anchor');
  t.ok(l.verify(i.publicKey), 'leaf signed by issuer');
  t.notOk(i.verify(i.publicKey), 'issuer not self-signed');
  t.equal(a.ca, true);
  t.equal(i.ca, true);
  t.equal(l.ca, false);
  t.equal(i.subject, 'CN=identity.linkerd.cluster.local');
  t.equal(i.issuer, 'CN=root.linkerd.cluster.local');
  t.match(i.subjectAltName, 'DNS:identity.linkerd.cluster.local');
  t.same(l.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  t.equal(i.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
});

t.test('key formats round-trip and match the certificate', async (t) => {
  const ec = await makeKeyPair('P-384');
  const cert = await selfSigned(ec, { cn: 'x', isCA: true });
  const x = new X509Certificate(cert.pem);
  for (const fmt of ['pkcs8', 'sec1'] as const) {
    const pem = keyPem(ec, fmt);
    t.match(pem, fmt === 'sec1' ? /^-----BEGIN EC PRIVATE KEY-----\n/ : /^-----BEGIN PRIVATE KEY-----\n/);
    t.ok(x.checkPrivateKey(createPrivateKey(pem)), `${fmt} key matches`);
  }
  t.throws(() => keyPem(ec, 'pkcs1'));
  const rsa = await makeKeyPair('RSA-2048');
  const rc = await selfSigned(rsa, { cn: 'r', isCA: true, hash: 'SHA-384' });
  t.match(keyPem(rsa, 'pkcs1'), /^-----BEGIN RSA PRIVATE KEY-----\n/);
  t.equal(createPublicKey(keyPem(rsa, 'pkcs1')).asymmetricKeyDetails?.modulusLength, 2048);
  t.ok(new X509Certificate(rc.pem).verify(createPublicKey(keyPem(rsa))));
});

t.test('options: validity, serial, path length, EKU, name constraints, PSS (checked by openssl)', async (t) => {
  const rsa = await makeKeyPair('RSA-2048');
  const root = await selfSigned(rsa, { cn: 'root', isCA: true, pathLen: 0, serial: 0x80ff, keyIdentifiers: false });
  const notBefore = new Date('2100-01-01T01:00:51Z');
  const notAfter = new Date('2101-01-01T01:01:11Z');
  const child = await issue(await makeKeyPair('P-256'), root, {
    cn: 'child',
    isCA: true,
    rsaPss: true,
    extKeyUsage: ['clientAuth'],
    permittedDNS: ['example.com'],
    notBefore,
    notAfter,
  });
  const x = new X509Certificate(child.pem);
  t.equal(new Date(x.validFrom).toISOString(), notBefore.toISOString());
  t.equal(new Date(x.validTo).toISOString(), notAfter.toISOString());
  t.equal(new X509Certificate(root.pem).serialNumber, '80FF');
  t.ok(x.verify(new X509Certificate(root.pem).publicKey), 'PSS signature verifies');
  const dir = mkdtempSync(join(tmpdir(), 'pki-'));
  writeFileSync(join(dir, 'c.pem'), child.pem);
  writeFileSync(join(dir, 'r.pem'), root.pem);
  const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, 'c.pem')]).toString();
  t.match(text, /rsassaPss/);
  t.match(text, /TLS Web Client Authentication/);
  t.notMatch(text, /TLS Web Server Authentication/);
  t.match(text, /Permitted:\s+DNS:example\.com/);
  t.match(text, /CA:TRUE/);
  t.match(text, /Certificate Sign, CRL Sign/);
  const rootText = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, 'r.pem')]).toString();
  t.match(rootText, /pathlen:0/);
  t.notMatch(rootText, /Subject Key Identifier/);
  t.equal(pemBundle(root, child), root.pem + child.pem);
});
