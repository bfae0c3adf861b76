/**
 * X.509 certificates parsed (der.ts) into plain data: the fields Linkerd's checks and Go's verifier
 * look at, named the way Go prints them (`ECDSA-SHA256`, `SHA256-RSA`, `P-256`), so messages match.
 */
import { DerError, TAG, bitStringOf, booleanOf, childrenOf, expect, integerOf, octetStringOf, oidOf, parseDer, stringOf, timeOf, unsignedBytesOf, type Tlv } from './der.js';

export type PublicKeyInfo =
  | { algorithm: 'ECDSA'; curve: string; bits: number }
  | { algorithm: 'RSA'; bits: number }
  | { algorithm: 'Ed25519' | 'DSA' | 'unknown'; oid: string };

export interface SignatureAlgorithm {
  oid: string;
  /** Go's `x509.SignatureAlgorithm.String()`, e.g. `ECDSA-SHA256`, `SHA256-RSA`, `SHA256-RSAPSS` */
  name: string;
  /** WebCrypto hash, when known */
  hash?: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';
  kind: 'ECDSA' | 'RSA' | 'RSA-PSS' | 'other';
  pssSaltLength?: number;
}

export type KeyUsage = 'digitalSignature' | 'contentCommitment' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';

export interface Certificate {
  der: Uint8Array;
  /** base64 of the DER: identity of the certificate */
  fingerprint: string;
  tbs: Uint8Array;
  signature: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  version: number;
  /** decimal, as Go prints `*big.Int` */
  serial: string;
  subjectCN: string;
  subjectOrg: string;
  /** raw DER of the Name, compared byte for byte as Go does */
  subjectRaw: string;
  issuerRaw: string;
  /** `CN=..., O=...` for humans */
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  publicKey: PublicKeyInfo;
  basicConstraints?: { isCA: boolean; pathLen?: number };
  /** undefined when the extension is absent */
  keyUsage?: Set<KeyUsage>;
  /** EKU OIDs; undefined when the extension is absent */
  extKeyUsage?: string[];
  dnsNames: string[];
  nameConstraints?: { permittedDNS: string[]; excludedDNS: string[]; other: boolean };
  subjectKeyId?: string;
  authorityKeyId?: string;
  /** OIDs of critical extensions Go's verifier does not handle */
  unhandledCritical: string[];
}

export const EKU = {
  any: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const CURVES: Record<string, { name: string; bits: number }> = {
  '1.2.840.10045.3.1.7': { name: 'P-256', bits: 256 },
  '1.3.132.0.34': { name: 'P-384', bits: 384 },
  '1.3.132.0.35': { name: 'P-521', bits: 521 },
  '1.2.840.10045.3.1.1': { name: 'P-192', bits: 192 },
  '1.3.132.0.33': { name: 'P-224', bits: 224 },
};

const SIG_ALGS: Record<string, Omit<SignatureAlgorithm, 'oid'>> = {
  '1.2.840.10045.4.3.2': { name: 'ECDSA-SHA256', hash: 'SHA-256', kind: 'ECDSA' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA-SHA384', hash: 'SHA-384', kind: 'ECDSA' },
  '1.2.840.10045.4.3.4': { name: 'ECDSA-SHA512', hash: 'SHA-512', kind: 'ECDSA' },
  '1.2.840.10045.4.1': { name: 'ECDSA-SHA1', hash: 'SHA-1', kind: 'ECDSA' },
  '1.2.840.113549.1.1.11': { name: 'SHA256-RSA', hash: 'SHA-256', kind: 'RSA' },
  '1.2.840.113549.1.1.12': { name: 'SHA384-RSA', hash: 'SHA-384', kind: 'RSA' },
  '1.2.840.113549.1.1.13': { name: 'SHA512-RSA', hash: 'SHA-512', kind: 'RSA' },
  '1.2.840.113549.1.1.5': { name: 'SHA1-RSA', hash: 'SHA-1', kind: 'RSA' },
  '1.2.840.113549.1.1.4': { name: 'MD5-RSA', kind: 'other' },
  '1.3.101.112': { name: 'Ed25519', kind: 'other' },
};
const HASH_OIDS: Record<string, SignatureAlgorithm['hash']> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

// Go handles these critical extensions; any other critical one makes Verify fail.
const HANDLED_CRITICAL = new Set(['2.5.29.15', '2.5.29.19', '2.5.29.17', '2.5.29.30', '2.5.29.32', '2.5.29.37', '2.5.29.14', '2.5.29.35']);
const KEY_USAGE_NAMES: KeyUsage[] = ['digitalSignature', 'contentCommitment', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

export class CertificateParseError extends Error {}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/*
 * The DER is walked with the small reader in der.ts: pkijs's schema matching (~2 ms per certificate)
 * and asn1js's decoder (~1.2 ms) were each too slow for a 500-anchor bundle. Field meanings follow
 * RFC 5280 section 4.1. Any structural error becomes CertificateParseError.
 */
function bad(what: string): never {
  throw new CertificateParseError(`x509: malformed ${what}`);
}

const isContext = (n: Tlv | undefined, num: number) => n !== undefined && n.cls === 2 && n.num === num;

function parseName(n: Tlv): { attrs: Array<[string, string]>; raw: string } {
  const attrs: Array<[string, string]> = [];
  for (const rdn of childrenOf(expect(n, TAG.SEQUENCE, 'name'))) {
    for (const atv of childrenOf(rdn)) {
      const [type, value] = childrenOf(atv);
      if (!value) bad('name');
      attrs.push([oidOf(type), stringOf(value)]);
    }
  }
  return { attrs, raw: hex(n.raw) };
}

function nameString(attrs: Array<[string, string]>): string {
  const short: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST' };
  return attrs.map(([t, v]) => `${short[t] ?? t}=${v}`).join(', ');
}

function signatureAlgorithm(alg: Tlv): SignatureAlgorithm {
  const [idNode, params] = childrenOf(expect(alg, TAG.SEQUENCE, 'signature algorithm'));
  const id = oidOf(idNode);
  if (id === '1.2.840.113549.1.1.10') {
    let hash: SignatureAlgorithm['hash'] = 'SHA-1';
    let salt = 20;
    if (params && params.tag === TAG.SEQUENCE) {
      for (const f of childrenOf(params)) {
        const inner = childrenOf(f)[0];
        if (isContext(f, 0) && inner) hash = HASH_OIDS[oidOf(childrenOf(inner)[0])] ?? hash;
        if (isContext(f, 2)) salt = Number(integerOf(inner));
      }
    }
    const name = hash === 'SHA-1' ? 'RSASSA-PSS' : `${hash.replace('-', '')}-RSAPSS`;
    return { oid: id, name, hash, kind: 'RSA-PSS', pssSaltLength: salt };
  }
  const known = SIG_ALGS[id];
  return known ? { oid: id, ...known } : { oid: id, name: id, kind: 'other' };
}

function publicKeyInfo(spki: Tlv): PublicKeyInfo {
  const [alg, key] = childrenOf(expect(spki, TAG.SEQUENCE, 'public key'));
  const [idNode, params] = childrenOf(expect(alg, TAG.SEQUENCE, 'public key algorithm'));
  const id = oidOf(idNode);
  if (id === '1.2.840.10045.2.1') {
    const curveOid = params && params.tag === TAG.OID ? oidOf(params) : '';
    const c = CURVES[curveOid];
    return { algorithm: 'ECDSA', curve: c?.name ?? curveOid, bits: c?.bits ?? 0 };
  }
  if (id === '1.2.840.113549.1.1.1' || id === '1.2.840.113549.1.1.10') {
    const [modulus] = childrenOf(parseDer(bitStringOf(key)));
    const n = unsignedBytesOf(modulus);
    const first = n[0] ?? 0;
    return { algorithm: 'RSA', bits: (n.length - 1) * 8 + (first === 0 ? 0 : Math.floor(Math.log2(first)) + 1) };
  }
  if (id === '1.3.101.112') return { algorithm: 'Ed25519', oid: id };
  if (id === '1.2.840.10040.4.1') return { algorithm: 'DSA', oid: id };
  return { algorithm: 'unknown', oid: id };
}

function dnsNamesOf(names: Tlv[]): string[] {
  return names.filter((g) => isContext(g, 2)).map((g) => Buffer.from(g.value).toString('latin1'));
}

function applyExtension(out: Certificate, id: string, value: Uint8Array): void {
  switch (id) {
    case '2.5.29.19': {
      const fields = childrenOf(parseDer(value));
      let i = 0;
      let isCA = false;
      if (fields[0]?.tag === TAG.BOOLEAN) {
        isCA = booleanOf(fields[0]);
        i = 1;
      }
      out.basicConstraints = { isCA };
      if (fields[i]) out.basicConstraints.pathLen = Number(integerOf(fields[i]));
      break;
    }
    case '2.5.29.15': {
      const bits = bitStringOf(parseDer(value));
      const set = new Set<KeyUsage>();
      KEY_USAGE_NAMES.forEach((name, i) => {
        if (((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) set.add(name);
      });
      out.keyUsage = set;
      break;
    }
    case '2.5.29.37':
      out.extKeyUsage = childrenOf(parseDer(value)).map((n) => oidOf(n));
      break;
    case '2.5.29.17':
      out.dnsNames = dnsNamesOf(childrenOf(parseDer(value)));
      break;
    case '2.5.29.30': {
      const nc = { permittedDNS: [] as string[], excludedDNS: [] as string[], other: false };
      for (const part of childrenOf(parseDer(value))) {
        const bases = childrenOf(part).map((subtree) => childrenOf(subtree)[0] ?? bad('name constraints'));
        if (bases.some((b) => !isContext(b, 2))) nc.other = true;
        (isContext(part, 0) ? nc.permittedDNS : nc.excludedDNS).push(...dnsNamesOf(bases));
      }
      out.nameConstraints = nc;
      break;
    }
    case '2.5.29.14':
      out.subjectKeyId = hex(octetStringOf(parseDer(value)));
      break;
    case '2.5.29.35': {
      const kid = childrenOf(parseDer(value)).find((n) => isContext(n, 0));
      if (kid) out.authorityKeyId = hex(kid.value);
      break;
    }
  }
}

// Parsing is pure over the bytes; the same anchor is often read twice (ca.crt and the bundle).
const parsed = new Map<string, Certificate>();

export function parseCertificate(bytes: Uint8Array): Certificate {
  const fingerprint = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const cached = parsed.get(fingerprint);
  if (cached) return cached;
  let out: Certificate;
  try {
    out = parseUncached(bytes, fingerprint);
  } catch (e) {
    if (e instanceof CertificateParseError) throw e;
    if (e instanceof DerError) throw new CertificateParseError('x509: malformed certificate');
    throw new CertificateParseError('x509: malformed certificate');
  }
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(fingerprint, out);
  return out;
}

function parseUncached(bytes: Uint8Array, fingerprint: string): Certificate {
  const [tbs, sigAlg, sigValue] = childrenOf(expect(parseDer(bytes), TAG.SEQUENCE, 'certificate'));
  if (!tbs || !sigAlg || !sigValue) bad('certificate');
  const f = childrenOf(expect(tbs, TAG.SEQUENCE, 'tbs certificate'));
  let i = 0;
  let version = 1;
  if (isContext(f[0], 0)) {
    version = Number(integerOf(childrenOf(f[0]!)[0])) + 1;
    i = 1;
  }
  const serial = integerOf(f[i], 'serial number');
  const issuer = parseName(f[i + 2] ?? bad('issuer'));
  const [nb, na] = childrenOf(f[i + 3] ?? bad('validity'));
  const subject = parseName(f[i + 4] ?? bad('subject'));
  const spki = f[i + 5] ?? bad('public key');
  const attr = (attrs: Array<[string, string]>, o: string) => attrs.find(([t]) => t === o)?.[1] ?? '';
  const out: Certificate = {
    der: bytes,
    fingerprint,
    tbs: tbs.raw,
    signature: bitStringOf(sigValue, 'signature'),
    signatureAlgorithm: signatureAlgorithm(sigAlg),
    version,
    serial: serial.toString(10),
    subjectCN: attr(subject.attrs, '2.5.4.3'),
    subjectOrg: attr(subject.attrs, '2.5.4.10'),
    subjectRaw: subject.raw,
    issuerRaw: issuer.raw,
    subject: nameString(subject.attrs),
    issuer: nameString(issuer.attrs),
    notBefore: timeOf(nb, 'validity'),
    notAfter: timeOf(na, 'validity'),
    spki: spki.raw,
    publicKey: publicKeyInfo(spki),
    dnsNames: [],
    unhandledCritical: [],
  };
  const extensions = f.slice(i + 6).find((n) => isContext(n, 3));
  if (extensions) {
    for (const e of childrenOf(expect(childrenOf(extensions)[0], TAG.SEQUENCE, 'extensions'))) {
      const parts = childrenOf(e);
      const id = oidOf(parts[0], 'extension');
      const critical = parts[1]?.tag === TAG.BOOLEAN ? booleanOf(parts[1]) : false;
      const value = octetStringOf(parts[parts.length - 1], 'extension');
      try {
        applyExtension(out, id, value);
      } catch {
        throw new CertificateParseError(`x509: malformed extension ${id}`);
      }
      if (critical && !HANDLED_CRITICAL.has(id)) out.unhandledCritical.push(id);
    }
  }
  return out;
}

/** Go's certificate name in verifier errors: CN, else first O, else `serial:<n>`. */
export function certName(c: Certificate): string {
  if (c.subjectCN) return c.subjectCN;
  if (c.subjectOrg) return c.subjectOrg;
  return `serial:${c.serial}`;
}

/** RFC 3339 in UTC as Go's time.Format(time.RFC3339) prints it (no fractional seconds). */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function publicKeyAlgorithmName(k: PublicKeyInfo): string {
  return k.algorithm === 'unknown' ? 'UnknownPublicKeyAlgorithm' : k.algorithm;
}

export function isSelfSignedByName(c: Certificate): boolean {
  return c.subjectRaw === c.issuerRaw;
}
