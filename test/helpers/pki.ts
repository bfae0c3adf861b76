/**
 * Test-time PKI: fresh keys and certificates for tests, benchmarks and the example setup,
 * so no private key is ever committed. WebCrypto (node:crypto's webcrypto) + pkijs.
 *
 * API (all async, all return plain objects):
 *
 *   const key = await makeKeyPair('P-256');            // 'P-256' | 'P-384' | 'P-521' | 'RSA-1024' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096'
 *   const root = await selfSigned(key, { cn: 'root.linkerd.cluster.local', isCA: true });
 *   const issuer = await issue(await makeKeyPair('P-256'), root, { cn: 'identity.linkerd.cluster.local', isCA: true, pathLen: 0 });
 *   issuer.pem                     // '-----BEGIN CERTIFICATE-----\n...' (one cert, ends with '\n')
 *   issuer.der                     // Uint8Array
 *   keyPem(issuer.key, 'sec1')     // 'EC PRIVATE KEY' block; 'pkcs8' -> 'PRIVATE KEY'; 'pkcs1' -> 'RSA PRIVATE KEY'
 *   pemBundle(root, other)         // concatenated PEM of several certs
 *
 *   const { anchor, issuer, leaf } = await makeLinkerdChain({ leaf: true });  // healthy Linkerd setup
 *
 * CertOptions (all optional): cn, organization, serial (bigint|number), notBefore, notAfter (Date; default
 * now-1h .. now+365d), isCA (sets BasicConstraints, keyUsage certSign|crlSign unless keyUsage given), pathLen,
 * basicConstraints (false: omit the extension), keyUsage, extKeyUsage, dnsNames, permittedDNS, excludedDNS,
 * hash ('SHA-1'|'SHA-256'|'SHA-384'|'SHA-512', default SHA-256), rsaPss (sign with RSASSA-PSS when the signer is RSA),
 * keyIdentifiers (default true: SKI/AKI; linkerd2's fixtures have none), issuerName (override the issuer DN CN,
 * e.g. to forge a certificate whose name does not match its signer), serverAuth shorthand none.
 */
import { webcrypto, createPrivateKey } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const crypto = webcrypto;
const engine = new pkijs.CryptoEngine({ name: 'node', crypto });
pkijs.setEngine('node', engine);

export type KeySpec = 'P-256' | 'P-384' | 'P-521' | 'RSA-1024' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096';
export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';
export type KeyUsageName = 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';
export type ExtKeyUsageName = 'serverAuth' | 'clientAuth' | 'any' | 'codeSigning';

export interface KeyPair {
  spec: KeySpec;
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  /** PKCS#8 DER of the private key */
  pkcs8: Uint8Array;
}

export interface CertOptions {
  cn?: string;
  organization?: string;
  serial?: bigint | number;
  notBefore?: Date;
  notAfter?: Date;
  isCA?: boolean;
  pathLen?: number;
  basicConstraints?: boolean;
  keyUsage?: KeyUsageName[];
  extKeyUsage?: ExtKeyUsageName[];
  dnsNames?: string[];
  permittedDNS?: string[];
  excludedDNS?: string[];
  hash?: HashName;
  rsaPss?: boolean;
  keyIdentifiers?: boolean;
  issuerName?: string;
}

export interface TestCert {
  cert: pkijs.Certificate;
  der: Uint8Array;
  pem: string;
  key: KeyPair;
  cn: string;
  serial: bigint;
  notBefore: Date;
  notAfter: Date;
}

const KEY_USAGE_BITS: Record<KeyUsageName, number> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
};
const EKU_OIDS: Record<ExtKeyUsageName, string> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  any: '2.5.29.37.0',
};

export async function makeKeyPair(spec: KeySpec = 'P-256'): Promise<KeyPair> {
  let pair: CryptoKeyPair;
  if (spec.startsWith('P-')) {
    pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: spec }, true, ['sign', 'verify'])) as CryptoKeyPair;
  } else {
    const bits = Number(spec.slice(4));
    pair = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
  }
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return { spec, publicKey: pair.publicKey, privateKey: pair.privateKey, pkcs8 };
}

/** PEM of a private key: 'pkcs8' (PRIVATE KEY), 'sec1' (EC PRIVATE KEY, EC only), 'pkcs1' (RSA PRIVATE KEY, RSA only). */
export function keyPem(key: KeyPair, format: 'pkcs8' | 'sec1' | 'pkcs1' = 'pkcs8'): string {
  if (format === 'pkcs8') return toPem('PRIVATE KEY', key.pkcs8);
  const isEC = key.spec.startsWith('P-');
  if (format === 'sec1' && !isEC) throw new Error('sec1 needs an EC key');
  if (format === 'pkcs1' && isEC) throw new Error('pkcs1 needs an RSA key');
  const ko = createPrivateKey({ key: Buffer.from(key.pkcs8), format: 'der', type: 'pkcs8' });
  return ko.export({ format: 'pem', type: format }).toString();
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function pemBundle(...certs: TestCert[]): string {
  return certs.map((c) => c.pem).join('');
}

let serialCounter = 1n;

function serialBytes(serial: bigint): Uint8Array {
  let hex = serial.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function name(cn: string, organization?: string): pkijs.RelativeDistinguishedNames {
  const rdn = new pkijs.RelativeDistinguishedNames();
  if (organization) rdn.typesAndValues.push(new pkijs.AttributeTypeAndValue({ type: '2.5.4.10', value: new asn1js.Utf8String({ value: organization }) }));
  rdn.typesAndValues.push(new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) }));
  return rdn;
}

function time(d: Date): pkijs.Time {
  const y = d.getUTCFullYear();
  // RFC 5280: UTCTime for 1950..2049, GeneralizedTime otherwise
  return new pkijs.Time({ type: y >= 1950 && y < 2050 ? 0 : 1, value: d });
}

function keyUsageBits(usages: KeyUsageName[]): asn1js.BitString {
  let value = 0;
  for (const u of usages) value |= 0x8000 >> KEY_USAGE_BITS[u];
  const bytes = value & 0xff ? [value >> 8, value & 0xff] : [value >> 8];
  const last = bytes[bytes.length - 1] ?? 0;
  let unused = 0;
  while (unused < 8 && last !== 0 && !(last & (1 << unused))) unused++;
  return new asn1js.BitString({ valueHex: new Uint8Array(bytes).buffer, unusedBits: last === 0 ? 0 : unused });
}

function ext(extnID: string, critical: boolean, value: { toSchema(): asn1js.AsnType } | asn1js.AsnType): pkijs.Extension {
  const schema = 'toSchema' in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

async function keyId(key: KeyPair): Promise<Uint8Array> {
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', key.publicKey));
  const info = pkijs.PublicKeyInfo.fromBER(spki);
  return new Uint8Array(await crypto.subtle.digest('SHA-1', info.subjectPublicKey.valueBlock.valueHexView));
}

/** WebCrypto binds the hash to an RSA key, so RSA signers are re-imported for the hash and scheme asked. */
async function signingKey(signer: KeyPair, pss: boolean, hash: HashName): Promise<CryptoKey> {
  if (signer.spec.startsWith('P-')) return signer.privateKey;
  if (!pss && hash === 'SHA-256') return signer.privateKey;
  return crypto.subtle.importKey('pkcs8', signer.pkcs8, { name: pss ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash }, false, ['sign']);
}

async function build(key: KeyPair, signer: KeyPair, issuerName: pkijs.RelativeDistinguishedNames, issuerKeyId: Uint8Array | undefined, o: CertOptions): Promise<TestCert> {
  const now = Date.now();
  const cn = o.cn ?? 'test';
  const notBefore = o.notBefore ?? new Date(Math.floor((now - 3600_000) / 1000) * 1000);
  const notAfter = o.notAfter ?? new Date(Math.floor((now + 365 * 86400_000) / 1000) * 1000);
  const serial = o.serial !== undefined ? BigInt(o.serial) : serialCounter++;
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: serialBytes(serial).buffer as ArrayBuffer });
  cert.issuer = issuerName;
  cert.subject = name(cn, o.organization);
  cert.notBefore = time(notBefore);
  cert.notAfter = time(notAfter);
  await cert.subjectPublicKeyInfo.importKey(key.publicKey, engine);
  const extensions: pkijs.Extension[] = [];
  const keyUsage = o.keyUsage ?? (o.isCA ? (['keyCertSign', 'cRLSign'] as KeyUsageName[]) : undefined);
  if (keyUsage) extensions.push(ext('2.5.29.15', true, keyUsageBits(keyUsage)));
  if (o.extKeyUsage) extensions.push(ext('2.5.29.37', false, new pkijs.ExtKeyUsage({ keyPurposes: o.extKeyUsage.map((u) => EKU_OIDS[u]) })));
  if (o.basicConstraints !== false && (o.isCA !== undefined || o.pathLen !== undefined || o.basicConstraints === true)) {
    const bc = new pkijs.BasicConstraints({ cA: o.isCA === true, ...(o.pathLen !== undefined ? { pathLenConstraint: o.pathLen } : {}) });
    extensions.push(ext('2.5.29.19', true, bc));
  }
  if (o.keyIdentifiers !== false) {
    extensions.push(ext('2.5.29.14', false, new asn1js.OctetString({ valueHex: (await keyId(key)).buffer as ArrayBuffer })));
    if (issuerKeyId) extensions.push(ext('2.5.29.35', false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: issuerKeyId.buffer as ArrayBuffer }) })));
  }
  if (o.dnsNames?.length) {
    extensions.push(ext('2.5.29.17', false, new pkijs.GeneralNames({ names: o.dnsNames.map((d) => new pkijs.GeneralName({ type: 2, value: d })) })));
  }
  if (o.permittedDNS?.length || o.excludedDNS?.length) {
    const subtree = (d: string) => new pkijs.GeneralSubtree({ base: new pkijs.GeneralName({ type: 2, value: d }) });
    const nc = new pkijs.NameConstraints({
      ...(o.permittedDNS?.length ? { permittedSubtrees: o.permittedDNS.map(subtree) } : {}),
      ...(o.excludedDNS?.length ? { excludedSubtrees: o.excludedDNS.map(subtree) } : {}),
    });
    extensions.push(ext('2.5.29.30', true, nc));
  }
  if (extensions.length) cert.extensions = extensions;
  await cert.sign(await signingKey(signer, o.rsaPss === true, o.hash ?? 'SHA-256'), o.hash ?? 'SHA-256', engine);
  const der = new Uint8Array(cert.toSchema(true).toBER(false));
  return { cert, der, pem: toPem('CERTIFICATE', der), key, cn, serial, notBefore, notAfter };
}

export async function selfSigned(key: KeyPair, o: CertOptions = {}): Promise<TestCert> {
  const issuerKeyId = o.keyIdentifiers === false ? undefined : await keyId(key);
  return build(key, key, name(o.issuerName ?? o.cn ?? 'test', o.issuerName ? undefined : o.organization), issuerKeyId, o);
}

/** A certificate for `key` signed by `issuer` (whose subject becomes the issuer name unless o.issuerName). */
export async function issue(key: KeyPair, issuer: TestCert, o: CertOptions = {}): Promise<TestCert> {
  const issuerName = o.issuerName ? name(o.issuerName) : pkijs.RelativeDistinguishedNames.fromBER(issuer.cert.subject.toSchema().toBER(false));
  const issuerKeyId = o.keyIdentifiers === false ? undefined : await keyId(issuer.key);
  return build(key, issuer.key, issuerName, issuerKeyId, o);
}

export interface LinkerdChainOptions {
  anchorKey?: KeySpec;
  issuerKey?: KeySpec;
  trustDomain?: string;
  linkerdNamespace?: string;
  anchor?: CertOptions;
  issuer?: CertOptions;
  /** also issue a workload leaf (P-256, serverAuth+clientAuth) under the issuer */
  leaf?: boolean;
}

export interface LinkerdChain {
  anchor: TestCert;
  issuer: TestCert;
  leaf?: TestCert;
}

/** A healthy Linkerd identity chain as cert-manager would issue it (ECDSA P-256, CA:TRUE, certSign). */
export async function makeLinkerdChain(o: LinkerdChainOptions = {}): Promise<LinkerdChain> {
  const td = o.trustDomain ?? 'cluster.local';
  const ns = o.linkerdNamespace ?? 'linkerd';
  const anchor = await selfSigned(await makeKeyPair(o.anchorKey ?? 'P-256'), {
    cn: `root.linkerd.${td}`,
    isCA: true,
    notAfter: new Date(Math.floor((Date.now() + 3650 * 86400_000) / 1000) * 1000),
    ...o.anchor,
  });
  const issuerName = `identity.${ns}.${td}`;
  const issuer = await issue(await makeKeyPair(o.issuerKey ?? 'P-256'), anchor, { cn: issuerName, dnsNames: [issuerName], isCA: true, pathLen: 0, ...o.issuer });
  if (!o.leaf) return { anchor, issuer };
  const leafName = `default.default.serviceaccount.identity.${ns}.${td}`;
  const leaf = await issue(await makeKeyPair('P-256'), issuer, {
    cn: leafName,
    dnsNames: [leafName],
    keyUsage: ['digitalSignature'],
    extKeyUsage: ['serverAuth', 'clientAuth'],
    notAfter: new Date(Math.floor((Date.now() + 86400_000) / 1000) * 1000),
  });
  return { anchor, issuer, leaf };
}
