import t from 'tap';
import { readFileSync } from 'node:fs';
import { chartPolicyFile } from '../../../checks/policy/chart.js';
import { CONFIG_KEYS, POLICY_ACTIONS, POLICY_KINDS, policyPart } from '../../../checks/policy/generate.js';

t.test('charts/linkerd-cert-guard/files/policies.json is generated from the catalogue and up to date', async (t) => {
  const committed = readFileSync('charts/linkerd-cert-guard/files/policies.json', 'utf8');
  t.equal(committed, chartPolicyFile(), 'run `npm run docs` after changing a rule or a CEL form');
  const file = JSON.parse(committed);
  t.same(file.configKeys, CONFIG_KEYS);
  for (const kind of POLICY_KINDS) for (const action of POLICY_ACTIONS) t.same(file[kind][action], policyPart(kind, action), `${kind} ${action}`);
});
