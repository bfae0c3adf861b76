/**
 * Check reports as text: Linkerd's table (healthcheck_output.go), short, the `linkerd check -o json`
 * document plus `id`, JUnit and SARIF through the shared writers.
 */
import { PROJECT_URL, TOOL_NAME } from '../tool.js';
import type { Palette } from '../report/color.js';
import { toJUnit, type JUnitSuite } from '../report/junit.js';
import { toSarif, type SarifRule, type SarifResult } from '../report/sarif.js';
import { allChecks } from './run.js';
import type { CheckReport, CheckResult } from './types.js';

export const OK = '\u221a'; // √
export const FAIL = '\u00d7'; // ×
export const WARN = '\u203c'; // ‼

function glyph(r: CheckResult, p: Palette): string {
  if (r.result === 'success') return p.green(OK);
  if (r.result === 'warning') return p.yellow(WARN);
  return p.red(FAIL);
}

/** `linkerd check` table; `short` prints only what did not pass. */
export function toTable(report: CheckReport, p: Palette, short = false): string {
  const out: string[] = [];
  let first = true;
  for (const cat of report.categories) {
    const shown = short ? cat.results.filter((r) => r.result !== 'success') : cat.results;
    if (shown.length === 0) continue;
    if (!first) out.push('');
    first = false;
    out.push(cat.name, '-'.repeat(cat.name.length));
    for (const r of shown) {
      out.push(`${glyph(r, p)} ${r.description}`);
      if (r.error !== undefined) {
        out.push(`    ${r.error}`);
        if (r.hint) out.push(`    see ${r.hint} for hints`);
      }
    }
  }
  if (!first) out.push('');
  out.push(`Status check results are ${report.success ? p.green(OK) : p.red(FAIL)}`);
  return out.join('\n') + '\n';
}

export interface JsonCheck {
  description: string;
  hint?: string;
  error?: string;
  result: CheckResult['result'];
  id: string;
}

export function toJsonDocument(report: CheckReport): { success: boolean; categories: Array<{ categoryName: string; checks: JsonCheck[] }> } {
  return {
    success: report.success,
    categories: report.categories.map((c) => ({
      categoryName: c.name,
      checks: c.results.map((r) => ({
        description: r.description,
        ...(r.result !== 'success' && r.hint ? { hint: r.hint } : {}),
        ...(r.result !== 'success' && r.error !== undefined ? { error: r.error } : {}),
        result: r.result,
        id: r.id,
      })),
    })),
  };
}

export function toJson(report: CheckReport): string {
  return JSON.stringify(toJsonDocument(report), null, 2) + '\n';
}

export function toJUnitReport(report: CheckReport): string {
  const suites: JUnitSuite[] = report.categories.map((c) => ({
    name: c.name,
    cases: c.results.map((r) => {
      const name = r.description.split('\n')[0] ?? r.description;
      const detail = [r.error, r.hint ? `see ${r.hint} for hints` : undefined, r.recommendation].filter(Boolean).join('\n');
      if (r.result === 'error') return { name, classname: `${c.name}.${r.id}`, failure: { message: (r.error ?? '').split('\n')[0] ?? '', type: r.id, body: detail } };
      if (r.result === 'warning') return { name, classname: `${c.name}.${r.id}`, warning: detail };
      return { name, classname: `${c.name}.${r.id}` };
    }),
  }));
  return toJUnit('linkerd-cert-guard check', suites);
}

export function toSarifReport(report: CheckReport, version: string): string {
  const rules: SarifRule[] = allChecks().map((d) => ({
    id: d.id,
    title: d.description,
    description: d.recommendation,
    helpUri: d.hint,
    level: d.warning ? 'warning' : 'error',
  }));
  const results: SarifResult[] = report.results
    .filter((r) => r.result !== 'success')
    .map((r) => ({
      ruleId: r.id,
      level: r.result === 'warning' ? 'warning' : 'error',
      message: `${r.description}: ${r.error ?? ''}${r.recommendation ? `\n${r.recommendation}` : ''}`,
      logicalLocation: `${r.category}/${r.id}`,
    }));
  const doc = toSarif({ name: TOOL_NAME, version, informationUri: PROJECT_URL }, rules, results);
  return JSON.stringify(doc, null, 2) + '\n';
}
