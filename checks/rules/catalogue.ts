/**
 * The one catalogue of rules. `lint`, the webhook and the generated docs all read this list;
 * order is report order (and repair order: later rules win on the same field).
 */
import type { RuleDefinition } from './types.js';
import { CERTIFICATE_RULES } from './certificate.js';
import { BUNDLE_RULES } from './bundle.js';
import { SETUP_RULES } from './setup.js';

export const RULES: readonly RuleDefinition[] = [...CERTIFICATE_RULES, ...BUNDLE_RULES, ...SETUP_RULES];

export const RULES_BY_ID: ReadonlyMap<string, RuleDefinition> = new Map(RULES.map((r) => [r.id, r]));

export const RULE_IDS: readonly string[] = [...new Set(RULES.map((r) => r.id))];
