import t from 'tap';
import { readFileSync } from 'node:fs';
import { CHECK_RENDERERS, toJsonDocument, toJUnitReport, toTable } from '../../../checks/identity/format.js';
import type { CheckReport, CheckResult } from '../../../checks/identity/types.js';
import { paletteFor } from '../../../checks/report/color.js';

const golden = (n: string) => readFileSync(new URL(`../../fixtures/linkerd2/${n}`, import.meta.url), 'utf8');
const plain = paletteFor({ isTTY: false }, {});

// the report linkerd2's check_test.go renders into its goldens
const results: CheckResult[] = [
  { category: 'category', id: 'check1', description: 'check1', result: 'success', fatal: false },
  { category: 'category', id: 'check2', description: 'check2', result: 'error', error: 'This should contain instructions for fail', hint: 'https://linkerd.io/2/checks/#hint-anchor', recommendation: 'do it', fatal: false },
];
const report: CheckReport = { success: false, results, categories: [{ name: 'category', results }] };

t.test('table matches check_output.golden, then the status line', async (t) => {
  t.equal(toTable(report, plain), golden('check_output.golden') + 'Status check results are \u00d7\n');
});

t.test('json is check_output_json.golden plus id per check', async (t) => {
  const doc = JSON.parse(CHECK_RENDERERS.json(report, { palette: plain, version: '0' })) as { categories: Array<{ checks: Array<Record<string, unknown>> }> };
  t.same(doc.categories[0]!.checks.map((c) => c.id), ['check1', 'check2']);
  for (const c of doc.categories[0]!.checks) delete c.id;
  t.equal(JSON.stringify(doc, null, 2), golden('check_output_json.golden').trimEnd());
  t.same(Object.keys(toJsonDocument(report).categories[0]!.checks[1]!), ['description', 'hint', 'error', 'result', 'id'], 'key order as Linkerd, id last');
});

t.test('short shows only what did not pass; colours only on a TTY without NO_COLOR', async (t) => {
  t.equal(toTable(report, plain, true), 'category\n--------\n\u00d7 check2\n    This should contain instructions for fail\n    see https://linkerd.io/2/checks/#hint-anchor for hints\n\nStatus check results are \u00d7\n');
  const ok: CheckReport = { success: true, results: [results[0]!], categories: [{ name: 'category', results: [results[0]!] }] };
  t.equal(toTable(ok, plain, true), 'Status check results are \u221a\n');
  t.match(toTable(report, paletteFor({ isTTY: true }, {})), /\u001b\[31m\u00d7\u001b\[39m check2/);
  t.notMatch(toTable(report, paletteFor({ isTTY: true }, { NO_COLOR: '1' })), /\u001b/);
  const warn: CheckResult = { ...results[1]!, result: 'warning' };
  t.match(toTable({ success: true, results: [warn], categories: [{ name: 'c', results: [warn] }] }, plain), /^c\n-\n\u203c check2\n[\s\S]*Status check results are \u221a\n$/);
});

t.test('junit and sarif', async (t) => {
  const x = toJUnitReport(report);
  t.match(x, /<testsuite name="category" tests="2" failures="1"/);
  t.match(x, /<failure message="This should contain instructions for fail" type="check2">/);
  const s = JSON.parse(CHECK_RENDERERS.sarif(report, { palette: plain, version: '1.2.3' })) as { runs: Array<{ tool: { driver: { version: string; rules: Array<{ id: string }> } }; results: Array<{ ruleId: string; level: string }> }> };
  t.equal(s.runs[0]!.tool.driver.version, '1.2.3');
  t.ok(s.runs[0]!.tool.driver.rules.some((r) => r.id === 'l5d-identity-issuer-cert-issued-by-trust-anchor'));
  t.same(s.runs[0]!.results.map((r) => [r.ruleId, r.level]), [['check2', 'error']]);
});
