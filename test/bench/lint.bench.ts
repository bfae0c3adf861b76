/**
 * Lint throughput on 5,000 documents (issue 14 goal: >= 25,000 documents/s beyond Node's start-up,
 * was 10,000 in issue 4). Measured two ways: the whole CLI as a subprocess minus `node -e 0` (the
 * goal), and in-process (for reference).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig } from '../../checks/config.js';
import { entriesOf, parseSource } from '../../checks/lint/input.js';
import { lintEntries } from '../../checks/lint/run.js';
import { toJsonDocument } from '../../checks/lint/format.js';
import { goal } from './goals.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'bin', 'main.js');
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
  JSON.stringify(toJsonDocument(results, 0));
  inproc.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const inprocRate = DOCS / (median(inproc) / 1000);

console.log(`documents: ${DOCS} (${(text.length / 1024).toFixed(0)} KiB)`);
console.log(`node -e 0: ${node0.toFixed(1)} ms; lint -o json (whole CLI): ${whole.toFixed(1)} ms; beyond start-up: ${beyond.toFixed(1)} ms`);
console.log(`in-process parse+judge+report: ${median(inproc).toFixed(1)} ms = ${inprocRate.toFixed(0)} documents/s`);
goal('lint throughput beyond start-up', `${rate.toFixed(0)} documents/s (${DOCS} documents, median of 5 whole CLI runs minus node -e 0)`, '>= 25,000 documents/s', rate >= 25_000);

// --fix on 20,000 documents that each need a repair (issue 12: was 277 s and 763 MB, quadratic in
// the number of documents). Goal: linear, under 30 s and 400 MB peak on this machine.
const FIX_DOCS = 20_000;
const fixParts: string[] = [];
for (let i = 0; i < FIX_DOCS; i++) {
  fixParts.push(`apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: anchor-${i}\n  namespace: cert-manager\n  labels: {linkerd-cert-guard.io/role: trust-anchor}\nspec:\n  secretName: linkerd-trust-anchor\n  isCA: true\n  commonName: root.linkerd.cluster.local\n  issuerRef: {kind: Issuer, name: root}\n  privateKey:\n    algorithm: ECDSA\n`);
}
const fixFile = join(dir, 'fix.yaml');
writeFileSync(fixFile, fixParts.join('---\n'));
function fixRun(n: number): { ms: number; rssMb: number } {
  const f = join(dir, `fix-${n}.yaml`);
  writeFileSync(f, fixParts.slice(0, n).join('---\n'));
  const t0 = process.hrtime.bigint();
  // /usr/bin/time is not everywhere; the child reports its own peak RSS (maxRSS) on exit
  const r = spawnSync(process.execPath, ['-e', `process.on('exit', () => process.stderr.write('\\nRSS ' + process.resourceUsage().maxRSS + '\\n')); process.argv = [process.argv[0], ${JSON.stringify(cli)}, 'lint', '--fix', '-o', 'json', ${JSON.stringify(f)}]; import(${JSON.stringify(cli)});`], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rss = Number(/RSS (\d+)/.exec(r.stderr.toString())?.[1] ?? NaN) / 1024;
  if (r.status !== 0 && r.status !== 1) throw new Error(`lint --fix failed: ${r.stderr.toString()}`);
  return { ms, rssMb: rss };
}
const fix5k = fixRun(FIX_DOCS / 4);
const fix20k = fixRun(FIX_DOCS);
const growth = fix20k.ms / fix5k.ms;
console.log(`lint --fix: ${FIX_DOCS / 4} documents ${(fix5k.ms / 1000).toFixed(1)} s, ${FIX_DOCS} documents ${(fix20k.ms / 1000).toFixed(1)} s (x${growth.toFixed(1)} for x4 documents: ${growth < 6 ? 'linear' : 'super-linear'}), peak RSS ${fix20k.rssMb.toFixed(0)} MB`);
goal('lint --fix on 20,000 documents', `${(fix20k.ms / 1000).toFixed(1)} s, peak RSS ${fix20k.rssMb.toFixed(0)} MB, x${growth.toFixed(1)} for x4 documents`, '< 30 s, < 400 MB, linear (< x6)', fix20k.ms < 30_000 && fix20k.rssMb < 400 && growth < 6);
