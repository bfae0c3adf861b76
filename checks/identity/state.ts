/**
 * Everything the checks need, parsed once from a snapshot: certificates, the key's public half, the
 * bundle. Parsing failures are kept as Linkerd-shaped messages for "certificate config is valid".
 */
import { CertificateParseError, parseCertificate, type Certificate } from '../x509/certificate.js';
import { decodePrivateKey, keyMatchesCertificate, KEY_MISMATCH, KEY_PROOF_FAILED, proveKeyPair, type DecodedKey } from '../x509/keys.js';
import { describePemProblems, linkerdDecodeCertificates, scanPem, type PemBlock, type PemScan } from '../x509/pem.js';
import type { IdentitySnapshot, Sourced } from './types.js';

export interface BundleState {
  from: string;
  scan: PemScan;
  /** every CERTIFICATE block that parses, in order */
  certs: Array<{ block: PemBlock; cert: Certificate }>;
  /** blocks that are not certificates, or certificates that do not parse */
  badBlocks: Array<{ block: PemBlock; reason: string }>;
}

export interface IdentityState {
  snap: IdentitySnapshot;
  /** first error, Linkerd's words, for check 1 */
  configError?: string;
  issuer?: Certificate;
  /** further certificates in the issuer file: intermediates for Verify */
  issuerChain: Certificate[];
  key?: DecodedKey;
  anchors: Certificate[];
  bundle?: BundleState;
  bundleMissing?: string;
  anchorSecrets: Array<{ name: string; certs: Certificate[] }>;
}

/** Linkerd's DecodePEMCertificates + x509.ParseCertificate; error text plus where, never content. */
export function decodeCertificates(src: Sourced): { certs: Certificate[]; error?: string } {
  const scan = scanPem(src.text);
  const d = linkerdDecodeCertificates(src.text, scan);
  const certs: Certificate[] = [];
  for (const b of d.certs) {
    try {
      certs.push(parseCertificate(b.der));
    } catch (e) {
      const msg = e instanceof CertificateParseError ? e.message : 'x509: malformed certificate';
      return { certs, error: `${msg} (${src.from}: block ${b.index}, line ${b.beginLine})` };
    }
  }
  if (d.error) {
    const where = describePemProblems(scan);
    return { certs, error: `${d.error}${where ? ` (${src.from}: ${where})` : ` (${src.from})`}` };
  }
  return { certs };
}

export function deriveState(snap: IdentitySnapshot): IdentityState {
  const st: IdentityState = { snap, issuerChain: [], anchors: [], anchorSecrets: [] };
  const fail = (msg: string) => {
    if (st.configError === undefined) st.configError = msg;
  };
  for (const e of snap.configErrors) fail(e);
  // FetchIssuerData parses the certificate ("could not parse issuer certificate") before
  // ValidateAndCreateCreds decodes the key, so with both broken Linkerd reports the certificate
  if (st.configError === undefined) {
    if (!snap.issuerCert) fail('no issuer certificate given (--issuer-cert, or tls.crt/crt.pem in the issuer Secret)');
    else {
      const d = decodeCertificates(snap.issuerCert);
      if (d.error) fail(`could not parse issuer certificate: ${d.error}`);
      else if (d.certs.length === 0) fail(`could not parse issuer certificate: No certificates found (${snap.issuerCert.from})`);
      else {
        st.issuer = d.certs[0];
        st.issuerChain = d.certs.slice(1);
      }
    }
  }
  if (st.configError === undefined) {
    if (!snap.issuerKey) fail('no issuer private key given (--issuer-key, or tls.key/key.pem in the issuer Secret)');
    else {
      const k = decodePrivateKey(snap.issuerKey.text);
      if (k.ok) st.key = k.key;
      else fail(`${k.error} (${snap.issuerKey.from})`);
    }
  }
  if (st.configError === undefined && st.key && st.issuer && !keyMatchesCertificate(st.key, st.issuer)) fail(KEY_MISMATCH);
  if (st.configError === undefined) {
    if (!snap.trustAnchors) fail('no trust anchors given (--trust-anchors, ca.crt in the issuer Secret, or identityTrustAnchorsPEM in linkerd-config)');
    else {
      const d = decodeCertificates(snap.trustAnchors);
      if (d.error) fail(d.error);
      else st.anchors = d.certs;
    }
  }
  if (snap.trustBundle) {
    if (snap.trustBundle.missing !== undefined || snap.trustBundle.text === undefined) st.bundleMissing = snap.trustBundle.missing ?? `${snap.trustBundle.from} not found`;
    else st.bundle = bundleState(snap.trustBundle.text, snap.trustBundle.from);
  }
  for (const s of snap.anchorSecrets) {
    const d = decodeCertificates({ text: s.text, from: s.name });
    st.anchorSecrets.push({ name: s.name, certs: d.certs });
  }
  return st;
}

/**
 * After Linkerd's public-half comparison, the proof it lacks: the issuer key must really sign for
 * the issuer certificate (a signature made with it verifies). A key that fails is a config error.
 */
export async function proveIssuerKey(st: IdentityState): Promise<IdentityState> {
  if (st.configError !== undefined || !st.key || !st.issuer || !st.snap.issuerKey) return st;
  if (!(await proveKeyPair(st.snap.issuerKey.text, st.issuer))) st.configError = `${KEY_PROOF_FAILED} (${st.snap.issuerKey.from})`;
  return st;
}

export function bundleState(text: string, from: string): BundleState {
  const scan = scanPem(text);
  const out: BundleState = { from, scan, certs: [], badBlocks: [] };
  for (const b of scan.blocks) {
    if (b.type !== 'CERTIFICATE') {
      out.badBlocks.push({ block: b, reason: `is a ${b.type} block, not a certificate` });
      continue;
    }
    try {
      out.certs.push({ block: b, cert: parseCertificate(b.der) });
    } catch (e) {
      out.badBlocks.push({ block: b, reason: e instanceof Error ? e.message : 'x509: malformed certificate' });
    }
  }
  return out;
}
