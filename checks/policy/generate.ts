/**
 * ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1, Kubernetes 1.30+) from the rule
 * catalogue: a pure function of the configuration and the mode.
 *
 * Layout: per kind (Certificates, Bundles) a `deny` and a `warn` policy, each with one binding.
 * Every policy carries every CEL form; which one speaks follows the effective severity:
 * - deny: error findings the old object did not already have (the webhook's denial);
 * - warn: warning findings, and error findings the old object already had on a non-strict UPDATE
 *   (the webhook's "already present before this update" warnings).
 * The configuration enters as the policy's first `variables` (literals), so the validations read the
 * same for every configuration and the chart renders them from its values (chart.ts).
 * The mode sets the bindings' validationActions: enforce [Deny] / [Warn]; repair [Warn] (repairs are
 * the webhook's); audit [Warn, Audit].
 */
import type { Config, Mode } from '../config.js';
import { RULES, RULES_BY_ID } from '../rules/catalogue.js';
import { lit, present } from './cel.js';
import { CEL_FORMS, type CelForm, type PolicyKind, type Subject } from './forms.js';
import { bundleRole, certificateRole, matchCondition } from './scope.js';

export const POLICY_API_VERSION = 'admissionregistration.k8s.io/v1';
export type PolicyAction = 'deny' | 'warn';
export const POLICY_ACTIONS: readonly PolicyAction[] = ['deny', 'warn'];
export const POLICY_KINDS: readonly PolicyKind[] = ['certificate', 'bundle'];

export interface Variable { name: string; expression: string }
export interface Validation { expression: string; messageExpression: string; message: string; reason: 'Forbidden' }

/** What differs between the policies and does not depend on the configuration (chart.ts ships it). */
export interface PolicyPart {
  resourceRules: Array<Record<string, unknown>>;
  matchConditionName: string;
  variables: Variable[];
  validations: Validation[];
}

const RESOURCE_RULES: Record<PolicyKind, Array<Record<string, unknown>>> = {
  certificate: [{ apiGroups: ['cert-manager.io'], apiVersions: ['v1'], resources: ['certificates'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }],
  bundle: [{ apiGroups: ['trust.cert-manager.io'], apiVersions: ['v1alpha1'], resources: ['bundles'], operations: ['CREATE', 'UPDATE'], scope: 'Cluster' }],
};
export const PLURAL: Record<PolicyKind, string> = { certificate: 'certificates', bundle: 'bundles' };

/**
 * The configuration as CEL literals, in the order the policies declare them. Per-rule severity
 * overrides are one map `{rule id: error|warning|off}`.
 */
export function configVariables(config: Config): Variable[] {
  const severities: Record<string, string> = {};
  for (const [id, o] of Object.entries(config.rules)) if (o.severity !== undefined) severities[id] = o.severity;
  return [...CONFIG_KEYS.map((name) => ({ name, expression: lit(config[name]) })), { name: 'severities', expression: lit(severities) }];
}

/** The configuration keys the policies read, each a variable of the same name (the chart loops over these). */
export const CONFIG_KEYS = [
  'linkerdNamespace', 'trustNamespace', 'trustDomain', 'issuerName', 'anchorNames', 'bundleName', 'bundleKey',
  'namespaceLabel', 'requireExplicitRotationPolicy', 'strict',
] as const satisfies ReadonlyArray<keyof Config>;

/** Variables derived from the configuration and the request; the same in every policy of a kind. */
function derivedVariables(kind: PolicyKind): Variable[] {
  const role = kind === 'certificate' ? certificateRole : bundleRole;
  const vars: Variable[] = [
    { name: 'identityName', expression: '"identity." + variables.linkerdNamespace + "." + variables.trustDomain' },
    { name: 'anchorCommonName', expression: '"root.linkerd." + variables.trustDomain' },
    { name: 'role', expression: role('object') },
    { name: 'oldRole', expression: role('oldObject') },
    // on a non-strict UPDATE, a violation the old object already had is only a warning
    { name: 'excusable', expression: 'request.operation == "UPDATE" && !variables.strict' },
  ];
  const bounds = new Set(CEL_FORMS.filter((f) => f.kind === kind && f.each).map((f) => f.each?.maxItems ?? 0));
  for (const n of bounds) vars.push({ name: `indexes${n}`, expression: lit([...Array(n).keys()]) });
  return vars;
}

const NEW: Subject = { o: 'object', role: 'variables.role' };
const OLD: Subject = { o: 'oldObject', role: 'variables.oldRole' };

function inRoles(s: Subject, f: CelForm): string {
  return f.roles.length === 1 ? `${s.role} == ${lit(f.roles[0])}` : `${s.role} in ${lit(f.roles)}`;
}

/** The effective severity of a form's finding: the configured override, else the form's own. */
function severity(f: CelForm): string {
  const natural = f.severity ?? RULES_BY_ID.get(f.rule)?.defaultSeverity ?? 'error';
  return `(${lit(f.rule)} in variables.severities ? variables.severities[${lit(f.rule)}] : ${lit(natural)})`;
}

/** Forms that report the same rule and path: an old object with any of them excuses the new one. */
function samePath(f: CelForm): CelForm[] {
  return CEL_FORMS.filter((g) => g.kind === f.kind && g.rule === f.rule && g.path === f.path && Boolean(g.each) === Boolean(f.each));
}

function validation(f: CelForm, action: PolicyAction): Validation {
  const sev = severity(f);
  const note = action === 'warn' ? `(${sev} == "error" ? ${lit(` (${f.rule}; already present before this update)`)} : ${lit(` (${f.rule})`)})` : lit(` (${f.rule})`);
  // which findings this policy speaks about, given `bad` (present now) and `excused` (present before)
  const speaks = (bad: string, excused: string) =>
    action === 'deny'
      ? `${sev} == "error" && ${bad} && !(${excused})`
      : `${bad} && (${sev} == "warning" || (${sev} == "error" && ${excused}))`;
  const oldRoles = (g: CelForm) => inRoles(OLD, g);
  if (!f.each) {
    const bad = `${inRoles(NEW, f)} && ${f.violated(NEW)}`;
    const excused = `variables.excusable && (${samePath(f).map((g) => `(${oldRoles(g)} && ${g.violated(OLD)})`).join(' || ')})`;
    const cond = speaks(`(${bad})`, excused);
    // a form's message starts with its path (a test holds every form to that)
    return finish(f, `!(${cond})`, `(${f.message(NEW)}) + ${note}`);
  }
  const { list, maxItems } = f.each;
  const idx = `variables.indexes${maxItems}`;
  const items = (s: Subject) => `${s.o}.${list}`;
  const badAt = (s: Subject, g: CelForm, i: string) => `(i < size(${items(s)}) && ${g.violated(s, `${items(s)}[${i}]`)})`;
  const excusedAt = `variables.excusable && ${present(OLD.o, list)} && (${samePath(f).map((g) => `(${oldRoles(g)} && ${badAt(OLD, g, 'i')})`).join(' || ')})`;
  const at = speaks(badAt(NEW, f, 'i'), excusedAt);
  const guard = `${inRoles(NEW, f)} && ${present(NEW.o, list)}`;
  const cond = `${guard} && ${idx}.exists(i, ${at})`;
  const first = `${idx}.filter(i, ${at})[0]`;
  const path = `${lit(`${list}[`)} + string(${first}) + ${lit(`].${f.path} `)}`;
  return finish(f, `!(${cond})`, `${path} + (${f.message(NEW)}) + ${note}`);
}

function finish(f: CelForm, expression: string, messageExpression: string): Validation {
  // `message` is what the API server shows if messageExpression cannot be evaluated
  const where = f.each ? `${f.each.list}[].${f.path}` : f.path;
  return { expression, messageExpression, message: `${where}: violates ${f.rule} (run linkerd-cert-guard lint for details)`, reason: 'Forbidden' };
}

/** The configuration-independent part of one policy. */
export function policyPart(kind: PolicyKind, action: PolicyAction): PolicyPart {
  return {
    resourceRules: RESOURCE_RULES[kind],
    matchConditionName: kind === 'certificate' ? 'can-be-linkerd-certificate' : 'can-be-linkerd-bundle',
    variables: derivedVariables(kind),
    // catalogue order, as the webhook reports findings
    validations: RULES.flatMap((r) => CEL_FORMS.filter((f) => f.rule === r.id && f.kind === kind)).map((f) => validation(f, action)),
  };
}

/** validationActions for a policy under a mode. */
export function validationActions(mode: Mode, action: PolicyAction): string[] {
  if (mode === 'audit') return ['Warn', 'Audit'];
  if (mode === 'repair') return ['Warn'];
  return action === 'deny' ? ['Deny'] : ['Warn'];
}

export interface PolicyOptions {
  /** prefix of every object's name */
  name?: string;
  /** namespaces whose Certificates the policies skip (the chart: its own namespace, as the webhook) */
  excludeNamespaces?: readonly string[];
  labels?: Record<string, string>;
}

export type PolicyObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } };

export function policyName(prefix: string, kind: PolicyKind, action: PolicyAction): string {
  return `${prefix}-${PLURAL[kind]}-${action}`;
}

/** Every policy and binding, in apply order (a binding after its policy). */
export function generatePolicies(config: Config, mode: Mode = config.mode, options: PolicyOptions = {}): PolicyObject[] {
  const prefix = options.name ?? 'linkerd-cert-guard';
  const labels = options.labels ?? { 'app.kubernetes.io/name': 'linkerd-cert-guard', 'app.kubernetes.io/component': 'policy' };
  const out: PolicyObject[] = [];
  for (const kind of POLICY_KINDS) {
    for (const action of POLICY_ACTIONS) {
      const part = policyPart(kind, action);
      const name = policyName(prefix, kind, action);
      out.push({
        apiVersion: POLICY_API_VERSION,
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name, labels },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { matchPolicy: 'Equivalent', resourceRules: part.resourceRules },
          matchConditions: [{ name: part.matchConditionName, expression: matchCondition(kind, config) }],
          variables: [...configVariables(config), ...part.variables],
          validations: part.validations,
        },
      });
      const exclude = kind === 'certificate' ? [...new Set(options.excludeNamespaces ?? [])] : [];
      out.push({
        apiVersion: POLICY_API_VERSION,
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name, labels },
        spec: {
          policyName: name,
          validationActions: validationActions(mode, action),
          ...(exclude.length > 0
            ? { matchResources: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: exclude }] } } }
            : {}),
        },
      });
    }
  }
  return out;
}

