/**
 * Check reports: Linkerd's table (healthcheck_output.go), short, the `linkerd check -o json`
 * document plus `id`, JUnit and SARIF through the shared writers (CHECK_RENDERERS, one per format
 * of report/formats.ts).
 */
import { PROJECT_URL, TOOL_NAME } from '../tool.js';
import type { Palette } from '../report/color.js';
import type { Renderers } from '../report/formats.js';
import { toJUnit, type JUnitSuite } from '../report/junit.js';
import { toSarif, type SarifRule, type SarifResult } from '../report/sarif.js';
import { ALL_CLUSTERS } from './multicluster.js';
import { allChecks } from './run.js';
import type { CheckReport, CheckResult } from './types.js';

/**
 * A report, possibly over several clusters: each category then names its `cluster` (the multicluster
 * category names `*`). A one-cluster CheckReport is one of these with no `cluster`.
 */
export type Reported = Omit<CheckReport, 'categories'> & { categories: Array<CheckReport['categories'][number] & { cluster?: string }> };

/** The error text of a check that did not succeed: never empty, since Linkerd counts only `error`. */
function errorText(r: CheckResult): string {
  return r.error !== undefined && r.error.trim() !== '' ? r.error : r.description.split('\n')[0] ?? r.description;
}

export const OK = '\u221a'; // √
export const FAIL = '\u00d7'; // ×
export const WARN = '\u203c'; // ‼

function glyph(r: CheckResult, p: Palette): string {
  if (r.result === 'success') return p.green(OK);
  if (r.result === 'warning') return p.yellow(WARN);
  return p.red(FAIL);
}

/** `linkerd check` table; `short` prints only what did not pass; several clusters are grouped by cluster. */
export function toTable(report: Reported, p: Palette, short = false): string {
  const out: string[] = [];
  let first = true;
  let cluster: string | undefined;
  for (const cat of report.categories) {
    const shown = short ? cat.results.filter((r) => r.result !== 'success') : cat.results;
    if (shown.length === 0) continue;
    if (!first) out.push('');
    first = false;
    if (cat.cluster !== undefined && cat.cluster !== cluster) {
      cluster = cat.cluster;
      const title = cluster === ALL_CLUSTERS ? 'all clusters' : `cluster ${cluster}`;
      out.push(title, '='.repeat(title.length), '');
    }
    out.push(cat.name, '-'.repeat(cat.name.length));
    for (const r of shown) {
      out.push(`${glyph(r, p)} ${r.description}`);
      if (r.result !== 'success') {
        out.push(`    ${errorText(r)}`);
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

export function toJsonDocument(report: Reported): { success: boolean; categories: Array<{ categoryName: string; cluster?: string; checks: JsonCheck[] }> } {
  return {
    success: report.success,
    categories: report.categories.map((c) => ({
      categoryName: c.name,
      ...(c.cluster !== undefined ? { cluster: c.cluster } : {}),
      checks: c.results.map((r) => ({
        description: r.description,
        ...(r.result !== 'success' && r.hint ? { hint: r.hint } : {}),
        ...(r.result !== 'success' ? { error: errorText(r) } : {}),
        result: r.result,
        id: r.id,
      })),
    })),
  };
}


const scoped = (c: Reported['categories'][number]) => (c.cluster !== undefined ? `${c.cluster}/${c.name}` : c.name);

export function toJUnitReport(report: Reported): string {
  const suites: JUnitSuite[] = report.categories.map((c) => ({
    name: scoped(c),
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

export function toSarifDocument(report: Reported, version: string): object {
  const rules: SarifRule[] = allChecks().map((d) => ({
    id: d.id,
    title: d.description,
    description: d.recommendation,
    helpUri: d.hint,
    level: d.warning ? 'warning' : 'error',
  }));
  const results: SarifResult[] = report.categories.flatMap((c) =>
    c.results
      .filter((r) => r.result !== 'success')
      .map((r) => ({
        ruleId: r.id,
        level: r.result === 'warning' ? ('warning' as const) : ('error' as const),
        message: `${c.cluster === ALL_CLUSTERS ? 'all clusters: ' : c.cluster !== undefined ? `cluster ${c.cluster}: ` : ''}${r.description}: ${errorText(r)}${r.recommendation ? `\n${r.recommendation}` : ''}`,
        logicalLocation: `${scoped(c)}/${r.id}`,
      })),
  );
  return toSarif({ name: TOOL_NAME, version, informationUri: PROJECT_URL }, rules, results);
}

export const CHECK_RENDERERS: Renderers<'check', Reported> = {
  table: (r, ctx) => toTable(r, ctx.palette),
  short: (r, ctx) => toTable(r, ctx.palette, true),
  json: (r) => JSON.stringify(toJsonDocument(r), null, 2) + '\n',
  junit: (r) => toJUnitReport(r),
  sarif: (r, ctx) => JSON.stringify(toSarifDocument(r, ctx.version), null, 2) + '\n',
};
