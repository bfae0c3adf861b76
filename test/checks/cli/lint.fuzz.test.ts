/**
 * Fuzz of `lint` and `lint --fix` over seeded, structure-aware manifest mutations (bounded in
 * count): every run ends with exit 0, 1 or 2; a 2 is one line naming the input, never an internal
 * error or a stack; `--fix` output is YAML that lints again without an internal error. A failure
 * names the seed and case (`manifestCase(corpus, seed, index)` reproduces it).
 */
import t from 'tap';
import { loadAll } from 'js-yaml';
import { manifestCase, seedCorpus } from '../../helpers/fuzz.js';
import { runInProcess } from '../../helpers/cli.js';
import { PassThrough } from 'node:stream';
import type { CliIO } from '../../../checks/cli/io.js';
import { runCli } from '../../../checks/cli/main.js';

const SEED = Number(process.env.LCG_FUZZ_SEED ?? 20261202);
const FUZZ_COUNT = Number(process.env.LCG_FUZZ_COUNT_LINT ?? 300);
/** a slow machine runs fewer cases rather than time out: the count and the time are both bounded */
const BUDGET_MS = Number(process.env.LCG_FUZZ_BUDGET_MS ?? 60_000);

/** runInProcess with stdin as raw bytes (a Latin-1 or BOM case must reach lint as sent). */
async function lintBytes(args: string[], bytes: Buffer): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  let err = '';
  stdout.on('data', (c: Buffer) => out.push(Buffer.from(c)));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const stdin = new PassThrough();
  stdin.end(bytes);
  const io: CliIO = { stdout, stderr, stdin, env: {}, cwd: process.cwd() };
  const code = await runCli(['lint', ...args, '-'], io);
  return { code, stdout: Buffer.concat(out), stderr: err };
}

t.test(`lint fuzz: ${FUZZ_COUNT} seeded manifests (seed ${SEED})`, async (t) => {
  const corpus = seedCorpus();
  const problems: string[] = [];
  const codes = new Map<number, number>();
  let fixedRuns = 0;
  let ran = 0;
  const deadline = Date.now() + BUDGET_MS;
  for (let index = 0; index < FUZZ_COUNT && Date.now() < deadline; index++) {
    ran++;
    const c = manifestCase(corpus, SEED, index);
    const where = `case ${index} (${c.note})`;
    const plain = await lintBytes(['-o', 'json'], c.bytes);
    codes.set(plain.code, (codes.get(plain.code) ?? 0) + 1);
    if (![0, 1, 2].includes(plain.code)) problems.push(`${where}: exit ${plain.code}`);
    if (plain.code === 2) {
      if (/internal error/.test(plain.stderr)) problems.push(`${where}: ${plain.stderr.trim().slice(0, 200)}`);
      if (plain.stderr.split('\n').length !== 2) problems.push(`${where}: not one line: ${plain.stderr.slice(0, 200)}`);
      if (plain.stderr.length > 400) problems.push(`${where}: a ${plain.stderr.length}-character error`);
      continue;
    }
    const fixed = await lintBytes(['--fix'], c.bytes);
    if (fixed.code === 2) {
      problems.push(`${where}: --fix failed where lint did not: ${fixed.stderr.trim().slice(0, 200)}`);
      continue;
    }
    fixedRuns++;
    try {
      loadAll(fixed.stdout.toString('latin1').replace(/^\ufeff/, ''), () => undefined, { json: false });
    } catch (e) {
      problems.push(`${where}: --fix printed invalid YAML: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const again = await runInProcess(['lint', '-o', 'json', '-'], { stdin: fixed.stdout.toString('utf8') });
    if (again.code === 2 && /internal error/.test(again.stderr)) problems.push(`${where}: the repaired output: ${again.stderr.trim()}`);
  }
  t.same(problems.slice(0, 10), [], `${problems.length} problems`);
  t.comment(`${ran} cases; exit codes: ${[...codes].sort().map(([k, n]) => `${k}: ${n}`).join(', ')}; --fix runs: ${fixedRuns}`);
  t.ok(ran >= Math.min(FUZZ_COUNT, 50), `${ran} cases within the time budget`);
  t.ok((codes.get(2) ?? 0) > 0, 'some inputs are refused');
  t.ok((codes.get(1) ?? 0) > 0, 'some inputs are judged with findings');
  t.ok(fixedRuns > ran / 3, 'most inputs reach --fix');
});
