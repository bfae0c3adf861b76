import t from 'tap';
import { readFileSync } from 'node:fs';
import { certName, parseCertificate, rfc3339, CertificateParseError, EKU } from '../../../checks/x509/certificate.js';
import { scanPem } from '../../../checks/x509/pem.js';
import { issue, makeKeyPair, selfSigned } from '../../helpers/pki.js';

const fixtureCerts = (n: string) => scanPem(readFileSync(new URL(`../../fixtures/linkerd2/${n}`, import.meta.url), 'utf8')).blocks.map((b) => parseCertificate(b.der));

t.test('linkerd2 fixtures parse to the fields Linkerd reads', async (t) => {
  const [anchor] = fixtureCerts('valid-trust-anchors.pem');
  const [issuer] = fixtureCerts('valid-crt.pem');
  t.equal(anchor!.subjectCN, 'identity.linkerd.cluster.local');
  t.equal(issuer!.subjectRaw, anchor!.subjectRaw, 'same subject, as research says');
  t.equal(issuer!.authorityKeyId, undefined);
  t.same(anchor!.publicKey, { algorithm: 'ECDSA', curve: 'P-256', bits: 256 });
  t.equal(anchor!.signatureAlgorithm.name, 'ECDSA-SHA256');
  t.same(anchor!.basicConstraints, { isCA: true, pathLen: 1 });
  t.same(issuer!.basicConstraints, { isCA: true, pathLen: 0 });
  const [rsa] = fixtureCerts('valid-with-rsa-anchor-trust-anchors.pem');
  t.same(rsa!.publicKey, { algorithm: 'RSA', bits: 4096 });
  t.equal(rsa!.signatureAlgorithm.name, 'SHA256-RSA');
  const [exp] = fixtureCerts('expired-crt.pem');
  t.equal(rfc3339(exp!.notAfter), '1990-01-01T01:01:11Z');
  t.equal(rfc3339(exp!.notBefore), '1989-01-01T01:00:51Z');
  const [wa] = fixtureCerts('wrong-algo-crt.pem');
  t.same(wa!.publicKey, { algorithm: 'ECDSA', curve: 'P-521', bits: 521 });
  t.equal(wa!.signatureAlgorithm.name, 'ECDSA-SHA512');
});

t.test('generated extensions round-trip', async (t) => {
  const root = await selfSigned(await makeKeyPair('RSA-2048'), { cn: '', organization: 'Org', isCA: true, serial: 12345678901234567890n, keyUsage: ['keyCertSign'] });
  const c = await issue(await makeKeyPair('P-384'), root, { cn: 'leaf', rsaPss: true, hash: 'SHA-384', extKeyUsage: ['clientAuth'], dnsNames: ['a.example', 'b.example'], permittedDNS: ['example'], excludedDNS: ['bad.example'] });
  const r = parseCertificate(root.der);
  const x = parseCertificate(c.der);
  t.equal(r.serial, '12345678901234567890');
  t.equal(certName(r), 'Org');
  t.same([...r.keyUsage!], ['keyCertSign']);
  t.equal(x.signatureAlgorithm.name, 'SHA384-RSAPSS');
  t.equal(x.signatureAlgorithm.pssSaltLength, 48);
  t.same(x.extKeyUsage, [EKU.clientAuth]);
  t.same(x.dnsNames, ['a.example', 'b.example']);
  t.same(x.nameConstraints, { permittedDNS: ['example'], excludedDNS: ['bad.example'], other: false });
  t.equal(x.basicConstraints, undefined);
  t.equal(x.authorityKeyId, r.subjectKeyId);
  t.equal(x.unhandledCritical.length, 0);
});

t.test('garbage is a parse error, not a crash', async (t) => {
  t.throws(() => parseCertificate(new Uint8Array([0x30, 0x03, 1, 2, 3])), { message: 'x509: malformed certificate' });
  try {
    parseCertificate(new Uint8Array([0x30]));
  } catch (e) {
    t.ok(e instanceof CertificateParseError);
  }
  t.throws(() => parseCertificate(new Uint8Array([1, 2, 3])), { message: 'x509: malformed certificate' });
  let threw = false;
  try {
    parseCertificate(new Uint8Array([0x30]));
  } catch {
    threw = true;
  }
  t.ok(threw, 'a truncated certificate throws');
});

t.test('bytes after the certificate are rejected, as Go does ("trailing data")', async (t) => {
  const good = pemToDer(readFileSync('test/fixtures/linkerd2/valid-crt.pem', 'utf8'));
  t.equal(parseCertificate(good).subjectCN, 'identity.linkerd.cluster.local');
  const trailing = new Uint8Array(good.length + 1);
  trailing.set(good);
  t.throws(() => parseCertificate(trailing), { message: 'x509: malformed certificate' });
});

function pemToDer(pem: string): Uint8Array {
  const b64 = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem)?.[1] ?? '';
  return new Uint8Array(Buffer.from(b64.replace(/\s+/g, ''), 'base64'));
}
