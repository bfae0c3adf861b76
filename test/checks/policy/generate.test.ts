/**
 * The generated policies decide every rule test case as the webhook does (`admit`, validating
 * endpoint, the object judged alone), evaluated offline with @bufbuild/cel: CREATE, UPDATE with the
 * violation already present (a warning unless strict), every mode, severity overrides and `off`,
 * the default and a renamed configuration. test/e2e/policy.test.ts repeats this on the real API server.
 */
import t from 'tap';
import { resolveConfig, type Config, type Mode } from '../../../checks/config.js';
import { RULES } from '../../../checks/rules/catalogue.js';
import { CEL_FORMS, WEBHOOK_ONLY } from '../../../checks/policy/forms.js';
import { configVariables, generatePolicies, validationActions } from '../../../checks/policy/generate.js';
import { admit } from '../../../webhook/admission.js';
import type { AdmissionRequest } from '../../../webhook/review.js';
import { RULE_CASES, RENAMED_CONFIG, admissionCases, issuer, renamed, type Obj } from '../../helpers/rule-cases.js';
import { evaluatePolicies, policyVerdict, webhookVerdict, type Verdict } from '../../helpers/policy-eval.js';

function request(operation: 'CREATE' | 'UPDATE', object: Obj, oldObject?: Obj): AdmissionRequest {
  return {
    uid: 'u', kind: { group: object.apiVersion.split('/')[0], version: 'v1', kind: object.kind }, operation,
    ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata?.name ?? '', object, ...(oldObject ? { oldObject } : {}),
  } as AdmissionRequest;
}

function both(config: Config, mode: Mode, operation: 'CREATE' | 'UPDATE', object: Obj, oldObject?: Obj): { webhook: Verdict; policy: Verdict; audited: number; errors: string[] } {
  const webhook = webhookVerdict(admit(request(operation, object, oldObject), { ...config, mode }, 'validate').response);
  const out = evaluatePolicies(generatePolicies(config, mode), { operation, namespace: object.metadata?.namespace, object, oldObject });
  return { webhook, policy: policyVerdict(out.denied, out.warnings), audited: out.audited.length, errors: out.errors };
}

t.test('every single-object admission rule has a CEL form (or says why it is webhook-only)', async (t) => {
  const missing = RULES.filter((r) => !r.lintOnly && !CEL_FORMS.some((f) => f.rule === r.id) && !(r.id in WEBHOOK_ONLY)).map((r) => r.id);
  t.same(missing, [], `admission rules without a CEL form in checks/policy/forms.ts: ${missing.join(', ') || 'none'}`);
  for (const id of Object.keys(WEBHOOK_ONLY)) {
    const r = RULES.find((x) => x.id === id);
    t.ok(r && !r.lintOnly, `${id}: a webhook-only entry names an admission rule`);
    t.notOk(CEL_FORMS.some((f) => f.rule === id), `${id}: not both webhook-only and expressed`);
  }
  for (const f of CEL_FORMS) {
    const r = RULES.find((x) => x.id === f.rule);
    t.ok(r && !r.lintOnly && f.roles.every((role) => r.appliesTo.includes(role)), `${f.rule} ${f.path}: a form of an admission rule, for roles it applies to`);
  }
});

t.test('every rule case: the policies admit or refuse it as the webhook does, naming the same rule and field', async (t) => {
  const config = (c: { config?: Partial<Config> }) => resolveConfig(c.config);
  let violating = 0;
  for (const c of admissionCases()) {
    const object = c.object();
    const r = both(config(c), 'enforce', 'CREATE', object);
    t.same(r.errors, [], `${c.rule}: ${c.name}: the CEL evaluates without error`);
    t.same(r.policy, r.webhook, `${c.rule}: ${c.name}: same verdict`);
    if (c.path !== undefined && [...r.webhook.denied, ...r.webhook.warned].includes(`${c.rule}|${c.path}`)) violating++;
  }
  t.ok(violating >= 30, `the violating cases reach the comparison (${violating})`);
});

t.test('UPDATE: a violation the old object already had warns; strict denies; a new one denies', async (t) => {
  const strict = resolveConfig({ strict: true });
  for (const c of admissionCases().filter((x) => x.path !== undefined)) {
    const config = resolveConfig(c.config);
    const same = both(config, 'enforce', 'UPDATE', c.object(), c.object());
    t.same(same.policy, same.webhook, `${c.rule}: ${c.name}: unchanged violation`);
    t.equal(same.policy.deniedBy, null, `${c.rule}: ${c.name}: not denied on update`);
    const s = both(resolveConfig(c.config, { strict: true }), 'enforce', 'UPDATE', c.object(), c.object());
    t.same(s.policy, s.webhook, `${c.rule}: ${c.name}: strict`);
    const fresh = c.object();
    const compliantOld = c.object().kind === 'Certificate' && fresh.metadata.name === issuer().metadata.name ? issuer() : undefined;
    if (compliantOld && compliantOld.metadata.namespace === fresh.metadata.namespace) {
      const n = both(config, 'enforce', 'UPDATE', fresh, compliantOld);
      t.same(n.policy, n.webhook, `${c.rule}: ${c.name}: new on update`);
    }
  }
  t.ok(strict.strict);
});

t.test('modes: audit warns and audits everything, repair warns everything', async (t) => {
  for (const c of admissionCases().filter((x) => x.path !== undefined)) {
    for (const mode of ['audit', 'repair'] as const) {
      const r = both(resolveConfig(c.config), mode, 'CREATE', c.object());
      t.equal(r.policy.deniedBy, null, `${mode}: ${c.name}: never denied`);
      t.same(r.policy.warned, r.webhook.warned, `${mode}: ${c.name}: the same warnings`);
      if (mode === 'audit') t.equal(r.audited, r.policy.warned.length, `${mode}: ${c.name}: audited`);
    }
  }
  t.same(validationActions('enforce', 'deny'), ['Deny']);
  t.same(validationActions('enforce', 'warn'), ['Warn']);
  t.same(validationActions('audit', 'deny'), ['Warn', 'Audit']);
});

t.test('severity overrides and off are honoured', async (t) => {
  const overrides: Array<Partial<Config>> = [
    { rules: { 'certificate/is-ca': { severity: 'off' } } },
    { rules: { 'certificate/is-ca': { severity: 'warning' } } },
    { rules: { 'certificate/common-name': { severity: 'error' }, 'certificate/namespace': { severity: 'error' } } },
    { rules: { 'bundle/namespace-selector': { severity: 'error' }, 'bundle/no-private-keys': { severity: 'off' } } },
    { requireExplicitRotationPolicy: false },
  ];
  for (const o of overrides) {
    for (const c of admissionCases()) {
      const r = both(resolveConfig(c.config, o), 'enforce', 'CREATE', c.object());
      t.same(r.policy, r.webhook, `${JSON.stringify(o)}: ${c.rule}: ${c.name}`);
    }
  }
  const off = configVariables(resolveConfig({ rules: { 'certificate/is-ca': { severity: 'off', repair: false }, 'certificate/usages': { repair: false } } }));
  t.equal(off.find((v) => v.name === 'severities')?.expression, '{"certificate/is-ca":"off"}', 'only severities enter the policies');
});

t.test('a renamed configuration: every case, renamed, is decided as the webhook decides', async (t) => {
  let found = 0;
  for (const c of admissionCases()) {
    const config = resolveConfig(RENAMED_CONFIG, c.config);
    const object = renamed(c.object());
    const r = both(config, 'enforce', 'CREATE', object);
    t.same(r.errors, [], `${c.name}: no CEL error`);
    t.same(r.policy, r.webhook, `renamed: ${c.rule}: ${c.name}`);
    if (c.path !== undefined && [...r.webhook.denied, ...r.webhook.warned].includes(`${c.rule}|${c.path}`)) found++;
  }
  t.ok(found >= 30, `the renamed violating cases still violate (${found})`);
  t.equal(RULE_CASES.length > 0, true);
});
