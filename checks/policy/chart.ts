/**
 * The chart's copy of the policies: everything of generate.ts that does not depend on the
 * configuration, as charts/linkerd-cert-guard/files/policies.json. The chart's template adds the
 * configuration from its values (as generate.ts's configVariables does), its names and labels.
 * `npm run docs` writes the file; a test fails when it is not current, and another renders the chart
 * and requires the objects generatePolicies makes for the same configuration.
 */
import { CONFIG_KEYS, POLICY_ACTIONS, POLICY_KINDS, policyPart, type PolicyPart } from './generate.js';
import type { PolicyKind } from './forms.js';
import type { PolicyAction } from './generate.js';

export function chartPolicyFile(): string {
  const parts = {} as Record<PolicyKind, Record<PolicyAction, PolicyPart>>;
  for (const kind of POLICY_KINDS) {
    parts[kind] = {} as Record<PolicyAction, PolicyPart>;
    for (const action of POLICY_ACTIONS) parts[kind][action] = policyPart(kind, action);
  }
  const file = { generated: 'by `npm run docs` from checks/policy (linkerd-cert-guard policy); do not edit', configKeys: CONFIG_KEYS, ...parts };
  return JSON.stringify(file, null, 1) + '\n';
}

const invoked = process.argv[1] ?? '';
if (invoked.endsWith('/policy/chart.js')) process.stdout.write(chartPolicyFile());
