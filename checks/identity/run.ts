/**
 * Runs the categories in order over one snapshot, with Linkerd's semantics: a failed fatal check stops
 * every later check and category; a warning never makes `success` false; skipped checks are not emitted.
 */
import { CATEGORY_CERT_MANAGER, CERT_MANAGER_CHECKS, linkerdCertificates } from './cert-manager.js';
import { CATEGORY_DATA_PLANE, DATA_PLANE_CHECKS } from './data-plane.js';
import { CATEGORY_ISSUER_CA, ISSUER_CA_CHECKS } from './issuer-ca.js';
import { CATEGORY_LINKERD_IDENTITY, LINKERD_IDENTITY_CHECKS } from './linkerd.js';
import { CATEGORY_KUBERNETES_API, CATEGORY_MULTICLUSTER, KUBERNETES_API_CHECKS, MULTICLUSTER_CHECKS } from './multicluster.js';
import { deriveState, proveIssuerKey, type IdentityState } from './state.js';
import { CATEGORY_TRUST_BUNDLE, TRUST_BUNDLE_CHECKS } from './trust-bundle.js';
import type { CheckDef, CheckReport, CheckResult, IdentitySnapshot, Verdict } from './types.js';

export interface Category {
  name: string;
  checks: ReadonlyArray<CheckDef<IdentityState>>;
  /** whether the snapshot holds what this category looks at */
  applies(snap: IdentitySnapshot): boolean;
}

export const CATEGORIES: readonly Category[] = [
  { name: CATEGORY_LINKERD_IDENTITY, checks: LINKERD_IDENTITY_CHECKS, applies: () => true },
  { name: CATEGORY_TRUST_BUNDLE, checks: TRUST_BUNDLE_CHECKS, applies: (s) => s.trustBundle !== undefined },
  { name: CATEGORY_ISSUER_CA, checks: ISSUER_CA_CHECKS, applies: () => true },
  {
    name: CATEGORY_CERT_MANAGER,
    checks: CERT_MANAGER_CHECKS,
    applies: (s) => {
      if (!s.certManager) return false;
      return linkerdCertificates(s).all.length + s.certManager.bundles.length > 0;
    },
  },
  { name: CATEGORY_DATA_PLANE, checks: DATA_PLANE_CHECKS, applies: (s) => s.pods !== undefined },
];

/**
 * Categories that do not run over one cluster's snapshot: `kubernetes-api` (reported when a cluster cannot
 * be read) and `linkerd-identity-multicluster` (several clusters together). check.ts runs them.
 */
export const OTHER_CATEGORIES: ReadonlyArray<{ name: string; checks: ReadonlyArray<Omit<CheckDef<never>, 'run'>> }> = [
  { name: CATEGORY_KUBERNETES_API, checks: KUBERNETES_API_CHECKS },
  { name: CATEGORY_MULTICLUSTER, checks: MULTICLUSTER_CHECKS },
];

/** Every check, in order, for documentation and SARIF rule tables. */
export function allChecks(): Array<Omit<CheckDef<never>, 'run'> & { category: string }> {
  return [...CATEGORIES, ...OTHER_CATEGORIES].flatMap((c) => c.checks.map((d) => ({ ...d, category: c.name })));
}

function resultOf<S>(def: CheckDef<S>, category: string, v: Verdict): CheckResult | undefined {
  const base = { category, id: def.id, description: def.description, fatal: def.fatal === true };
  if (v === undefined) return { ...base, result: 'success' };
  if (typeof v === 'string') return { ...base, result: def.warning ? 'warning' : 'error', error: v, hint: def.hint, recommendation: def.recommendation };
  if ('skip' in v) return undefined;
  if ('note' in v) return { ...base, description: `${def.description}\n${v.note}`, result: 'success' };
  const result = v.result ?? (def.warning ? 'warning' : 'error');
  return { ...base, result, error: v.error, hint: def.hint, recommendation: def.recommendation };
}

export async function runChecks(snap: IdentitySnapshot, categories: readonly Category[] = CATEGORIES): Promise<CheckReport> {
  const st = await proveIssuerKey(deriveState(snap));
  const report: CheckReport = { success: true, results: [], categories: [] };
  for (const cat of categories) {
    if (!cat.applies(snap)) continue;
    if ((await runCategory(cat.name, cat.checks, st, report)) === 'stopped') break;
  }
  return dropEmpty(report);
}

/**
 * One category's checks over `state`, appended to `report` with Linkerd's semantics; `stopped` when a
 * fatal check failed (nothing after it may run).
 */
export async function runCategory<S>(name: string, checks: ReadonlyArray<CheckDef<S>>, state: S, report: CheckReport): Promise<'stopped' | 'done'> {
  const results: CheckResult[] = [];
  report.categories.push({ name, results });
  for (const def of checks) {
    let v: Verdict;
    try {
      v = await def.run(state);
    } catch (e) {
      v = `check failed to run: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    }
    const r = resultOf(def, name, v);
    if (!r) continue;
    results.push(r);
    report.results.push(r);
    if (r.result === 'error') {
      report.success = false;
      if (def.fatal) {
        dropEmpty(report);
        return 'stopped';
      }
    }
  }
  dropEmpty(report);
  return 'done';
}

function dropEmpty(r: CheckReport): CheckReport {
  r.categories = r.categories.filter((c) => c.results.length > 0);
  return r;
}
