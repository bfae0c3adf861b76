import t from 'tap';
import { parse } from '@bufbuild/cel';
// the catalogue first: forms.ts reaches it through a cycle that needs the rule modules loaded
import { RULES, RULES_BY_ID } from '../../../checks/rules/catalogue.js';
import { CEL_FORMS, WEBHOOK_ONLY, WEBHOOK_ONLY_PARTS } from '../../../checks/policy/forms.js';

const subject = { o: 'object', role: 'variables.role' };

t.test('every form speaks for a catalogue rule, for roles the rule applies to, of the kind the rule judges', async (t) => {
  for (const f of CEL_FORMS) {
    const rule = RULES_BY_ID.get(f.rule);
    t.ok(rule, `${f.rule} is a rule`);
    if (!rule) continue;
    t.ok(f.roles.length > 0 && f.roles.every((r) => rule.appliesTo.includes(r)), `${f.rule} ${f.path}: roles ${f.roles.join(', ')}`);
    t.equal(f.kind, f.roles.includes('trust-bundle') ? 'bundle' : 'certificate', `${f.rule} ${f.path}: kind`);
    t.notOk(rule.lintOnly, `${f.rule} is an admission rule`);
    if (f.each) t.ok(f.each.maxItems > 0 && f.each.maxItems <= 1000, `${f.rule}: each item of a bounded list`);
  }
});

t.test('every admission rule has a form or says why the webhook alone can judge it', async (t) => {
  for (const r of RULES) {
    if (r.lintOnly) continue;
    const formed = CEL_FORMS.some((f) => f.rule === r.id);
    t.ok(formed !== (r.id in WEBHOOK_ONLY), `${r.id}: ${formed ? 'a CEL form' : 'webhook only'}, not both`);
  }
  for (const id of [...Object.keys(WEBHOOK_ONLY), ...Object.keys(WEBHOOK_ONLY_PARTS)]) t.ok(RULES_BY_ID.has(id), `${id} is a rule`);
  for (const id of Object.keys(WEBHOOK_ONLY_PARTS)) t.ok(CEL_FORMS.some((f) => f.rule === id), `${id}: the expressible part has a form`);
});

t.test('each form\'s condition and message are CEL that parses', async (t) => {
  for (const f of CEL_FORMS) {
    const violated = f.violated(subject, f.each ? 'item' : undefined);
    t.doesNotThrow(() => parse(violated), `${f.rule} ${f.path}: condition`);
    t.doesNotThrow(() => parse(f.message(subject)), `${f.rule} ${f.path}: message`);
    t.match(violated, f.each ? /\bitem\b/ : /\bobject\b/, `${f.rule} ${f.path}: reads ${f.each ? 'the list item' : 'the object'} it is given`);
    const old = f.violated({ o: 'oldObject', role: 'variables.oldRole' }, f.each ? 'item' : undefined);
    t.notMatch(old.replace(/oldObject/g, ''), /\bobject\./, `${f.rule} ${f.path}: reads only the subject it is given`);
  }
});
