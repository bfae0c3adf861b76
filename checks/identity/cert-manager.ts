/**
 * Category `cert-manager`: the Linkerd Certificates are Ready, their issuers Ready, the trust Bundle
 * Synced, the control-plane namespace labelled, renewal scheduled before expiry. Runs when the input
 * holds cert-manager objects (live mode lists them).
 */
import type { K8sObject } from '../rules/types.js';
import { at, arr, isRecord, nameOf, namespaceOf, refersToCertManager, str } from '../rules/object.js';
import { roleOf, signingIssuer } from '../rules/scope.js';
import { rfc3339, type Certificate } from '../x509/certificate.js';
import type { IdentityState } from './state.js';
import { GUARD_HINT_BASE, type CheckDef, type IdentitySnapshot, type Verdict } from './types.js';

export const CATEGORY_CERT_MANAGER = 'cert-manager';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function conditions(o: K8sObject): Condition[] {
  return arr(at(o, 'status', 'conditions'))
    .filter(isRecord)
    .map((c) => ({ type: str(c.type) ?? '', status: str(c.status) ?? '', reason: str(c.reason), message: str(c.message) }));
}

function condition(o: K8sObject, type: string): Condition | undefined {
  return conditions(o).find((c) => c.type === type);
}

function describeNotTrue(kind: string, o: K8sObject, type: string): string | undefined {
  const c = condition(o, type);
  const id = `${kind} ${namespaceOf(o) ? namespaceOf(o) + '/' : ''}${nameOf(o) ?? '?'}`;
  if (!c) return `${id} has no ${type} condition`;
  if (c.status === 'True') return undefined;
  const why = [c.reason, c.message].filter(Boolean).join(': ');
  return `${id} is not ${type}${why ? ` (${why})` : ''}`;
}

type CertManagerObjects = NonNullable<IdentitySnapshot['certManager']>;
interface LinkerdCertificates {
  issuer: K8sObject[];
  anchors: K8sObject[];
  /** the issuer Certificates, then the anchors */
  all: K8sObject[];
}
const rolesCache = new WeakMap<CertManagerObjects, LinkerdCertificates>();

/**
 * The Certificates that are Linkerd's, by the rules' own scope (roleOf, with the snapshot's other
 * cert-manager objects as relations): the issuer (any namespace, so the wrong one shows) and the anchors.
 */
export function linkerdCertificates(snap: IdentitySnapshot): LinkerdCertificates {
  const cm = snap.certManager;
  if (!cm) return { issuer: [], anchors: [], all: [] };
  const hit = rolesCache.get(cm);
  if (hit) return hit;
  const related = [...cm.certificates, ...cm.issuers, ...cm.bundles, ...cm.namespaces];
  const roles = cm.certificates.map((o) => roleOf(o, snap.config, related));
  const issuer = cm.certificates.filter((_, i) => roles[i] === 'identity-issuer');
  const anchors = cm.certificates.filter((_, i) => roles[i] === 'trust-anchor');
  const out = { issuer, anchors, all: [...issuer, ...anchors] };
  rolesCache.set(cm, out);
  return out;
}

function parseTime(v: unknown): Date | undefined {
  const s = str(v);
  if (!s) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** How messages name a Certificate: `Certificate <namespace>/<name>`. */
function certificateId(o: K8sObject): string {
  return `Certificate ${namespaceOf(o) ?? ''}/${nameOf(o) ?? ''}`;
}

/** The cert-manager Certificate whose current certificate is `cert` (same notAfter, to the second). */
function managing(snap: IdentitySnapshot, cert: Certificate): K8sObject | undefined {
  return linkerdCertificates(snap).all.find((o) => {
    const na = parseTime(at(o, 'status', 'notAfter'));
    return na !== undefined && Math.abs(na.getTime() - cert.notAfter.getTime()) < 1000;
  });
}

/**
 * Renewal-aware expiry: when cert-manager manages `cert`, is Ready, and has scheduled renewal in the
 * future and before expiry, the 60-day warning does not apply (a 48h issuer renewing on time is healthy).
 */
export function renewalNote(snap: IdentitySnapshot, cert: Certificate): string | undefined {
  const o = managing(snap, cert);
  if (!o) return undefined;
  const renewal = parseTime(at(o, 'status', 'renewalTime'));
  if (!renewal || renewal <= snap.now || renewal >= cert.notAfter) return undefined;
  if (condition(o, 'Ready')?.status !== 'True') return undefined;
  return `expires ${rfc3339(cert.notAfter)}; cert-manager renews it at ${rfc3339(renewal)} (${certificateId(o)})`;
}

function list(header: string, items: string[]): Verdict {
  return items.length ? `${header}\n\t${items.map((i) => `* ${i}`).join('\n\t')}` : undefined;
}

const hint = (id: string) => GUARD_HINT_BASE + id;

export const CERT_MANAGER_CHECKS: ReadonlyArray<CheckDef<IdentityState>> = [
  {
    id: 'lcg-cert-manager-certificates-ready',
    description: "Linkerd's Certificates are Ready",
    hint: hint('lcg-cert-manager-certificates-ready'),
    recommendation: 'kubectl describe certificate -n <ns> <name>: fix what the Issuing/Ready condition reports (issuer not ready, key algorithm, CSR denied).',
    run: (st) => {
      const { issuer, all } = linkerdCertificates(st.snap);
      const problems: string[] = [];
      if (issuer.length === 0) problems.push(`no Certificate named ${st.snap.config.issuerName} (cert-manager does not manage the identity issuer)`);
      for (const o of issuer) {
        if (namespaceOf(o) !== undefined && namespaceOf(o) !== st.snap.config.linkerdNamespace) {
          problems.push(`${certificateId(o)} is not in the Linkerd namespace ${st.snap.config.linkerdNamespace}: Linkerd never reads its Secret`);
        }
      }
      problems.push(...all.flatMap((o) => describeNotTrue('Certificate', o, 'Ready') ?? []));
      return list('Certificates not ready:', problems);
    },
  },
  {
    id: 'lcg-cert-manager-issuers-ready',
    description: "the Certificates' issuers are Ready",
    hint: hint('lcg-cert-manager-issuers-ready'),
    recommendation: 'kubectl describe issuer/clusterissuer: a CA Issuer needs its CA Secret (tls.crt, tls.key) in its namespace, a ClusterIssuer in the cluster resource namespace.',
    run: (st) => {
      const cm = st.snap.certManager;
      if (!cm || (cm.issuers.length === 0 && st.snap.mode === 'files')) return { skip: true };
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const o of linkerdCertificates(st.snap).all) {
        const ref = at(o, 'spec', 'issuerRef');
        if (!isRecord(ref)) continue;
        if (!refersToCertManager(o)) continue; // external issuers keep their own status shapes
        const kind = str(ref.kind) ?? 'Issuer';
        const name = str(ref.name) ?? '';
        const ns = kind === 'ClusterIssuer' ? undefined : namespaceOf(o);
        const key = `${kind}/${ns ?? ''}/${name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const found = signingIssuer(o, cm.issuers);
        if (!found) problems.push(`${kind} ${ns ? ns + '/' : ''}${name} (issuerRef of ${certificateId(o)}) not found`);
        else {
          const p = describeNotTrue(kind, found, 'Ready');
          if (p) problems.push(p);
        }
      }
      return list('Issuers not ready:', problems);
    },
  },
  {
    id: 'lcg-cert-manager-bundle-synced',
    description: 'trust-manager Bundle is Synced',
    hint: hint('lcg-cert-manager-bundle-synced'),
    recommendation: 'kubectl describe bundle linkerd-identity-trust-roots: trust-manager must be able to read the anchor Secrets in its trust namespace.',
    run: (st) => {
      const cm = st.snap.certManager;
      const name = st.snap.config.bundleName;
      const b = cm?.bundles.find((o) => nameOf(o) === name);
      if (!b) return st.snap.mode === 'live' ? `Bundle ${name} not found` : { skip: true };
      return describeNotTrue('Bundle', b, 'Synced');
    },
  },
  {
    id: 'lcg-cert-manager-namespace-label',
    description: 'Linkerd namespace carries the control-plane label',
    hint: hint('lcg-cert-manager-namespace-label'),
    recommendation: 'kubectl label namespace linkerd linkerd.io/is-control-plane=true (the Bundle only writes the trust roots into labelled namespaces).',
    run: (st) => {
      const ns = st.snap.config.linkerdNamespace;
      const o = st.snap.certManager?.namespaces.find((n) => nameOf(n) === ns);
      if (!o) return { skip: true };
      const labels = at(o, 'metadata', 'labels');
      const v = isRecord(labels) ? str(labels[st.snap.config.namespaceLabel]) : undefined;
      return v === 'true' ? undefined : `Namespace ${ns} does not carry ${st.snap.config.namespaceLabel}: "true"${v !== undefined ? ` (it is "${v}")` : ''}`;
    },
  },
  {
    id: 'lcg-cert-manager-renewal-scheduled',
    description: 'renewal is scheduled before expiry',
    hint: hint('lcg-cert-manager-renewal-scheduled'),
    recommendation: 'Set renewBefore shorter than duration; an overdue renewal means cert-manager cannot issue: see the Certificate events.',
    run: (st) => {
      const errors: string[] = [];
      const warnings: string[] = [];
      for (const o of linkerdCertificates(st.snap).all) {
        const id = certificateId(o);
        const notAfter = parseTime(at(o, 'status', 'notAfter'));
        const renewal = parseTime(at(o, 'status', 'renewalTime'));
        if (!notAfter) continue; // never issued: reported by the Ready check
        if (notAfter <= st.snap.now) errors.push(`${id} expired on ${rfc3339(notAfter)}`);
        else if (!renewal) warnings.push(`${id} has no renewalTime: cert-manager has not scheduled a renewal`);
        else if (renewal >= notAfter) errors.push(`${id} renews at ${rfc3339(renewal)}, after it expires on ${rfc3339(notAfter)}`);
        else if (renewal.getTime() < st.snap.now.getTime() - 3600_000) errors.push(`${id} renewal is overdue since ${rfc3339(renewal)} (expires ${rfc3339(notAfter)})`);
      }
      if (errors.length) return list('Renewal problems:', [...errors, ...warnings]);
      if (warnings.length) return { error: list('Renewal problems:', warnings) as string, result: 'warning' };
      return undefined;
    },
  },
];
