/**
 * Private keys as Linkerd's `DecodePEMKey` reads them: the first PEM block, `EC PRIVATE KEY` (SEC1),
 * `RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY` (PKCS#8, EC or RSA). Only the PUBLIC half survives
 * parsing: the result carries the public key parameters, never the private scalar or exponent,
 * so nothing downstream can print key material.
 */
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { PrivateKeyInfo } from 'pkijs';
import { bitLength, type Certificate } from './certificate.js';
import { scanPem } from './pem.js';

/** The public key parameters Linkerd compares (pkg/tls `matchesCertificate`), base64url as JWK writes them. */
export type PublicHalf =
  | { kind: 'EC'; curve: string; bits: number; x: string; y: string }
  | { kind: 'RSA'; bits: number; modulus: string; exponent: string };

export interface DecodedKey {
  blockType: string;
  publicHalf: PublicHalf;
}

export type KeyDecodeResult = { ok: true; key: DecodedKey } | { ok: false; error: string };

const FORMATS: Record<string, 'sec1' | 'pkcs1' | 'pkcs8'> = {
  'EC PRIVATE KEY': 'sec1',
  'RSA PRIVATE KEY': 'pkcs1',
  'PRIVATE KEY': 'pkcs8',
};

interface Jwk {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

function publicHalfOf(jwk: Jwk): PublicHalf | undefined {
  if (jwk.kty === 'EC' && jwk.x && jwk.y) {
    const bits = jwk.crv === 'P-521' ? 521 : Number((jwk.crv ?? '').replace(/\D/g, '')) || 0;
    return { kind: 'EC', curve: jwk.crv ?? 'unknown', bits, x: jwk.x, y: jwk.y };
  }
  if (jwk.kty === 'RSA' && jwk.n && jwk.e) {
    return { kind: 'RSA', bits: bitLength(Buffer.from(jwk.n, 'base64url')), modulus: jwk.n, exponent: jwk.e };
  }
  return undefined;
}

/**
 * The Go type `x509.ParsePKCS8PrivateKey` returns for the key types Linkerd then refuses, as
 * `reflect.TypeOf` prints it in Linkerd's message (pkg/tls/codec.go DecodePEMKey).
 */
const GO_PKCS8_TYPES: Readonly<Record<string, string>> = { ed25519: 'ed25519.PrivateKey', x25519: '*ecdh.PrivateKey' };

/** The algorithm OID of a PKCS#8 PrivateKeyInfo, dotted as Go prints an asn1.ObjectIdentifier. */
function pkcs8AlgorithmOid(der: Uint8Array): string {
  try {
    const parsed = asn1js.fromBER(der);
    return new PrivateKeyInfo({ schema: parsed.result }).privateKeyAlgorithm.algorithmId;
  } catch {
    return 'unknown';
  }
}

/**
 * Linkerd keeps a PKCS#8 key only if Go parses it to ECDSA or RSA. Go parses Ed25519 and X25519 and
 * Linkerd names the type it got; any other algorithm (Ed448, X448, DSA, RSA-PSS) Go itself refuses.
 */
function unsupportedPkcs8(key: KeyObject, der: Uint8Array): string | undefined {
  const type = key.asymmetricKeyType ?? 'unknown';
  if (type === 'ec' || type === 'rsa') return undefined;
  const goType = GO_PKCS8_TYPES[type];
  if (goType !== undefined) return `unsupported PKCS#8 encoded private key type: '${goType}', linkerd2 only supports ECDSA and RSA private keys`;
  return `x509: PKCS#8 wrapping contained private key with unknown algorithm: ${pkcs8AlgorithmOid(der)}`;
}

export function decodePrivateKey(text: string): KeyDecodeResult {
  const first = scanPem(text).blocks[0];
  if (!first) return { ok: false, error: 'not PEM-encoded' };
  const format = FORMATS[first.type];
  if (!format) return { ok: false, error: `unsupported block type: '${first.type}'` };
  let jwk: Jwk;
  try {
    const ko = createPrivateKey({ key: Buffer.from(first.der), format: 'der', type: format });
    const unsupported = format === 'pkcs8' ? unsupportedPkcs8(ko, first.der) : undefined;
    if (unsupported !== undefined) return { ok: false, error: unsupported };
    // The public JWK: derived from the private key, carries no private member.
    jwk = createPublicKey(ko).export({ format: 'jwk' }) as Jwk;
  } catch {
    const what = format === 'sec1' ? 'x509: failed to parse EC private key' : format === 'pkcs1' ? 'x509: failed to parse private key' : 'x509: failed to parse PKCS#8 private key';
    return { ok: false, error: what };
  }
  const half = publicHalfOf(jwk);
  if (!half) return { ok: false, error: `unsupported PKCS#8 private key type: ${jwk.kty ?? 'unknown'}` };
  return { ok: true, key: { blockType: first.type, publicHalf: half } };
}

export function certificatePublicHalf(cert: Certificate): PublicHalf | undefined {
  try {
    return publicHalfOf(createPublicKey({ key: Buffer.from(cert.spki), format: 'der', type: 'spki' }).export({ format: 'jwk' }) as Jwk);
  } catch {
    return undefined;
  }
}

/** Linkerd's `matchesCertificate`: EC compares X and Y, RSA compares N and E. */
export function keyMatchesCertificate(key: DecodedKey, cert: Certificate): boolean {
  const c = certificatePublicHalf(cert);
  const k = key.publicHalf;
  if (!c) return false;
  if (c.kind === 'EC') return k.kind === 'EC' && c.curve === k.curve && c.x === k.x && c.y === k.y;
  return k.kind === 'RSA' && c.modulus === k.modulus && c.exponent === k.exponent;
}

export const KEY_MISMATCH = 'tls: Public and private key do not match';

export const KEY_PROOF_FAILED = 'tls: the private key does not sign for the certificate: a signature made with it fails to verify with the certificate\'s public key (the private part of the key is corrupt or belongs to another key)';

/**
 * The real proof that `keyText` is the private half of `cert`'s key: sign a fresh random challenge
 * with it and verify the signature with the certificate's public key, both through WebCrypto.
 * Comparing public halves (Linkerd's check) accepts a key whose private scalar is corrupted but
 * whose embedded public key is intact; every signature made with such a key fails. The private key
 * is imported as non-extractable and never leaves this function. Resolves false on any failure.
 */
export async function proveKeyPair(keyText: string, cert: Certificate): Promise<boolean> {
  const first = scanPem(keyText).blocks[0];
  const format = first ? FORMATS[first.type] : undefined;
  if (!first || !format) return false;
  try {
    const pkcs8 = createPrivateKey({ key: Buffer.from(first.der), format: 'der', type: format }).export({ format: 'der', type: 'pkcs8' });
    const half = certificatePublicHalf(cert);
    if (!half) return false;
    const algorithm =
      half.kind === 'EC'
        ? { import: { name: 'ECDSA', namedCurve: half.curve }, sign: { name: 'ECDSA', hash: 'SHA-256' } }
        : { import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5' } };
    const subtle = webcrypto.subtle;
    const priv = await subtle.importKey('pkcs8', pkcs8, algorithm.import, false, ['sign']);
    const pub = await subtle.importKey('spki', Buffer.from(cert.spki), algorithm.import, false, ['verify']);
    const challenge = randomBytes(32);
    const signature = await subtle.sign(algorithm.sign, priv, challenge);
    return await subtle.verify(algorithm.sign, pub, signature, challenge);
  } catch {
    return false;
  }
}
