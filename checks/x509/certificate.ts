/**
 * X.509 certificates parsed with pkijs (over asn1js) into plain data: the fields Linkerd's checks and
 * Go's verifier look at, named the way Go prints them (`ECDSA-SHA256`, `SHA256-RSA`, `P-256`), so
 * messages match.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

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

function bad(what: string): never {
  throw new CertificateParseError(`x509: malformed ${what}`);
}

const view = (b: ArrayBuffer | Uint8Array) => (b instanceof Uint8Array ? b : new Uint8Array(b));
const oidString = (o: unknown) => (o instanceof asn1js.ObjectIdentifier ? o.valueBlock.toString() : '');

/** Name attributes as [oid, value] and the raw DER Go compares names by. */
function nameOf(n: pkijs.RelativeDistinguishedNames): { attrs: Array<[string, string]>; raw: string } {
  const attrs = n.typesAndValues.map((tv): [string, string] => {
    const v = tv.value as { valueBlock?: { value?: unknown } };
    return [tv.type, typeof v.valueBlock?.value === 'string' ? v.valueBlock.value : ''];
  });
  return { attrs, raw: hex(view(n.valueBeforeDecode)) };
}

function nameString(attrs: Array<[string, string]>): string {
  const short: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST' };
  return attrs.map(([t, v]) => `${short[t] ?? t}=${v}`).join(', ');
}

function signatureAlgorithm(alg: pkijs.AlgorithmIdentifier): SignatureAlgorithm {
  const id = alg.algorithmId;
  if (id === '1.2.840.113549.1.1.10') {
    let hash: SignatureAlgorithm['hash'] = 'SHA-1';
    let salt = 20;
    if (alg.algorithmParams instanceof asn1js.Sequence) {
      const pss = new pkijs.RSASSAPSSParams({ schema: alg.algorithmParams });
      hash = HASH_OIDS[pss.hashAlgorithm.algorithmId] ?? hash;
      salt = pss.saltLength;
    }
    const name = hash === 'SHA-1' ? 'RSASSA-PSS' : `${hash.replace('-', '')}-RSAPSS`;
    return { oid: id, name, hash, kind: 'RSA-PSS', pssSaltLength: salt };
  }
  const known = SIG_ALGS[id];
  return known ? { oid: id, ...known } : { oid: id, name: id, kind: 'other' };
}

/** Bit length of an unsigned big-endian integer (an RSA modulus). */
export function bitLength(n: Uint8Array): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) return 0;
  return (n.length - i - 1) * 8 + Math.floor(Math.log2(n[i] as number)) + 1;
}

function publicKeyInfo(spki: pkijs.PublicKeyInfo): PublicKeyInfo {
  const id = spki.algorithm.algorithmId;
  if (id === '1.2.840.10045.2.1') {
    const curveOid = oidString(spki.algorithm.algorithmParams);
    const c = CURVES[curveOid];
    return { algorithm: 'ECDSA', curve: c?.name ?? curveOid, bits: c?.bits ?? 0 };
  }
  if (id === '1.2.840.113549.1.1.1' || id === '1.2.840.113549.1.1.10') {
    const key = asn1js.fromBER(spki.subjectPublicKey.valueBlock.valueHexView);
    if (key.offset === -1) bad('RSA public key');
    const rsa = new pkijs.RSAPublicKey({ schema: key.result });
    return { algorithm: 'RSA', bits: bitLength(rsa.modulus.valueBlock.valueHexView) };
  }
  if (id === '1.3.101.112') return { algorithm: 'Ed25519', oid: id };
  if (id === '1.2.840.10040.4.1') return { algorithm: 'DSA', oid: id };
  return { algorithm: 'unknown', oid: id };
}

function dnsNamesOf(names: pkijs.GeneralName[]): string[] {
  return names.filter((g) => g.type === 2 && typeof g.value === 'string').map((g) => g.value as string);
}

/** pkijs decodes the extensions Go's verifier cares about into `parsedValue`. */
function applyExtension(out: Certificate, e: pkijs.Extension): void {
  const v: unknown = e.parsedValue;
  switch (e.extnID) {
    case '2.5.29.19': {
      const bc = v as pkijs.BasicConstraints | undefined;
      if (!bc) bad('basic constraints');
      out.basicConstraints = { isCA: bc.cA === true };
      const pl = bc.pathLenConstraint as unknown;
      if (typeof pl === 'number') out.basicConstraints.pathLen = pl;
      else if (pl instanceof asn1js.Integer) out.basicConstraints.pathLen = pl.valueBlock.valueDec;
      break;
    }
    case '2.5.29.15': {
      const bits = (v as asn1js.BitString | undefined)?.valueBlock.valueHexView;
      if (!bits) bad('key usage');
      const set = new Set<KeyUsage>();
      KEY_USAGE_NAMES.forEach((name, i) => {
        if (((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) set.add(name);
      });
      out.keyUsage = set;
      break;
    }
    case '2.5.29.37':
      out.extKeyUsage = [...((v as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? bad('extended key usage'))];
      break;
    case '2.5.29.17':
      out.dnsNames = dnsNamesOf((v as pkijs.AltName | undefined)?.altNames ?? bad('subject alternative name'));
      break;
    case '2.5.29.30': {
      const c = v as pkijs.NameConstraints | undefined;
      if (!c) bad('name constraints');
      const permitted = (c.permittedSubtrees ?? []).map((t) => t.base);
      const excluded = (c.excludedSubtrees ?? []).map((t) => t.base);
      out.nameConstraints = {
        permittedDNS: dnsNamesOf(permitted),
        excludedDNS: dnsNamesOf(excluded),
        other: [...permitted, ...excluded].some((b) => b.type !== 2),
      };
      break;
    }
    case '2.5.29.14': {
      const ski = v as asn1js.OctetString | undefined;
      if (ski) out.subjectKeyId = hex(ski.valueBlock.valueHexView);
      break;
    }
    case '2.5.29.35': {
      const kid = (v as pkijs.AuthorityKeyIdentifier | undefined)?.keyIdentifier;
      if (kid) out.authorityKeyId = hex(kid.valueBlock.valueHexView);
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
    throw new CertificateParseError('x509: malformed certificate');
  }
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(fingerprint, out);
  return out;
}

function parseUncached(bytes: Uint8Array, fingerprint: string): Certificate {
  const asn = asn1js.fromBER(bytes);
  // Go's parser rejects bytes after the certificate ("x509: trailing data").
  if (asn.offset === -1 || asn.offset !== bytes.byteLength) bad('certificate');
  const cert = new pkijs.Certificate({ schema: asn.result });
  const issuer = nameOf(cert.issuer);
  const subject = nameOf(cert.subject);
  const attr = (attrs: Array<[string, string]>, o: string) => attrs.find(([t]) => t === o)?.[1] ?? '';
  const out: Certificate = {
    der: bytes,
    fingerprint,
    tbs: view(cert.tbsView),
    signature: cert.signatureValue.valueBlock.valueHexView,
    signatureAlgorithm: signatureAlgorithm(cert.signatureAlgorithm),
    version: cert.version + 1,
    serial: cert.serialNumber.toBigInt().toString(10),
    subjectCN: attr(subject.attrs, '2.5.4.3'),
    subjectOrg: attr(subject.attrs, '2.5.4.10'),
    subjectRaw: subject.raw,
    issuerRaw: issuer.raw,
    subject: nameString(subject.attrs),
    issuer: nameString(issuer.attrs),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    spki: view(cert.subjectPublicKeyInfo.toSchema().toBER()),
    publicKey: publicKeyInfo(cert.subjectPublicKeyInfo),
    dnsNames: [],
    unhandledCritical: [],
  };
  for (const e of cert.extensions ?? []) {
    try {
      applyExtension(out, e);
    } catch {
      throw new CertificateParseError(`x509: malformed extension ${e.extnID}`);
    }
    if (e.critical && !HANDLED_CRITICAL.has(e.extnID)) out.unhandledCritical.push(e.extnID);
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

/**
 * Go's `time.Time.String()` of a UTC time, as Linkerd prints times with `%s`:
 * `2026-01-01 00:00:00 +0000 UTC`, fractional seconds only when present, trailing zeros trimmed.
 */
export function goTimeString(d: Date): string {
  const iso = d.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? '.' + fraction : ''} +0000 UTC`;
}

export function publicKeyAlgorithmName(k: PublicKeyInfo): string {
  return k.algorithm === 'unknown' ? 'UnknownPublicKeyAlgorithm' : k.algorithm;
}

export function isSelfSignedByName(c: Certificate): boolean {
  return c.subjectRaw === c.issuerRaw;
}
