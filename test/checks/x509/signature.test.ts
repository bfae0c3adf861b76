import t from 'tap';
import { parseCertificate } from '../../../checks/x509/certificate.js';
import { checkSignature } from '../../../checks/x509/signature.js';
import { issue, makeKeyPair, selfSigned, type HashName, type KeySpec } from '../../helpers/pki.js';

t.test('every supported key and hash verifies, and a wrong key fails with Go text', async (t) => {
  const cases: Array<[KeySpec, HashName, boolean]> = [
    ['P-256', 'SHA-256', false], ['P-384', 'SHA-384', false], ['P-521', 'SHA-512', false], ['P-256', 'SHA-512', false],
    ['RSA-2048', 'SHA-256', false], ['RSA-2048', 'SHA-384', true], ['RSA-2048', 'SHA-512', false],
  ];
  const stranger = parseCertificate((await selfSigned(await makeKeyPair('P-256'), { cn: 's', isCA: true })).der);
  const rsaStranger = parseCertificate((await selfSigned(await makeKeyPair('RSA-2048'), { cn: 's', isCA: true })).der);
  for (const [spec, hash, pss] of cases) {
    const root = await selfSigned(await makeKeyPair(spec), { cn: 'root', isCA: true, hash, rsaPss: pss });
    const child = await issue(await makeKeyPair('P-256'), root, { cn: 'c', hash, rsaPss: pss });
    const p = parseCertificate(root.der);
    const c = parseCertificate(child.der);
    t.equal(await checkSignature(c, p), undefined, `${spec} ${hash}${pss ? ' PSS' : ''}`);
    t.equal(c.signatureAlgorithm.name, spec.startsWith('P-') ? `ECDSA-${hash.replace('-', '')}` : `${hash.replace('-', '')}-RSA${pss ? 'PSS' : ''}`, 'the requested algorithm was used');
    t.equal(await checkSignature(p, p), undefined, 'self-signature');
    const wrong = spec.startsWith('P-') ? (spec === 'P-256' ? stranger : parseCertificate((await selfSigned(await makeKeyPair(spec), { cn: 'x' })).der)) : rsaStranger;
    t.equal(await checkSignature(c, wrong), spec.startsWith('P-') ? 'x509: ECDSA verification failure' : 'crypto/rsa: verification error');
  }
  const ecChild = parseCertificate((await issue(await makeKeyPair('P-256'), await selfSigned(await makeKeyPair('P-256'), { cn: 'r' }), { cn: 'c' })).der);
  t.match(await checkSignature(ecChild, rsaStranger), /^x509: signature algorithm specifies an ECDSA public key, but have public key of type \*rsa\.PublicKey$/);
});

t.test('SHA-1 signatures are refused as Go refuses them', async (t) => {
  const root = await selfSigned(await makeKeyPair('RSA-2048'), { cn: 'root', isCA: true });
  const child = parseCertificate((await issue(await makeKeyPair('P-256'), root, { cn: 'c', hash: 'SHA-1' })).der);
  t.equal(child.signatureAlgorithm.name, 'SHA1-RSA');
  t.equal(await checkSignature(child, parseCertificate(root.der)), 'x509: cannot verify signature: insecure algorithm SHA1-RSA');
});
