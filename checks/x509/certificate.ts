/**
 * X.509 certificates parsed (asn1js) into plain data: the fields Linkerd's checks and Go's verifier
 * look at, named the way Go prints them (`ECDSA-SHA256`, `SHA256-RSA`, `P-256`), so messages match.
 */
import * as asn1js from 'asn1js';

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
 * The DER is walked with asn1js directly rather than through pkijs's Certificate schema: matching the
 * whole X.509 schema costs ~2 ms per certificate, which a 500-anchor bundle cannot afford, and keeping
 * pkijs out of the check path saves its start-up. Field meanings follow RFC 5280 section 4.1.
 */
type Node = asn1js.AsnType & { idBlock: { tagClass: number; tagNumber: number }; valueBeforeDecodeView: Uint8Array; valueBlock: { value?: unknown; valueHexView?: Uint8Array } };

function bad(what: string): never {
  throw new CertificateParseError(`x509: malformed ${what}`);
}

function der(bytes: Uint8Array, what: string): Node {
  const asn = asn1js.fromBER(bytes);
  if (asn.offset === -1 || asn.offset !== bytes.byteLength) bad(what);
  return asn.result as unknown as Node;
}

function children(n: Node | undefined, what: string): Node[] {
  const v = n?.valueBlock.value;
  if (!Array.isArray(v)) bad(what);
  return v as Node[];
}

const isContext = (n: Node | undefined, tag: number) => n !== undefined && n.idBlock.tagClass === 3 && n.idBlock.tagNumber === tag;

function oid(n: Node | undefined, what: string): string {
  if (!(n instanceof asn1js.ObjectIdentifier)) bad(what);
  return n.valueBlock.toString();
}

function octets(n: Node | undefined, what: string): Uint8Array {
  const v = n?.valueBlock.valueHexView;
  if (!(v instanceof Uint8Array)) bad(what);
  return v;
}

function bitStringBytes(n: Node | undefined, what: string): Uint8Array {
  if (!(n instanceof asn1js.BitString)) bad(what);
  return n.valueBlock.valueHexView;
}

function integer(n: Node | undefined, what: string): bigint {
  if (!(n instanceof asn1js.Integer)) bad(what);
  return n.toBigInt();
}

function time(n: Node | undefined, what: string): Date {
  if (n instanceof asn1js.UTCTime || n instanceof asn1js.GeneralizedTime) return n.toDate();
  bad(what);
}

function text(n: Node): string {
  const v = n.valueBlock.value;
  if (typeof v === 'string') return v;
  const h = n.valueBlock.valueHexView;
  return h ? Buffer.from(h).toString('utf8') : '';
}

function parseName(n: Node): { attrs: Array<[string, string]>; raw: string } {
  const attrs: Array<[string, string]> = [];
  for (const rdn of children(n, 'name')) {
    for (const atv of children(rdn, 'name')) {
      const [type, value] = children(atv, 'name');
      if (!value) bad('name');
      attrs.push([oid(type, 'name'), text(value)]);
    }
  }
  return { attrs, raw: hex(n.valueBeforeDecodeView) };
}

function nameString(attrs: Array<[string, string]>): string {
  const short: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST' };
  return attrs.map(([t, v]) => `${short[t] ?? t}=${v}`).join(', ');
}

function signatureAlgorithm(alg: Node): SignatureAlgorithm {
  const [idNode, params] = children(alg, 'signature algorithm');
  const id = oid(idNode, 'signature algorithm');
  if (id === '1.2.840.113549.1.1.10') {
    let hash: SignatureAlgorithm['hash'] = 'SHA-1';
    let salt = 20;
    if (params instanceof asn1js.Sequence) {
      for (const f of children(params as unknown as Node, 'PSS parameters')) {
        const inner = children(f, 'PSS parameters')[0];
        if (isContext(f, 0)) hash = HASH_OIDS[oid(children(inner, 'PSS hash')[0], 'PSS hash')] ?? hash;
        if (isContext(f, 2)) salt = Number(integer(inner, 'PSS salt length'));
      }
    }
    const name = hash === 'SHA-1' ? 'RSASSA-PSS' : `${hash.replace('-', '')}-RSAPSS`;
    return { oid: id, name, hash, kind: 'RSA-PSS', pssSaltLength: salt };
  }
  const known = SIG_ALGS[id];
  return known ? { oid: id, ...known } : { oid: id, name: id, kind: 'other' };
}

function publicKeyInfo(spki: Node): PublicKeyInfo {
  const [alg, key] = children(spki, 'public key');
  const [idNode, params] = children(alg, 'public key algorithm');
  const id = oid(idNode, 'public key algorithm');
  if (id === '1.2.840.10045.2.1') {
    const curveOid = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : '';
    const c = CURVES[curveOid];
    return { algorithm: 'ECDSA', curve: c?.name ?? curveOid, bits: c?.bits ?? 0 };
  }
  if (id === '1.2.840.113549.1.1.1' || id === '1.2.840.113549.1.1.10') {
    const [modulus] = children(der(bitStringBytes(key, 'RSA public key'), 'RSA public key'), 'RSA public key');
    const n = octets(modulus, 'RSA modulus');
    let i = 0;
    while (i < n.length && n[i] === 0) i++;
    const first = n[i] ?? 0;
    return { algorithm: 'RSA', bits: (n.length - i - 1) * 8 + (first === 0 ? 0 : Math.floor(Math.log2(first)) + 1) };
  }
  if (id === '1.3.101.112') return { algorithm: 'Ed25519', oid: id };
  if (id === '1.2.840.10040.4.1') return { algorithm: 'DSA', oid: id };
  return { algorithm: 'unknown', oid: id };
}

function dnsNamesOf(names: Node[]): string[] {
  return names.filter((g) => isContext(g, 2)).map((g) => Buffer.from(octets(g, 'DNS name')).toString('latin1'));
}

function applyExtension(out: Certificate, id: string, value: Uint8Array): void {
  switch (id) {
    case '2.5.29.19': {
      const fields = children(der(value, 'basic constraints'), 'basic constraints');
      let i = 0;
      let isCA = false;
      if (fields[0] instanceof asn1js.Boolean) {
        isCA = fields[0].valueBlock.value;
        i = 1;
      }
      out.basicConstraints = { isCA };
      if (fields[i]) out.basicConstraints.pathLen = Number(integer(fields[i], 'path length'));
      break;
    }
    case '2.5.29.15': {
      const bits = bitStringBytes(der(value, 'key usage'), 'key usage');
      const set = new Set<KeyUsage>();
      KEY_USAGE_NAMES.forEach((name, i) => {
        if (((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) set.add(name);
      });
      out.keyUsage = set;
      break;
    }
    case '2.5.29.37':
      out.extKeyUsage = children(der(value, 'extended key usage'), 'extended key usage').map((n) => oid(n, 'extended key usage'));
      break;
    case '2.5.29.17':
      out.dnsNames = dnsNamesOf(children(der(value, 'subject alternative name'), 'subject alternative name'));
      break;
    case '2.5.29.30': {
      const nc = { permittedDNS: [] as string[], excludedDNS: [] as string[], other: false };
      for (const part of children(der(value, 'name constraints'), 'name constraints')) {
        const bases = children(part, 'name constraints').map((subtree) => children(subtree, 'name constraints')[0]!);
        if (bases.some((b) => !isContext(b, 2))) nc.other = true;
        (isContext(part, 0) ? nc.permittedDNS : nc.excludedDNS).push(...dnsNamesOf(bases));
      }
      out.nameConstraints = nc;
      break;
    }
    case '2.5.29.14':
      out.subjectKeyId = hex(octets(der(value, 'subject key identifier'), 'subject key identifier'));
      break;
    case '2.5.29.35': {
      const kid = children(der(value, 'authority key identifier'), 'authority key identifier').find((n) => isContext(n, 0));
      if (kid) out.authorityKeyId = hex(octets(kid, 'authority key identifier'));
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
  const [tbs, sigAlg, sigValue] = children(der(bytes, 'certificate'), 'certificate');
  if (!tbs || !sigAlg || !sigValue) bad('certificate');
  const f = children(tbs, 'tbs certificate');
  let i = 0;
  let version = 1;
  if (isContext(f[0], 0)) {
    version = Number(integer(children(f[0], 'version')[0], 'version')) + 1;
    i = 1;
  }
  const serial = integer(f[i], 'serial number');
  const issuer = parseName(f[i + 2] ?? bad('issuer'));
  const [nb, na] = children(f[i + 3], 'validity');
  const subject = parseName(f[i + 4] ?? bad('subject'));
  const spki = f[i + 5] ?? bad('public key');
  const attr = (attrs: Array<[string, string]>, o: string) => attrs.find(([t]) => t === o)?.[1] ?? '';
  const out: Certificate = {
    der: bytes,
    fingerprint,
    tbs: tbs.valueBeforeDecodeView,
    signature: bitStringBytes(sigValue, 'signature'),
    signatureAlgorithm: signatureAlgorithm(sigAlg),
    version,
    serial: serial.toString(10),
    subjectCN: attr(subject.attrs, '2.5.4.3'),
    subjectOrg: attr(subject.attrs, '2.5.4.10'),
    subjectRaw: subject.raw,
    issuerRaw: issuer.raw,
    subject: nameString(subject.attrs),
    issuer: nameString(issuer.attrs),
    notBefore: time(nb, 'validity'),
    notAfter: time(na, 'validity'),
    spki: spki.valueBeforeDecodeView,
    publicKey: publicKeyInfo(spki),
    dnsNames: [],
    unhandledCritical: [],
  };
  const extensions = f.slice(i + 6).find((n) => isContext(n, 3));
  if (extensions) {
    for (const e of children(children(extensions, 'extensions')[0], 'extensions')) {
      const parts = children(e, 'extension');
      const id = oid(parts[0], 'extension');
      const critical = parts[1] instanceof asn1js.Boolean ? parts[1].valueBlock.value : false;
      const value = octets(parts[parts.length - 1], 'extension');
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
