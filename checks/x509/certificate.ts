/**
 * X.509 certificates parsed with pkijs into plain data: the fields Linkerd's checks and Go's verifier
 * look at, named the way Go prints them (`ECDSA-SHA256`, `SHA256-RSA`, `P-256`), so messages match.
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

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

function signatureAlgorithm(alg: pkijs.AlgorithmIdentifier): SignatureAlgorithm {
  const oid = alg.algorithmId;
  if (oid === '1.2.840.113549.1.1.10') {
    let hash: SignatureAlgorithm['hash'] = 'SHA-1';
    let salt = 20;
    if (alg.algorithmParams) {
      const p = new pkijs.RSASSAPSSParams({ schema: alg.algorithmParams });
      hash = HASH_OIDS[p.hashAlgorithm.algorithmId] ?? hash;
      salt = p.saltLength;
    }
    const name = hash === 'SHA-1' ? 'RSASSA-PSS' : `${hash.replace('-', '')}-RSAPSS`;
    return { oid, name, hash, kind: 'RSA-PSS', pssSaltLength: salt };
  }
  const known = SIG_ALGS[oid];
  return known ? { oid, ...known } : { oid, name: oid, kind: 'other' };
}

function publicKeyInfo(spki: pkijs.PublicKeyInfo): PublicKeyInfo {
  const oid = spki.algorithm.algorithmId;
  if (oid === '1.2.840.10045.2.1') {
    const params = spki.algorithm.algorithmParams as asn1js.ObjectIdentifier | undefined;
    const curveOid = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : '';
    const c = CURVES[curveOid];
    return { algorithm: 'ECDSA', curve: c?.name ?? curveOid, bits: c?.bits ?? 0 };
  }
  if (oid === '1.2.840.113549.1.1.1' || oid === '1.2.840.113549.1.1.10') {
    const key = pkijs.RSAPublicKey.fromBER(spki.subjectPublicKey.valueBlock.valueHexView);
    const n = key.modulus.valueBlock.valueHexView;
    let i = 0;
    while (i < n.length && n[i] === 0) i++;
    const first = n[i] ?? 0;
    const bits = (n.length - i - 1) * 8 + (first === 0 ? 0 : Math.floor(Math.log2(first)) + 1);
    return { algorithm: 'RSA', bits };
  }
  if (oid === '1.3.101.112') return { algorithm: 'Ed25519', oid };
  if (oid === '1.2.840.10040.4.1') return { algorithm: 'DSA', oid };
  return { algorithm: 'unknown', oid };
}

function nameString(n: pkijs.RelativeDistinguishedNames): string {
  const short: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST' };
  return n.typesAndValues.map((tv) => `${short[tv.type] ?? tv.type}=${String(tv.value.valueBlock.value)}`).join(', ');
}

function attr(n: pkijs.RelativeDistinguishedNames, oid: string): string {
  const tv = n.typesAndValues.find((t) => t.type === oid);
  return tv ? String(tv.value.valueBlock.value) : '';
}

function rawName(n: pkijs.RelativeDistinguishedNames): string {
  const before = n.valueBeforeDecode;
  return hex(before && before.byteLength ? before : n.toSchema().toBER(false));
}

export function parseCertificate(der: Uint8Array): Certificate {
  let cert: pkijs.Certificate;
  try {
    const asn = asn1js.fromBER(der);
    if (asn.offset === -1 || asn.offset !== der.byteLength) throw new Error('trailing data');
    cert = new pkijs.Certificate({ schema: asn.result });
  } catch {
    throw new CertificateParseError('x509: malformed certificate');
  }
  const out: Certificate = {
    der,
    tbs: cert.tbsView,
    signature: cert.signatureValue.valueBlock.valueHexView,
    signatureAlgorithm: signatureAlgorithm(cert.signatureAlgorithm),
    version: cert.version + 1,
    serial: cert.serialNumber.toBigInt().toString(10),
    subjectCN: attr(cert.subject, '2.5.4.3'),
    subjectOrg: attr(cert.subject, '2.5.4.10'),
    subjectRaw: rawName(cert.subject),
    issuerRaw: rawName(cert.issuer),
    subject: nameString(cert.subject),
    issuer: nameString(cert.issuer),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    spki: new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER(false)),
    publicKey: publicKeyInfo(cert.subjectPublicKeyInfo),
    dnsNames: [],
    unhandledCritical: [],
  };
  for (const e of cert.extensions ?? []) {
    try {
      switch (e.extnID) {
        case '2.5.29.19': {
          const bc = e.parsedValue as pkijs.BasicConstraints;
          out.basicConstraints = { isCA: bc.cA === true };
          if (bc.pathLenConstraint !== undefined) {
            const pl = bc.pathLenConstraint;
            out.basicConstraints.pathLen = typeof pl === 'number' ? pl : Number(pl.valueBlock.valueDec);
          }
          break;
        }
        case '2.5.29.15': {
          const bits = (e.parsedValue as asn1js.BitString).valueBlock.valueHexView;
          const set = new Set<KeyUsage>();
          KEY_USAGE_NAMES.forEach((name, i) => {
            if (((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) set.add(name);
          });
          out.keyUsage = set;
          break;
        }
        case '2.5.29.37':
          out.extKeyUsage = [...(e.parsedValue as pkijs.ExtKeyUsage).keyPurposes];
          break;
        case '2.5.29.17':
          out.dnsNames = (e.parsedValue as pkijs.AltName).altNames.filter((n) => n.type === 2).map((n) => String(n.value));
          break;
        case '2.5.29.30': {
          const nc = e.parsedValue as pkijs.NameConstraints;
          const dns = (subs: pkijs.GeneralSubtree[] | undefined) => (subs ?? []).filter((s) => s.base.type === 2).map((s) => String(s.base.value));
          const other = [...(nc.permittedSubtrees ?? []), ...(nc.excludedSubtrees ?? [])].some((s) => s.base.type !== 2);
          out.nameConstraints = { permittedDNS: dns(nc.permittedSubtrees), excludedDNS: dns(nc.excludedSubtrees), other };
          break;
        }
        case '2.5.29.14':
          out.subjectKeyId = hex((e.parsedValue as asn1js.OctetString).valueBlock.valueHexView);
          break;
        case '2.5.29.35': {
          const kid = (e.parsedValue as pkijs.AuthorityKeyIdentifier).keyIdentifier;
          if (kid) out.authorityKeyId = hex(kid.valueBlock.valueHexView);
          break;
        }
      }
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

export function publicKeyAlgorithmName(k: PublicKeyInfo): string {
  return k.algorithm === 'unknown' ? 'UnknownPublicKeyAlgorithm' : k.algorithm;
}

export function isSelfSignedByName(c: Certificate): boolean {
  return c.subjectRaw === c.issuerRaw;
}
