/**
 * Lint throughput on 5,000 documents (goal: >= 10,000 documents/s beyond Node's start-up).
 * Measured two ways: the whole CLI as a subprocess minus `node -e 0`, and in-process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig } from '../../checks/config.js';
import { entriesOf, parseSource } from '../../checks/lint/input.js';
import { lintEntries } from '../../checks/lint/run.js';
import { toJson } from '../../checks/lint/format.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'checks', 'cli', 'main.js');
const DOCS = 5000;

// A realistic mix: seed 001's setup (9 documents) plus broken variants, repeated.
const seed = readFileSync(join(root, 'test', 'fixtures', 'seeds', '001-cert-manager-trust-manager.yaml'), 'utf8');
const seedDocs = seed.split(/^---$/m);
const parts: string[] = [];
for (let i = 0; parts.length < DOCS; i++) {
  const d = seedDocs[i % seedDocs.length] as string;
  parts.push(i % 3 === 0 ? d.replace('rotationPolicy: Always', 'rotationPolicy: Never') : d);
}
const text = parts.join('---\n');
const dir = mkdtempSync(join(tmpdir(), 'lcg-bench-'));
const file = join(dir, 'manifests.yaml');
writeFileSync(file, text);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function timeRun(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`lint failed: ${r.stderr.toString()}`);
  return ms;
}

const node0 = median(Array.from({ length: 5 }, () => timeRun(['-e', '0'])));
const whole = median(Array.from({ length: 5 }, () => timeRun([cli, 'lint', '-o', 'json', file])));
const beyond = whole - node0;
const rate = DOCS / (beyond / 1000);

const config = resolveConfig();
const inproc: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = process.hrtime.bigint();
  const results = lintEntries(entriesOf(parseSource(file, text)), config);
  JSON.stringify(toJson(results, 0));
  inproc.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const inprocRate = DOCS / (median(inproc) / 1000);

console.log(`documents: ${DOCS} (${(text.length / 1024).toFixed(0)} KiB)`);
console.log(`node -e 0: ${node0.toFixed(1)} ms; lint -o json (whole CLI): ${whole.toFixed(1)} ms; beyond start-up: ${beyond.toFixed(1)} ms`);
console.log(`lint throughput beyond start-up: ${rate.toFixed(0)} documents/s (goal >= 10000) ${rate >= 10000 ? 'PASS' : 'FAIL'}`);
console.log(`in-process parse+judge+report: ${median(inproc).toFixed(1)} ms = ${inprocRate.toFixed(0)} documents/s`);
