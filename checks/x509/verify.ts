/**
 * Chain verification with Go's crypto/x509 semantics, because `linkerd check` and the identity
 * controller verify the issuer with `Certificate.Verify` (DNSName "", KeyUsages empty = ServerAuth):
 * - parents are found by raw subject == raw issuer, ordered by key-identifier match, and chosen BY
 *   SIGNATURE (linkerd2's `valid` fixture has issuer and anchor with the same subject and no key ids);
 * - a parent must be CA (or a v1 certificate) and, if it has KeyUsage, carry keyCertSign;
 * - intermediates need CA:TRUE; roots are trusted as they are; path length counts intermediates below;
 * - every certificate in the chain must be within its validity period;
 * - EKU: each certificate that has an EKU extension must allow serverAuth (or any);
 * - DNS name constraints of roots/intermediates apply to the leaf's DNS SANs.
 * Error texts are Go's, since Linkerd prints them verbatim.
 */
import { EKU, certName, rfc3339, type Certificate } from './certificate.js';
import { checkSignature } from './signature.js';

export interface VerifyOptions {
  roots: Certificate[];
  intermediates?: Certificate[];
  now: Date;
  /** requested EKUs (OIDs); default [serverAuth], like Go with empty KeyUsages */
  keyUsages?: string[];
}

/** `expired`: Go's CertificateInvalidError with reason Expired (outside its validity period), which Linkerd annotates. */
export type VerifyResult = { ok: true; chains: Certificate[][] } | { ok: false; error: string; expired?: true };

const MAX_SIGNATURE_CHECKS = 100;

const EXPIRED = 'x509: certificate has expired or is not yet valid';

function failure(error: string): VerifyResult {
  return error.startsWith(EXPIRED) ? { ok: false, error, expired: true } : { ok: false, error };
}

function timeError(c: Certificate, now: Date): string | undefined {
  if (now < c.notBefore) return `${EXPIRED}: current time ${rfc3339(now)} is before ${rfc3339(c.notBefore)}`;
  if (now > c.notAfter) return `${EXPIRED}: current time ${rfc3339(now)} is after ${rfc3339(c.notAfter)}`;
  return undefined;
}

function dnsMatches(name: string, constraint: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const c = constraint.toLowerCase();
  if (c === '') return true;
  if (c.startsWith('.')) return n.endsWith(c);
  return n === c || n.endsWith('.' + c);
}

/** Why `ca`'s DNS name constraints refuse `name` (Go's matchDomainConstraint), or undefined when they allow it. */
export function dnsNameConstraintViolation(name: string, ca: Certificate): string | undefined {
  const nc = ca.nameConstraints;
  if (!nc) return undefined;
  const excluded = nc.excludedDNS.find((c) => dnsMatches(name, c));
  if (excluded !== undefined) return `DNS name ${JSON.stringify(name)} is excluded by constraint ${JSON.stringify(excluded)}`;
  if (nc.permittedDNS.length && !nc.permittedDNS.some((c) => dnsMatches(name, c))) return `DNS name ${JSON.stringify(name)} is not permitted by any constraint`;
  return undefined;
}

function nameConstraintError(ca: Certificate, leaf: Certificate): string | undefined {
  for (const name of leaf.dnsNames) {
    const violation = dnsNameConstraintViolation(name, ca);
    if (violation !== undefined) return `x509: a root or intermediate certificate is not authorized to sign for this name: ${violation}`;
  }
  return undefined;
}

type CertType = 'leaf' | 'intermediate' | 'root';

function isValid(c: Certificate, type: CertType, chain: Certificate[], now: Date): string | undefined {
  if (c.unhandledCritical.length) return 'x509: unhandled critical extension';
  const t = timeError(c, now);
  if (t) return t;
  if (type !== 'leaf') {
    const leaf = chain[0];
    if (leaf) {
      const nc = nameConstraintError(c, leaf);
      if (nc) return nc;
    }
  }
  if (type === 'intermediate' && !c.basicConstraints?.isCA) return 'x509: certificate is not authorized to sign other certificates';
  const pathLen = c.basicConstraints?.pathLen;
  if (type !== 'leaf' && c.basicConstraints && pathLen !== undefined && pathLen >= 0 && chain.length - 1 > pathLen) {
    return 'x509: too many intermediates for path length constraint';
  }
  return undefined;
}

/** Go's CheckSignatureFrom: the parent's constraints, then the signature. */
export async function checkSignatureFrom(child: Certificate, parent: Certificate): Promise<string | undefined> {
  if ((parent.version === 3 && !parent.basicConstraints) || (parent.basicConstraints && !parent.basicConstraints.isCA)) {
    return 'x509: invalid signature: parent certificate cannot sign this kind of certificate';
  }
  if (parent.keyUsage && parent.keyUsage.size > 0 && !parent.keyUsage.has('keyCertSign')) {
    return 'x509: invalid signature: parent certificate cannot sign this kind of certificate';
  }
  if (parent.publicKey.algorithm === 'unknown') return 'x509: cannot verify signature: algorithm unimplemented';
  return checkSignature(child, parent);
}

function potentialParents(c: Certificate, pool: Certificate[]): Certificate[] {
  const byName = pool.filter((p) => p.subjectRaw === c.issuerRaw);
  const rank = (p: Certificate) => {
    if (c.authorityKeyId && p.subjectKeyId) return c.authorityKeyId === p.subjectKeyId ? 0 : 2;
    return 1;
  };
  return byName.map((p, i) => ({ p, i })).sort((x, y) => rank(x.p) - rank(y.p) || x.i - y.i).map((x) => x.p);
}

function chainAllowsUsage(chain: Certificate[], usages: string[]): boolean {
  const remaining = new Set(usages);
  for (let i = chain.length - 1; i >= 0; i--) {
    const eku = chain[i]!.extKeyUsage;
    if (!eku || eku.length === 0) continue;
    if (eku.includes(EKU.any)) continue;
    for (const u of [...remaining]) if (!eku.includes(u)) remaining.delete(u);
    if (remaining.size === 0) return false;
  }
  return true;
}

export async function goVerify(leaf: Certificate, opts: VerifyOptions): Promise<VerifyResult> {
  const now = opts.now;
  const leafErr = isValid(leaf, 'leaf', [], now);
  if (leafErr) return failure(leafErr);
  let chains: Certificate[][];
  if (opts.roots.some((r) => sameCert(r, leaf))) {
    chains = [[leaf]];
  } else {
    const built = await buildChains([leaf], opts, { n: 0 });
    if (built.chains.length === 0) return failure(built.err ?? 'x509: certificate signed by unknown authority');
    chains = built.chains;
  }
  const usages = opts.keyUsages ?? [EKU.serverAuth];
  if (usages.includes(EKU.any)) return { ok: true, chains };
  const good = chains.filter((ch) => chainAllowsUsage(ch, usages));
  if (good.length === 0) return { ok: false, error: 'x509: certificate specifies an incompatible key usage' };
  return { ok: true, chains: good };
}

export function sameCert(a: Certificate, b: Certificate): boolean {
  return a.fingerprint === b.fingerprint;
}

/**
 * Go's buildChains: a candidate whose signature fails becomes the hint of an "unknown authority" error;
 * a candidate that verifies but is not valid (expired, constraints, path length) makes that the error.
 */
async function buildChains(current: Certificate[], opts: VerifyOptions, sigChecks: { n: number }): Promise<{ chains: Certificate[][]; err?: string }> {
  const c = current[current.length - 1]!;
  const chains: Certificate[][] = [];
  let err: string | undefined;
  let hintErr: string | undefined;
  let hintCert: Certificate | undefined;
  const consider = async (type: 'root' | 'intermediate', cand: Certificate) => {
    if (current.some((x) => sameCert(x, cand))) return;
    if (++sigChecks.n > MAX_SIGNATURE_CHECKS) {
      err = 'x509: signature check attempts limit reached while verifying certificate chain';
      return;
    }
    const sigErr = await checkSignatureFrom(c, cand);
    if (sigErr) {
      if (hintErr === undefined) {
        hintErr = sigErr;
        hintCert = cand;
      }
      return;
    }
    const invalid = isValid(cand, type, current, opts.now);
    if (invalid) {
      err = invalid;
      return;
    }
    if (type === 'root') chains.push([...current, cand]);
    else {
      const below = await buildChains([...current, cand], opts, sigChecks);
      chains.push(...below.chains);
      err = below.err;
    }
  };
  for (const r of potentialParents(c, opts.roots)) await consider('root', r);
  for (const i of potentialParents(c, opts.intermediates ?? [])) await consider('intermediate', i);
  if (chains.length > 0) return { chains };
  if (err === undefined) {
    err = hintErr !== undefined && hintCert
      ? `x509: certificate signed by unknown authority (possibly because of ${JSON.stringify(hintErr)} while trying to verify candidate authority certificate ${JSON.stringify(certName(hintCert))})`
      : 'x509: certificate signed by unknown authority';
  }
  return { chains, err };
}

/**
 * Which of `candidates` signed `child`, by signature alone (no constraint checks). Candidates whose subject
 * is the child's issuer name are tried first; the rest only when none of those signed it, so a large
 * bundle costs one verification in the usual case.
 */
export async function signersOf(child: Certificate, candidates: Certificate[]): Promise<Certificate[]> {
  const named = candidates.filter((p) => p.subjectRaw === child.issuerRaw);
  const verified = async (pool: Certificate[]) => {
    const out: Certificate[] = [];
    for (const p of pool) if ((await checkSignature(child, p)) === undefined) out.push(p);
    return out;
  };
  const byName = await verified(named);
  return byName.length ? byName : verified(candidates.filter((p) => p.subjectRaw !== child.issuerRaw));
}
