import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseCertificate } from '../../../checks/x509/certificate.js';
import { decodePrivateKey, keyMatchesCertificate, proveKeyPair } from '../../../checks/x509/keys.js';
import { scanPem } from '../../../checks/x509/pem.js';
import { keyPem, makeKeyPair, selfSigned, toPem } from '../../helpers/pki.js';

const fixture = (n: string) => readFileSync(new URL(`../../fixtures/linkerd2/${n}`, import.meta.url), 'utf8');

t.test('fixture SEC1 keys match their certificates', async (t) => {
  for (const p of ['valid', 'valid-with-rsa-anchor', 'expired', 'not-valid-yet', 'wrong-algo']) {
    const k = decodePrivateKey(fixture(`${p}-key.pem`));
    if (!k.ok) throw new Error(k.error);
    t.equal(k.key.blockType, 'EC PRIVATE KEY');
    const cert = parseCertificate(scanPem(fixture(`${p}-crt.pem`)).blocks[0]!.der);
    t.ok(keyMatchesCertificate(k.key, cert), p);
  }
  const other = decodePrivateKey(fixture('expired-key.pem'));
  const cert = parseCertificate(scanPem(fixture('valid-crt.pem')).blocks[0]!.der);
  t.ok(other.ok && !keyMatchesCertificate(other.key, cert), 'another key does not match');
});

t.test('PKCS#8 and PKCS#1, EC and RSA', async (t) => {
  const ec = await makeKeyPair('P-256');
  const rsa = await makeKeyPair('RSA-2048');
  const ecCert = parseCertificate((await selfSigned(ec, { cn: 'e' })).der);
  const rsaCert = parseCertificate((await selfSigned(rsa, { cn: 'r' })).der);
  for (const [pem, cert, type] of [
    [keyPem(ec, 'pkcs8'), ecCert, 'PRIVATE KEY'],
    [keyPem(ec, 'sec1'), ecCert, 'EC PRIVATE KEY'],
    [keyPem(rsa, 'pkcs8'), rsaCert, 'PRIVATE KEY'],
    [keyPem(rsa, 'pkcs1'), rsaCert, 'RSA PRIVATE KEY'],
  ] as const) {
    const k = decodePrivateKey(pem);
    t.ok(k.ok && k.key.blockType === type && keyMatchesCertificate(k.key, cert), type);
  }
  const k = decodePrivateKey(keyPem(rsa, 'pkcs1'));
  t.ok(k.ok && k.key.publicHalf.bits === 2048);
  t.ok(k.ok && !keyMatchesCertificate(k.key, ecCert));
});

t.test("Linkerd's key errors", async (t) => {
  t.same(decodePrivateKey('not pem'), { ok: false, error: 'not PEM-encoded' });
  t.same(decodePrivateKey(toPem('ENCRYPTED PRIVATE KEY', new Uint8Array([1, 2, 3]))), { ok: false, error: "unsupported block type: 'ENCRYPTED PRIVATE KEY'" });
  t.same(decodePrivateKey(toPem('EC PRIVATE KEY', new Uint8Array([48, 3, 2, 1, 1]))), { ok: false, error: 'x509: failed to parse EC private key' });
  const ed = (await import('node:crypto')).generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const r = decodePrivateKey(ed);
  t.ok(!r.ok && r.error.startsWith('unsupported PKCS#8'));
  t.same(r, { ok: false, error: "unsupported PKCS#8 encoded private key type: 'ed25519.PrivateKey', linkerd2 only supports ECDSA and RSA private keys" }, "Linkerd's text, with Go's type name");
  const x448 = (await import('node:crypto')).generateKeyPairSync('x448').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  t.same(decodePrivateKey(x448), { ok: false, error: 'x509: PKCS#8 wrapping contained private key with unknown algorithm: 1.3.101.111' }, 'a type Go cannot parse: Go\'s own error');
});

t.test('decoded keys carry no private member', async (t) => {
  const ec = await makeKeyPair('P-256');
  const k = decodePrivateKey(keyPem(ec, 'sec1'));
  const jwk = (await import('node:crypto')).createPrivateKey(keyPem(ec)).export({ format: 'jwk' }) as { d: string };
  t.notMatch(JSON.stringify(k), jwk.d);
});

/** SEC1 `30 77 02 01 01 04 20 <d: 32 bytes> ...`: flip one byte of the private scalar d, leave the public key alone. */
function corruptScalar(sec1Pem: string): string {
  const der = Buffer.from(scanPem(sec1Pem).blocks[0]!.der);
  if (der[5] !== 0x04 || der[6] !== 0x20) throw new Error('unexpected SEC1 layout');
  der[7 + 10] = (der[7 + 10] ?? 0) ^ 0x5a;
  return toPem('EC PRIVATE KEY', der);
}

t.test('proveKeyPair: a real signature, so a corrupted private scalar with an intact public key fails', async (t) => {
  const ec = await makeKeyPair('P-256');
  const rsa = await makeKeyPair('RSA-2048');
  const ecCert = parseCertificate((await selfSigned(ec, { cn: 'e' })).der);
  const rsaCert = parseCertificate((await selfSigned(rsa, { cn: 'r' })).der);
  for (const format of ['sec1', 'pkcs8'] as const) t.equal(await proveKeyPair(keyPem(ec, format), ecCert), true, `EC ${format} signs for its certificate`);
  for (const format of ['pkcs1', 'pkcs8'] as const) t.equal(await proveKeyPair(keyPem(rsa, format), rsaCert), true, `RSA ${format} signs for its certificate`);
  t.equal(await proveKeyPair(keyPem(ec), rsaCert), false, 'another key');
  t.equal(await proveKeyPair(keyPem(await makeKeyPair('P-256')), ecCert), false, 'another EC key');
  const corrupted = corruptScalar(keyPem(ec, 'sec1'));
  const decoded = decodePrivateKey(corrupted);
  t.ok(decoded.ok && keyMatchesCertificate(decoded.key, ecCert), 'the public halves still match: the old check accepted it');
  t.equal(await proveKeyPair(corrupted, ecCert), false, 'but its signatures do not verify');
  t.equal(await proveKeyPair('not pem', ecCert), false);
});
