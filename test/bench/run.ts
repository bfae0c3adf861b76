/**
 * `npm run bench`: runs every compiled `test/bench/*.bench.js` in its own Node process
 * (so one benchmark's heap and JIT state never colour another's) and relays its report.
 * Each bench prints its own figures and exits non-zero only if it could not run.
 */
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n== ${f.replace(/\.bench\.js$/, '')} ==\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
if (files.length === 0) process.stdout.write('no benchmarks found (run `npm run build` first)\n');
process.exitCode = failed ? 1 : 0;
