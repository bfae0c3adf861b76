/**
 * The webhook under fuzz (issue 12). Starts the real `serve` command in a child process, sends it
 * seeded structure-aware hostile reviews (test/helpers/fuzz.ts) plus oversized bodies, and reports
 * requests sent, status counts, invariant violations, and the peak RSS of `serve` (the kernel's
 * VmHWM). Goal: peak RSS under 150 MB; no 5xx, no unappliable patch, a live server afterwards.
 *
 *   npm run bench -- fuzz           20,000 requests (part of the benchmarks)
 *   npm run fuzz                    110,000 requests, the size of the original outside probe
 *   node dist/test/bench/fuzz.bench.js --count N --seed S --concurrency C
 *   LCG_BENCH_CLI=<other build's dist/bin/main.js>   the same run against another build
 *
 * Exits 1 when an invariant is broken (a 5xx, an unappliable patch, an unbounded answer, a server
 * that died); the RSS goal is reported PASS/FAIL like the other benchmarks.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import fjp from 'fast-json-patch';
import { reviewCase, rng, seedCorpus } from '../helpers/fuzz.js';
import { makeServingCert, writeSecretVolume } from '../webhook/helpers.js';
import { goal } from './goals.js';

const GOAL_RSS_MB = 150;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// LCG_BENCH_CLI=/path/to/other/dist/bin/main.js measures another build the same way
const cli = process.env.LCG_BENCH_CLI ?? join(root, 'dist', 'bin', 'main.js');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const COUNT = arg('count', 20_000);
const SEED = arg('seed', 20261202);
const CONCURRENCY = arg('concurrency', 8);

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

interface Answer {
  status: number;
  text: string;
}

function send(port: number, ca: string, agent: Agent | false, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', servername: 'localhost', ca, agent, headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const serving = await makeServingCert('fuzz.linkerd-cert-guard');
  const dir = mkdtempSync(join(tmpdir(), 'lcg-fuzz-bench-'));
  writeSecretVolume(join(dir, 'tls'), { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem });
  const child = spawn(process.execPath, [cli, 'serve', '--tls-dir', join(dir, 'tls'), '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--drain-delay', '0', '--no-cache'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let logLines = 0;
  const ports = await new Promise<{ port: number; metrics: number }>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logLines++;
        if (line.includes('"listening"')) {
          const l = JSON.parse(line) as { listen: string; metricsListen: string };
          resolve({ port: Number(l.listen.split(':').pop()), metrics: Number(l.metricsListen.split(':').pop()) });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening`)));
  });
  const pid = child.pid ?? 0;
  const rssAtStart = status(pid, 'VmRSS');

  const corpus = seedCorpus();
  const r = rng(SEED);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statuses = new Map<string, number>();
  const count = (k: string): void => void statuses.set(k, (statuses.get(k) ?? 0) + 1);
  const violations: string[] = [];
  let patches = 0;
  let next = 0;
  const big = Buffer.alloc(2_900_000, 0x20); // whitespace inside the limit: a body the server must read whole
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < COUNT) {
      const index = next++;
      const roll = r();
      try {
        if (roll < 0.005) {
          // oversized: 413 at once, the connection closed (its own connection: no keep-alive to spoil)
          const a = await send(ports.port, serving.certPem, false, '/validate', Buffer.alloc(3_200_000, 0x20)).catch((e: NodeJS.ErrnoException) => ({ status: -1, text: e.code ?? '' }));
          count(a.status === -1 ? `reset (${a.text})` : String(a.status));
          if (a.status >= 500) violations.push(`oversized case ${index}: ${a.status}`);
          continue;
        }
        const c = reviewCase(corpus, SEED, index);
        const body = roll < 0.015 ? Buffer.concat([c.body.subarray(0, 1), big, c.body.subarray(1)]) : c.body;
        const path = index % 2 === 0 ? '/mutate' : '/validate';
        const a = await send(ports.port, serving.certPem, agent, path, body);
        count(String(a.status));
        if (a.status >= 500) violations.push(`case ${index} (${c.note}): ${a.status} ${a.text.slice(0, 120)}`);
        if (a.text.length > 32 * 1024) violations.push(`case ${index}: a ${a.text.length}-byte answer`);
        if (a.status !== 200) continue;
        const response = (JSON.parse(a.text) as { response: { patch?: string; status?: { message?: string }; warnings?: string[] } }).response;
        if (Buffer.byteLength(response.status?.message ?? '') > 4096) violations.push(`case ${index}: status.message over 4096 bytes`);
        if ((response.warnings ?? []).reduce((n, w) => n + Buffer.byteLength(w), 0) > 4096) violations.push(`case ${index}: warnings over 4096 bytes`);
        if (response.patch !== undefined) {
          patches++;
          try {
            const sent = (JSON.parse(c.body.toString('utf8')) as { request: { object: unknown } }).request.object;
            fjp.applyPatch(sent, JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as fjp.Operation[], true, false);
          } catch (e) {
            violations.push(`case ${index} (${c.note}): unappliable patch: ${(e as Error).message.split('\n')[0]}`);
          }
        }
      } catch (e) {
        count(`error (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
  };
  let peakSampled = 0;
  const sampler = setInterval(() => (peakSampled = Math.max(peakSampled, status(pid, 'VmRSS'))), 100);
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();

  const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
  const series = metrics.split('\n').filter((l) => l.startsWith('linkerd_cert_guard_admission_requests_total{')).length;
  const health = await new Promise<number>((resolve) => {
    const req = request({ host: '127.0.0.1', port: ports.port, path: '/healthz', servername: 'localhost', ca: serving.certPem, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(-1));
    req.end();
  });
  const peak = status(pid, 'VmHWM');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const exitCode = await exited;
  if (health !== 200) violations.push(`/healthz answered ${health} after the fuzz`);
  if (exitCode !== 0) violations.push(`serve exited ${exitCode} on SIGTERM`);
  if (metrics.length > 64 * 1024) violations.push(`/metrics grew to ${metrics.length} bytes`);

  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  const errors = [...statuses].filter(([k]) => !/^\d+$/.test(k)).reduce((n, [, v]) => n + v, 0);
  const lines = [
    `requests sent:        ${COUNT} in ${seconds.toFixed(1)} s (${(COUNT / seconds).toFixed(0)} req/s, concurrency ${CONCURRENCY}, seed ${SEED})`,
    `status counts:        ${[...statuses].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`,
    `5xx:                  ${[...statuses].filter(([k]) => /^5/.test(k)).reduce((n, [, v]) => n + v, 0)}  ${verdict(![...statuses.keys()].some((k) => /^5/.test(k)))}`,
    `patches applied:      ${patches} (every one with fast-json-patch validation)`,
    `client-side errors:   ${errors} (connection resets after a 413 on an oversized upload count here)`,
    `violations:           ${violations.length}  ${verdict(violations.length === 0)}${violations.length ? `\n  ${violations.slice(0, 10).join('\n  ')}` : ''}`,
    `/metrics after:       ${metrics.length} bytes, ${series} admission request series`,
    `serve alive after:    /healthz ${health}, SIGTERM exit ${exitCode}; ${logLines} log lines`,
    `serve RSS:            ${rssAtStart.toFixed(1)} MB at start, peak ${peak.toFixed(1)} MB (VmHWM; sampled peak ${peakSampled.toFixed(1)} MB) (goal < ${GOAL_RSS_MB} MB)  ${verdict(peak < GOAL_RSS_MB)}`,
    `(node ${process.version}; bodies: fuzzed reviews, 1% padded to 2.9 MB, 0.5% of 3.2 MB over the limit)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  goal('fuzzed reviews: no 5xx, no violation', `${violations.length} violations`, '0', violations.length === 0 && ![...statuses.keys()].some((k) => /^5/.test(k)));
  goal('serve peak RSS under the fuzz', `${peak.toFixed(1)} MB`, `< ${GOAL_RSS_MB} MB`, peak < GOAL_RSS_MB);
  process.exitCode = violations.length > 0 ? 1 : 0;
}

main().catch((e: unknown) => {
  process.stderr.write(`fuzz bench could not run: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
