/**
 * `lint` reports: text for people, and json, junit and sarif for CI (the formats are listed in
 * report/formats.ts; LINT_RENDERERS is lint's renderer for each).
 */
import { PROJECT_URL, TOOL_NAME, docsUrl } from '../tool.js';
import type { Palette } from '../report/color.js';
import type { Renderers } from '../report/formats.js';
import { toJUnit, type JUnitCase } from '../report/junit.js';
import { toSarif, type SarifResult } from '../report/sarif.js';
import { RULES } from '../rules/catalogue.js';
import { ruleAnchorId } from '../rules/docs.js';
import { locate } from './input.js';
import { describeObject, summarize, type LintedObject } from './run.js';

export const RULE_DOC_BASE = docsUrl('rules');


export function toJsonDocument(results: readonly LintedObject[], repaired: number): object {
  const summary = summarize(results, repaired);
  return {
    success: summary.errors === 0,
    summary,
    objects: results.map((r) => ({
      source: r.entry.source,
      apiVersion: r.apiVersion,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      role: r.role,
      findings: r.findings.map((f) => ({ rule: f.rule, severity: f.severity, path: f.path, message: f.message, fixable: f.fixable })),
    })),
  };
}

export function toText(results: readonly LintedObject[], repaired: number, p: Palette): string {
  const lines: string[] = [];
  let lastFile: string | undefined;
  for (const r of results) {
    if (r.findings.length === 0) continue;
    const file = r.entry.file.path === '-' ? '<stdin>' : r.entry.file.path;
    if (file !== lastFile) {
      if (lastFile !== undefined) lines.push('');
      lines.push(p.bold(file));
      lastFile = file;
    }
    const { line } = locate(r.entry, r.findings[0]?.path ?? '');
    lines.push(`  ${describeObject(r)} ${p.dim(`(${r.role ?? 'not Linkerd\'s'}, line ${line})`)}`);
    for (const f of r.findings) {
      const sev = f.severity === 'error' ? p.red('error  ') : p.yellow('warning');
      const at = locate(r.entry, f.path);
      lines.push(`    ${sev} ${f.rule} ${p.dim(`${f.path}:${at.line}`)}${f.fixable ? p.dim(' [fixable]') : ''}`);
      lines.push(`            ${f.message}`);
    }
  }
  const s = summarize(results, repaired);
  const fixable = results.reduce((n, r) => n + r.findings.filter((f) => f.fixable).length, 0);
  if (lines.length > 0) lines.push('');
  const verdict = s.errors > 0 ? p.red('×') : s.warnings > 0 ? p.yellow('‼') : p.green('√');
  lines.push(
    `${verdict} ${s.objects} object${s.objects === 1 ? '' : 's'}, ${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}` +
      (repaired > 0 ? `, ${repaired} repaired` : fixable > 0 ? ` (${fixable} fixable with --fix)` : ''),
  );
  return lines.join('\n') + '\n';
}

export function toJUnitReport(results: readonly LintedObject[]): string {
  const byFile = new Map<string, JUnitCase[]>();
  for (const r of results) {
    if (r.role === null) continue; // not Linkerd's: nothing was checked
    const file = r.entry.file.path;
    const cases = byFile.get(file) ?? [];
    const errors = r.findings.filter((f) => f.severity === 'error');
    const warnings = r.findings.filter((f) => f.severity === 'warning');
    const c: JUnitCase = { name: `${describeObject(r)} (${r.entry.source})`, classname: `lint.${r.role}` };
    if (errors.length > 0) {
      c.failure = {
        message: errors.map((f) => `${f.rule} ${f.path}`).join('; '),
        type: errors[0]?.rule ?? 'error',
        body: errors.map((f) => `${f.rule} at ${f.path} (line ${locate(r.entry, f.path).line}): ${f.message}`).join('\n'),
      };
    }
    if (warnings.length > 0) c.warning = warnings.map((f) => `${f.rule} at ${f.path}: ${f.message}`).join('\n');
    cases.push(c);
    byFile.set(file, cases);
  }
  return toJUnit('linkerd-cert-guard lint', [...byFile].map(([name, cases]) => ({ name, cases })));
}

export function toSarifDocument(results: readonly LintedObject[], version: string): object {
  const sarifResults: SarifResult[] = [];
  for (const r of results) {
    for (const f of r.findings) {
      const loc = locate(r.entry, f.path);
      sarifResults.push({
        ruleId: f.rule,
        level: f.severity,
        message: f.message,
        ...(r.entry.file.path !== '-' ? { uri: r.entry.file.path.replace(/\\/g, '/').replace(/^\.\//, '') } : {}),
        line: loc.line,
        column: loc.column,
        logicalLocation: `${describeObject(r)} ${f.path}`,
      });
    }
  }
  const seen = new Set<string>();
  const rules = RULES.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true))).map((r) => ({
    id: r.id,
    title: r.title,
    description: r.rationale,
    helpUri: RULE_DOC_BASE + ruleAnchorId(r.id),
    level: r.defaultSeverity,
  }));
  return toSarif({ name: TOOL_NAME, version, informationUri: PROJECT_URL }, rules, sarifResults);
}

/** What a lint run reports: every object judged, and how many findings --fix repaired. */
export interface LintReport {
  results: readonly LintedObject[];
  repaired: number;
}

export const LINT_RENDERERS: Renderers<'lint', LintReport> = {
  text: (r, ctx) => toText(r.results, r.repaired, ctx.palette),
  json: (r) => JSON.stringify(toJsonDocument(r.results, r.repaired), null, 2) + '\n',
  junit: (r) => toJUnitReport(r.results),
  sarif: (r, ctx) => JSON.stringify(toSarifDocument(r.results, ctx.version), null, 2) + '\n',
};
