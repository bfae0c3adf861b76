/**
 * Certificate signature verification through WebCrypto: ECDSA P-256/P-384/P-521 with SHA-256/384/512,
 * RSA PKCS#1 v1.5 and RSA-PSS. Errors read like Go's (`x509: ECDSA verification failure`,
 * `crypto/rsa: verification error`) because Linkerd surfaces Go's text.
 */
import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import type { Certificate } from './certificate.js';

const subtle = webcrypto.subtle;
type CryptoKey = webcrypto.CryptoKey;

// Imported keys are cached per (SPKI, algorithm): a bundle of many anchors verifies many children.
const keyCache = new Map<string, Promise<CryptoKey>>();

function importParams(child: Certificate, parent: Certificate): { name: string; namedCurve?: string; hash?: string } | undefined {
  const sig = child.signatureAlgorithm;
  const pk = parent.publicKey;
  if (sig.kind === 'ECDSA' && pk.algorithm === 'ECDSA') return { name: 'ECDSA', namedCurve: pk.curve };
  if (sig.kind === 'RSA' && pk.algorithm === 'RSA' && sig.hash) return { name: 'RSASSA-PKCS1-v1_5', hash: sig.hash };
  if (sig.kind === 'RSA-PSS' && pk.algorithm === 'RSA' && sig.hash) return { name: 'RSA-PSS', hash: sig.hash };
  return undefined;
}

/** DER `SEQUENCE { r INTEGER, s INTEGER }` (decoded with asn1js) to WebCrypto's fixed-width r||s. */
function ecdsaDerToRaw(sig: Uint8Array, bits: number): Uint8Array | undefined {
  const size = Math.ceil(bits / 8);
  const asn = asn1js.fromBER(sig);
  if (asn.offset !== sig.byteLength || !(asn.result instanceof asn1js.Sequence)) return undefined;
  const parts = asn.result.valueBlock.value;
  if (parts.length !== 2 || !parts.every((p) => p instanceof asn1js.Integer)) return undefined;
  const out = new Uint8Array(size * 2);
  for (let i = 0; i < 2; i++) {
    let v = (parts[i] as asn1js.Integer).valueBlock.valueHexView;
    while (v.length > 1 && v[0] === 0) v = v.subarray(1);
    if (v.length > size) return undefined;
    out.set(v, size * (i + 1) - v.length);
  }
  return out;
}

/**
 * Does `parent`'s public key verify `child`'s signature? Resolves to undefined when it does, else Go's
 * error text. Never throws.
 */
export async function checkSignature(child: Certificate, parent: Certificate): Promise<string | undefined> {
  const sig = child.signatureAlgorithm;
  const pk = parent.publicKey;
  // Go refuses SHA-1 (and MD5) signatures outright since 1.18, so Linkerd's check does too.
  if (sig.hash === 'SHA-1' || sig.name === 'MD5-RSA') return `x509: cannot verify signature: insecure algorithm ${sig.name}`;
  const params = importParams(child, parent);
  if (!params) {
    if (sig.kind === 'other' || !sig.hash) return 'x509: cannot verify signature: algorithm unimplemented';
    const want = sig.kind === 'ECDSA' ? 'ECDSA' : 'RSA';
    return `x509: signature algorithm specifies an ${want} public key, but have public key of type ${pk.algorithm === 'ECDSA' ? '*ecdsa.PublicKey' : pk.algorithm === 'RSA' ? '*rsa.PublicKey' : pk.algorithm}`;
  }
  try {
    const cacheKey = `${params.name}/${params.namedCurve ?? params.hash}/${Buffer.from(parent.spki).toString('base64')}`;
    let key = keyCache.get(cacheKey);
    if (!key) {
      key = subtle.importKey('spki', parent.spki, params, false, ['verify']);
      keyCache.set(cacheKey, key);
      if (keyCache.size > 4096) keyCache.delete(keyCache.keys().next().value as string);
    }
    const k = await key;
    if (params.name === 'ECDSA') {
      const raw = pk.algorithm === 'ECDSA' ? ecdsaDerToRaw(child.signature, pk.bits) : undefined;
      const ok = raw !== undefined && (await subtle.verify({ name: 'ECDSA', hash: sig.hash! }, k, raw, child.tbs));
      return ok ? undefined : 'x509: ECDSA verification failure';
    }
    const algo = params.name === 'RSA-PSS' ? { name: 'RSA-PSS', saltLength: sig.pssSaltLength ?? 20 } : { name: 'RSASSA-PKCS1-v1_5' };
    const ok = await subtle.verify(algo, k, child.signature, child.tbs);
    return ok ? undefined : 'crypto/rsa: verification error';
  } catch (e) {
    // importKey rejects curves WebCrypto lacks (e.g. secp256k1)
    return `x509: cannot verify signature: ${e instanceof Error ? e.message : String(e)}`;
  }
}
