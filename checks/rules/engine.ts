/**
 * Judging one object: find its role, run the rules for that role, apply the configured
 * severity overrides and repair permissions. Pure: same input, same judgement.
 */
import type { Config } from '../config.js';
import type { Finding, JudgeOptions, Judgement, K8sObject, PatchOp, Role, RuleDefinition } from './types.js';
import { RULES } from './catalogue.js';
import { NO_RELATED, roleOf } from './scope.js';
import { mergeOps } from './patch.js';

export { roleOf } from './scope.js';
export { applyPatch } from './patch.js';

/** The rules of each role, in catalogue order: judging an object walks only its own. */
const RULES_BY_ROLE = new Map<Role, RuleDefinition[]>();
for (const rule of RULES) for (const role of rule.appliesTo) RULES_BY_ROLE.set(role, [...(RULES_BY_ROLE.get(role) ?? []), rule]);

export function judge(object: K8sObject, config: Config, options: JudgeOptions): Judgement {
  const related = options.related ?? NO_RELATED;
  const complete = options.complete === true;
  const role = roleOf(object, config, related);
  if (role === null) return { role, findings: [] };
  const findings: Finding[] = [];
  for (const rule of RULES_BY_ROLE.get(role) ?? []) {
    if (rule.lintOnly && !options.lint) continue;
    const override = config.rules[rule.id];
    if (override?.severity === 'off') continue;
    const repairAllowed = override?.repair !== false;
    for (const v of rule.check({ object, role, config, related, complete })) {
      const severity = v.notFound ? 'warning' : (override?.severity ?? v.severity ?? rule.defaultSeverity);
      const fixable = repairAllowed && v.patch !== undefined && v.patch.length > 0;
      findings.push({
        rule: rule.id,
        severity,
        path: v.path,
        message: v.message,
        fixable,
        ...(fixable ? { patch: v.patch } : {}),
      });
    }
  }
  return { role, findings };
}

/** The merged, minimal patch that repairs every fixable finding; [] when nothing is to be done. */
export function repairPatch(findings: readonly Finding[]): PatchOp[] {
  return mergeOps(findings.flatMap((f) => (f.fixable && f.patch ? f.patch : [])));
}

/** Identity of a violation across object versions (UPDATE: did oldObject already have it?). */
export function findingKey(f: Pick<Finding, 'rule' | 'path'>): string {
  return `${f.rule}|${f.path}`;
}
