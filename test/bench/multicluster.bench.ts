/**
 * `check` over several clusters: wall time of one `check --context east` against one
 * `check --context east --context west --context south`, three real kube-apiservers (each with its own
 * etcd) on loopback, read concurrently. Needs the end-to-end tools (bash test/e2e/provision.sh); without
 * them it prints one line and exits 0. Identity objects: Secrets and ConfigMaps with keys generated here.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { findTools, startEnv, stopAll, type Env } from '../e2e/harness.js';
import { kubeconfigIn, writeIdentity } from '../e2e/clusters.js';
import { makeLinkerdChain, issue, makeKeyPair } from '../helpers/pki.js';
import { run as runCheck } from '../../checks/cli/check.js';

/** In-process `check` (no Node start-up): the reading and judging alone. */
async function timeInProcess(args: string[]): Promise<number> {
  const sink = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
  const io = { stdout: sink, stderr: sink, stdin: process.stdin, env: {}, cwd: process.cwd() };
  const times: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    await runCheck(args, io);
    if (i >= 2) times.push(performance.now() - t0);
  }
  return median(times);
}

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '../../bin/main.js');
const RUNS = 11;
const NAMES = ['east', 'west', 'south'] as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(args: string[]): { ms: number; status: number | null } {
  const times: number[] = [];
  let status: number | null = 0;
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [main, ...args], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    const dt = performance.now() - t0;
    status = r.status;
    if (i >= 2) times.push(dt);
  }
  return { ms: median(times), status };
}

const found = findTools();
if (found.tools === null) {
  process.stdout.write(`multicluster bench skipped: ${found.missing.join(', ')} not built (bash test/e2e/provision.sh)\n`);
} else {
  const envs: Env[] = [];
  try {
    const t0 = performance.now();
    envs.push(...(await Promise.all(NAMES.map(() => startEnv(found.tools)))));
    process.stdout.write(`three clusters (etcd + kube-apiserver each) started in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const chain = await makeLinkerdChain();
    const identity = 'identity.linkerd.cluster.local';
    for (const e of envs) {
      const issuer = await issue(await makeKeyPair('P-256'), chain.anchor, { cn: identity, dnsNames: [identity], isCA: true, pathLen: 0 });
      await writeIdentity(e.cluster, { issuer, anchor: chain.anchor, bundle: [chain.anchor] });
    }
    const kc = kubeconfigIn(envs[0]!.dir, Object.fromEntries(NAMES.map((n, i) => [n, envs[i]!.cluster])));
    const one = time(['check', '--kubeconfig', kc, '--context', 'east', '-o', 'json']);
    const three = time(['check', '--kubeconfig', kc, ...NAMES.flatMap((n) => ['--context', n]), '-o', 'json']);
    process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${RUNS} runs each, wall = median of whole CLI processes\n`);
    process.stdout.write(`check, 1 cluster                   wall ${one.ms.toFixed(1)} ms (exit ${one.status})\n`);
    process.stdout.write(`check, 3 clusters concurrently     wall ${three.ms.toFixed(1)} ms (exit ${three.status}) = ${(three.ms / one.ms).toFixed(2)}x one cluster (3 separate runs: ${(3 * one.ms).toFixed(0)} ms)\n`);
    // the same in one process, so Node's start-up (paid once either way) does not hide the reads
    const oneIn = await timeInProcess(['--kubeconfig', kc, '--context', 'east', '-o', 'json']);
    const threeIn = await timeInProcess(['--kubeconfig', kc, ...NAMES.flatMap((n) => ['--context', n]), '-o', 'json']);
    process.stdout.write(`in process, 1 cluster              wall ${oneIn.toFixed(1)} ms\n`);
    process.stdout.write(`in process, 3 clusters concurrently wall ${threeIn.toFixed(1)} ms = ${(threeIn / oneIn).toFixed(2)}x one cluster\n`);
  } finally {
    await stopAll(envs[0]?.dir);
    for (const e of envs) rmSync(e.dir, { recursive: true, force: true });
  }
}
