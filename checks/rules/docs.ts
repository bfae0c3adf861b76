/**
 * The rule reference, generated from the catalogue (`npm run docs` writes docs/rules.md;
 * a test fails when the committed file drifts from the rules).
 */
import { RULES } from './catalogue.js';
import type { RuleDefinition } from './types.js';

/** The anchor of a rule's section, which SARIF help links point at (written out: GitHub's own slug drops the `/`). */
export function ruleAnchorId(id: string): string {
  return id.replace(/[^a-z0-9]+/g, '-');
}

export function renderRuleReference(rules: readonly RuleDefinition[] = RULES): string {
  const out: string[] = [
    '# Rule reference',
    '',
    '<!-- generated from checks/rules/catalogue.ts by `npm run docs`; do not edit by hand -->',
    '',
    'The same rules run in the admission webhook (`serve`) and in `lint`. Severities and repairs can be',
    'changed per rule in the configuration (`rules: {<id>: {severity: error|warning|off, repair: true|false}}`).',
    'Rules that read other objects (\"reads\" below) find them in the same `lint` input, and in the webhook in its',
    'informer cache ([cache.md](cache.md)); an object they look for and do not find there is a warning, never a denial.',
    '',
    '| id | applies to | severity | repair |',
    '|---|---|---|---|',
  ];
  const ids = new Set<string>();
  for (const r of rules) {
    out.push(`| [\`${r.id}\`](#${ruleAnchorId(r.id)}) | ${r.appliesTo.join(', ')}${r.lintOnly ? ' (lint only)' : ''} | ${r.defaultSeverity} | ${r.repair} |`);
  }
  for (const r of rules) {
    if (ids.has(r.id)) continue;
    ids.add(r.id);
    out.push('', `<a id="${ruleAnchorId(r.id)}"></a>`, '', `## ${r.id}`, '', `**${r.title}.** ${r.rationale}`, '', `- applies to: ${r.appliesTo.join(', ')}${r.lintOnly ? ' (lint only)' : ''}`, `- default severity: ${r.defaultSeverity}`, `- repair: ${r.repair}`, ...(r.reads ? [`- reads: ${r.reads} (webhook: from its cache)`] : []));
  }
  return out.join('\n') + '\n';
}

const invoked = process.argv[1] ?? '';
if (invoked.endsWith('/rules/docs.js')) process.stdout.write(renderRuleReference());
