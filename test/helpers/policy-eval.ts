/**
 * ValidatingAdmissionPolicies evaluated offline with @bufbuild/cel, the way the API server applies
 * them to one request: resource rules, matchConditions, variables in order, then every validation,
 * its binding's validationActions deciding what a failure does. The end-to-end tier checks the same
 * policies on the real API server; this runs in every `npm test`.
 */
import { celEnv, celError, isCelError, parse, plan, type CelResult } from '@bufbuild/cel';
import type { PolicyObject } from '../../checks/policy/generate.js';

const celEnvironment = celEnv();
const planned = new Map<string, (bindings: never) => CelResult>();

/** run(), with each expression parsed and planned once (the policies repeat across many requests). */
function run(expr: string, bindings: Record<string, unknown>): CelResult {
  try {
    let p = planned.get(expr);
    if (!p) {
      p = plan(celEnvironment, parse(expr)) as (bindings: never) => CelResult;
      planned.set(expr, p);
    }
    return p(bindings as never);
  } catch (e) {
    return celError(e);
  }
}

export interface PolicyRequest {
  operation: 'CREATE' | 'UPDATE';
  namespace?: string;
  object: unknown;
  oldObject?: unknown;
}

export interface PolicyOutcome {
  /** messages of failed validations bound with Deny (the API server shows the first) */
  denied: string[];
  warnings: string[];
  audited: string[];
  /** CEL errors (compile or evaluation): each is a bug in the generated CEL */
  errors: string[];
}

/** JSON as CEL values: maps for objects, int for integral numbers (integer fields are int in the API server). */
export function toCel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return v;
}

type Spec = {
  matchConstraints: { resourceRules: Array<{ apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: string[] }> };
  matchConditions?: Array<{ name: string; expression: string }>;
  variables?: Array<{ name: string; expression: string }>;
  validations: Array<{ expression: string; messageExpression?: string; message?: string }>;
};

const PLURALS: Record<string, string> = { Certificate: 'certificates', Bundle: 'bundles', ClusterBundle: 'clusterbundles' };

function matchesResource(spec: Spec, request: PolicyRequest): boolean {
  const o = (request.object ?? {}) as { apiVersion?: string; kind?: string };
  const [group, version] = (o.apiVersion ?? '').includes('/') ? (o.apiVersion as string).split('/') : ['', o.apiVersion ?? ''];
  const resource = PLURALS[o.kind ?? ''] ?? '';
  return spec.matchConstraints.resourceRules.some((r) =>
    r.apiGroups.includes(group as string) && r.apiVersions.includes(version as string) && r.resources.includes(resource) && r.operations.includes(request.operation));
}

export function evaluatePolicies(objects: readonly PolicyObject[], request: PolicyRequest): PolicyOutcome {
  const out: PolicyOutcome = { denied: [], warnings: [], audited: [], errors: [] };
  const bindings = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
  for (const policy of objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy')) {
    const spec = policy.spec as Spec;
    if (!matchesResource(spec, request)) continue;
    const env: Record<string, unknown> = {
      object: toCel(request.object),
      oldObject: request.operation === 'UPDATE' ? toCel(request.oldObject ?? null) : null,
      request: toCel({ operation: request.operation, ...(request.namespace ? { namespace: request.namespace } : {}) }),
    };
    const evaluate = (what: string, expr: string): unknown => {
      const r = run(expr, env);
      if (isCelError(r)) {
        out.errors.push(`${policy.metadata.name} ${what}: ${r.message}`);
        return undefined;
      }
      return r;
    };
    if (!(spec.matchConditions ?? []).every((m) => evaluate(`matchCondition ${m.name}`, m.expression) === true)) continue;
    const variables = new Map<string, unknown>();
    env.variables = variables;
    for (const v of spec.variables ?? []) variables.set(v.name, evaluate(`variable ${v.name}`, v.expression));
    for (const b of bindings.filter((x) => (x.spec as { policyName: string }).policyName === policy.metadata.name)) {
      const bspec = b.spec as { validationActions: string[]; matchResources?: { namespaceSelector?: { matchExpressions: Array<{ values: string[] }> } } };
      const excluded = bspec.matchResources?.namespaceSelector?.matchExpressions.flatMap((e) => e.values) ?? [];
      if (request.namespace !== undefined && excluded.includes(request.namespace)) continue;
      spec.validations.forEach((val, i) => {
        const ok = evaluate(`validation ${i}`, val.expression);
        if (ok !== false) {
          if (ok !== true && ok !== undefined) out.errors.push(`${policy.metadata.name} validation ${i}: not a boolean`);
          return;
        }
        let message = val.message ?? '';
        if (val.messageExpression) {
          const m = evaluate(`messageExpression ${i}`, val.messageExpression);
          if (typeof m === 'string') message = m;
        }
        if (bspec.validationActions.includes('Deny')) out.denied.push(message);
        if (bspec.validationActions.includes('Warn')) out.warnings.push(message);
        if (bspec.validationActions.includes('Audit')) out.audited.push(message);
      });
    }
  }
  return out;
}

/** One finding as both sides name it: `<rule>|<field path>`. */
export type FindingKey = string;

export interface Verdict {
  /** the first denying finding (the API server shows one), or null when admitted */
  deniedBy: FindingKey | null;
  /** every finding denied for (the webhook names all in one message; the API server one per policy) */
  denied: FindingKey[];
  warned: FindingKey[];
}

/** `<path> <text> (<rule>)` or `<path>: <text> (<rule>; <note>)` -> `<rule>|<path>`. */
export function keyOf(reason: string): FindingKey {
  const rule = /\(([a-z-]+\/[a-z-]+)(?:; [^)]*)?\)$/.exec(reason)?.[1] ?? '?';
  const path = /^[^\s:]+/.exec(reason)?.[0] ?? '?';
  return `${rule}|${path}`;
}

/** The reasons of the webhook's denial message (`linkerd-cert-guard denied <Kind> <name>: r1; r2`). */
export function denialReasons(message: string): string[] {
  const body = message.replace(/^linkerd-cert-guard denied \S+ \S+: /, '');
  return [...body.matchAll(/(.*?\([a-z-]+\/[a-z-]+(?:; [^)]*)?\))(?:; |$)/g)].map((m) => m[1] as string);
}

export function webhookVerdict(response: { allowed: boolean; status?: { message?: string }; warnings?: string[] }): Verdict {
  const denied = response.allowed ? [] : denialReasons(response.status?.message ?? '').map(keyOf);
  return { deniedBy: denied[0] ?? null, denied: set(denied), warned: set((response.warnings ?? []).map(keyOf)) };
}

/** The policies' verdict, as the API server reports it: the first Deny message, every warning. */
export function policyVerdict(denied: readonly string[], warnings: readonly string[]): Verdict {
  const keys = denied.map(keyOf);
  return { deniedBy: keys[0] ?? null, denied: set(keys), warned: set(warnings.map(keyOf)) };
}

/** Sorted, without repeats: the webhook reports two findings of one rule on one field (usages) twice. */
function set(keys: readonly FindingKey[]): FindingKey[] {
  return [...new Set(keys)].sort();
}
