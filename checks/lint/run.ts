/**
 * `lint`'s judgement over a whole input: every object is judged with the rest of the input
 * as its related objects, so cross-object rules see the complete setup.
 */
import { dirname } from 'node:path';
import type { Config } from '../config.js';
import { judge, repairPatch } from '../rules/engine.js';
import { at, str } from '../rules/object.js';
import type { Finding, K8sObject, PatchOp, Role } from '../rules/types.js';
import { asObject, type LintEntry } from './input.js';

export interface LintedObject {
  entry: LintEntry;
  apiVersion: string | null;
  kind: string | null;
  namespace: string | null;
  name: string | null;
  role: Role | null;
  findings: Finding[];
  /** merged repair of the fixable findings ([] when none) */
  patch: PatchOp[];
}

export function lintEntries(entries: readonly LintEntry[], config: Config): LintedObject[] {
  // One directory is one setup (a GitOps folder splits it across files); objects in other
  // directories are other setups and must not satisfy or break cross-object rules.
  const bySetup = new Map<string, K8sObject[]>();
  for (const e of entries) {
    const o = asObject(e.value);
    if (!o) continue;
    const key = setupOf(e);
    const list = bySetup.get(key) ?? [];
    list.push(o);
    bySetup.set(key, list);
  }
  return entries.map((entry) => {
    const obj = asObject(entry.value);
    if (!obj) {
      return { entry, apiVersion: null, kind: null, namespace: null, name: null, role: null, findings: [], patch: [] };
    }
    // The whole setup, the object included: rules look for other objects by kind and role,
    // and one shared array lets related-object lookups be indexed once per setup.
    const related = bySetup.get(setupOf(entry)) ?? [];
    const { role, findings } = judge(obj, config, { lint: true, related });
    return {
      entry,
      apiVersion: str(obj.apiVersion) ?? null,
      kind: str(obj.kind) ?? null,
      namespace: str(at(obj, 'metadata', 'namespace')) ?? null,
      name: str(at(obj, 'metadata', 'name')) ?? null,
      role,
      findings,
      patch: repairPatch(findings),
    };
  });
}

function setupOf(e: LintEntry): string {
  return e.file.path === '-' ? '-' : dirname(e.file.path);
}

export interface LintSummary {
  objects: number;
  errors: number;
  warnings: number;
  repaired: number;
}

export function summarize(results: readonly LintedObject[], repaired: number): LintSummary {
  let errors = 0;
  let warnings = 0;
  for (const r of results) for (const f of r.findings) f.severity === 'error' ? errors++ : warnings++;
  return { objects: results.length, errors, warnings, repaired };
}

/** Exit code contract: 1 when any finding is at or above the threshold. */
export function exceeds(results: readonly LintedObject[], failOn: 'error' | 'warning'): boolean {
  return results.some((r) => r.findings.some((f) => failOn === 'warning' || f.severity === 'error'));
}

/** `Certificate linkerd/linkerd-identity-issuer`, for messages and logical locations. */
export function describeObject(r: Pick<LintedObject, 'kind' | 'namespace' | 'name'>): string {
  return `${r.kind ?? '(no kind)'} ${r.namespace ? r.namespace + '/' : ''}${r.name ?? '(unnamed)'}`;
}

