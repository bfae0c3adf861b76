import t from 'tap';
import { readFileSync } from 'node:fs';
import { renderRuleReference, ruleAnchorId } from '../../../checks/rules/docs.js';
import { RULE_IDS } from '../../../checks/rules/catalogue.js';
import { ruleAnchor } from '../../../checks/lint/format.js';

t.test('docs/rules.md is generated from the catalogue and up to date', async (t) => {
  const committed = readFileSync('docs/rules.md', 'utf8');
  t.equal(committed, renderRuleReference(), 'run `npm run docs` after changing a rule');
  for (const id of RULE_IDS) t.match(committed, `\n## ${id}\n`);
});

t.test('SARIF help links and the docs agree on anchors', async (t) => {
  for (const id of RULE_IDS) t.equal(ruleAnchor(id), ruleAnchorId(id));
});
