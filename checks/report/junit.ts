/** JUnit XML as CI systems (GitLab, Jenkins, GitHub test reporters) read it. */
export interface JUnitCase {
  name: string;
  classname: string;
  /** an error-level result */
  failure?: { message: string; type: string; body?: string };
  /** a warning-level result: reported as passed with system-out, so CI stays green unless asked */
  warning?: string;
  skipped?: string;
}

export interface JUnitSuite {
  name: string;
  cases: JUnitCase[];
}

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // characters XML 1.0 cannot carry at all
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');
}

export function toJUnit(name: string, suites: JUnitSuite[]): string {
  const total = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + s.cases.filter((c) => c.failure).length, 0);
  const skipped = suites.reduce((n, s) => n + s.cases.filter((c) => c.skipped !== undefined).length, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${xmlEscape(name)}" tests="${total}" failures="${failures}" errors="0" skipped="${skipped}">`);
  for (const s of suites) {
    const f = s.cases.filter((c) => c.failure).length;
    const sk = s.cases.filter((c) => c.skipped !== undefined).length;
    out.push(`  <testsuite name="${xmlEscape(s.name)}" tests="${s.cases.length}" failures="${f}" errors="0" skipped="${sk}">`);
    for (const c of s.cases) {
      const open = `    <testcase name="${xmlEscape(c.name)}" classname="${xmlEscape(c.classname)}"`;
      if (!c.failure && c.warning === undefined && c.skipped === undefined) {
        out.push(`${open}/>`);
        continue;
      }
      out.push(`${open}>`);
      if (c.failure) {
        out.push(`      <failure message="${xmlEscape(c.failure.message)}" type="${xmlEscape(c.failure.type)}">${xmlEscape(c.failure.body ?? c.failure.message)}</failure>`);
      }
      if (c.skipped !== undefined) out.push(`      <skipped message="${xmlEscape(c.skipped)}"/>`);
      if (c.warning !== undefined) out.push(`      <system-out>${xmlEscape('warning: ' + c.warning)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
