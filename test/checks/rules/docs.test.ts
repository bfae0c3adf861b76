import t from 'tap';
import { readFileSync } from 'node:fs';
import { renderRuleReference, ruleAnchorId } from '../../../checks/rules/docs.js';
import { RULE_IDS } from '../../../checks/rules/catalogue.js';
import { RULE_DOC_BASE } from '../../../checks/lint/format.js';

t.test('docs/rules.md is generated from the catalogue and up to date', async (t) => {
  const committed = readFileSync('docs/rules.md', 'utf8');
  t.equal(committed, renderRuleReference(), 'run `npm run docs` after changing a rule');
  for (const id of RULE_IDS) t.match(committed, `\n## ${id}\n`);
});

t.test('every SARIF help link lands on an anchor the docs page defines', async (t) => {
  const committed = readFileSync('docs/rules.md', 'utf8');
  t.ok(RULE_DOC_BASE.endsWith('docs/rules.md#'));
  for (const id of RULE_IDS) t.match(committed, `<a id="${ruleAnchorId(id)}"></a>\n\n## ${id}\n`, id);
});
