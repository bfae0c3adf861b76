/**
 * `npm run bench`: runs every compiled `test/bench/*.bench.js` in its own Node process
 * (so one benchmark's heap and JIT state never colour another's) and relays its report.
 * Each bench prints its own figures and exits non-zero only if it could not run.
 * At the end, every goal line the benches printed (goals.ts) is listed again as a summary.
 * `npm run bench -- webhook check` runs the benches whose names start with those words.
 */
import { readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GOAL_PREFIX } from './goals.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

/** Run one bench, relaying its output as it comes; resolves to its exit code and goal lines. */
function runBench(file: string): Promise<{ code: number | null; goals: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', join(here, file)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const goals: string[] = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith(GOAL_PREFIX)) goals.push(l.slice(GOAL_PREFIX.length));
    });
    child.on('close', (code) => {
      if (pending.startsWith(GOAL_PREFIX)) goals.push(pending.slice(GOAL_PREFIX.length));
      resolve({ code, goals });
    });
  });
}

let failed = 0;
const summary: Array<{ bench: string; goal: string }> = [];
for (const f of files) {
  const bench = f.replace(/\.bench\.js$/, '');
  process.stdout.write(`\n== ${bench} ==\n`);
  const r = await runBench(f);
  if (r.code !== 0) {
    failed++;
    summary.push({ bench, goal: `bench could not run (exit ${r.code})` });
  }
  for (const g of r.goals) summary.push({ bench, goal: g });
}
if (files.length === 0) process.stdout.write('no benchmarks found (run `npm run build` first)\n');
else {
  const met = summary.filter((s) => / MET$/.test(s.goal) && !/NOT MET$/.test(s.goal)).length;
  const notMet = summary.filter((s) => /NOT MET$/.test(s.goal)).length;
  process.stdout.write(`\n== summary: ${met} goals met, ${notMet} not met, ${summary.length - met - notMet} other ==\n`);
  for (const s of summary) process.stdout.write(`${s.bench.padEnd(13)} ${s.goal}\n`);
}
process.exitCode = failed ? 1 : 0;
