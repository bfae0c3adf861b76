/**
 * `linkerd-cert-guard rotate`: a trust-anchor rotation step by step, in the order of Linkerd's
 * current guide, never a step too early. Without --apply it reports where the rotation stands; with
 * --apply it does the next step and waits for its gate; --all goes on until the rotation is done.
 * The state is derived from the cluster (or --from files) every time, so a run interrupted anywhere
 * resumes where it stopped. With several --context, each step is done and gated in every cluster
 * before the next. Exit 0 when the plan or step succeeded, 1 when a gate failed or a step is
 * blocked, 2 usage or unreadable input.
 */
import { Option } from 'commander';
import { readObjects } from '../cluster/files.js';
import type { Config } from '../config.js';
import { guardError } from '../errors.js';
import { kindOf, namespaceOf } from '../rules/object.js';
import type { K8sObject } from '../rules/types.js';
import { rotationInput } from '../rotation/input.js';
import { planRotation, referenceTime, STEP_IDS, type RestartReference, type RotationPlan, type StepId } from '../rotation/plan.js';
import { NotManagedHere, type ApiCall, type Cluster } from '../rotation/cluster.js';
import { parseNow } from './check.js';
import { addCommonOptions, configFromFlags, newCommand, parseCommand, type CommonFlags, repeatable } from './common.js';
import { readStdin, type CliIO } from './io.js';

interface RotateFlags extends CommonFlags {
  apply?: boolean;
  all?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  timeout: string;
  namespace: string[];
  kubeconfig?: string;
  context: string[];
  from: string[];
  now?: string;
  output: 'text' | 'json';
}

const DURATION = /^(\d+)(ms|s|m|h)$/;
const MAX_TIMEOUT_MS = 24 * 3600 * 1000;

export function parseDuration(s: string): number {
  const m = DURATION.exec(s.trim());
  if (!m) throw guardError('LCG_FLAG_INVALID', '--timeout', 'a duration', s, '90s, 10m, 1h');
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
  if (ms <= 0 || ms > MAX_TIMEOUT_MS) throw guardError('LCG_FLAG_OUT_OF_RANGE', '--timeout', s, '1ms to 24h');
  return ms;
}

interface ClusterState {
  cluster: Cluster | undefined;
  name: string;
  objects: K8sObject[];
  plan: RotationPlan;
  reference: (step: StepId) => RestartReference | undefined;
}

/** Pods outside the control plane and outside `--namespace` take no part (when --namespace is given). */
function scoped(objects: K8sObject[], config: Config, namespaces: readonly string[]): K8sObject[] {
  if (namespaces.length === 0) return objects;
  return objects.filter((o) => kindOf(o) !== 'Pod' || namespaceOf(o) === config.linkerdNamespace || namespaces.includes(namespaceOf(o) ?? ''));
}

async function clusterState(config: Config, name: string, objects: K8sObject[], cluster: Cluster | undefined, podsKnown: boolean): Promise<ClusterState> {
  const input = rotationInput(config, { objects, podsKnown });
  return { cluster, name, objects, plan: await planRotation(input), reference: (step) => referenceTime(step, input) };
}

function stepIndex(plan: RotationPlan): number {
  return plan.next ? STEP_IDS.indexOf(plan.next.id) : STEP_IDS.length;
}

const MARK: Record<string, string> = { done: '\u221a', next: '\u2192', pending: '\u00b7', unknown: '?', blocked: '\u00d7' };

function textReport(states: ClusterState[], applied: Array<{ cluster: string; step: StepId; calls: ApiCall[] }>, dryRun: boolean): string {
  const lines: string[] = [];
  for (const a of applied) {
    for (const c of a.calls) lines.push(`${dryRun ? 'would ' : ''}${c.verb} ${c.what}: ${c.detail}${states.length > 1 ? ` [${a.cluster}]` : ''}`);
    if (a.calls.length === 0 && !dryRun) lines.push(`${a.step}: nothing to change${states.length > 1 ? ` in ${a.cluster}` : ''}; waited for its gate`);
  }
  if (applied.length) lines.push('');
  for (const s of states) {
    if (states.length > 1) lines.push(`cluster ${s.name}`);
    lines.push(`trust anchor rotation: ${s.plan.phase}`);
    for (const [i, step] of s.plan.steps.entries()) lines.push(`${MARK[step.state] ?? ' '} ${i + 1}. ${step.id} (${step.state}): ${step.detail}`);
    for (const b of s.plan.blockers) lines.push(`blocked: ${b}`);
    lines.push(s.plan.next ? `next: ${s.plan.next.id}: ${s.plan.next.title}${s.plan.phase === 'steady' ? ' (starts a rotation)' : ''} (linkerd-cert-guard rotate --apply)` : 'next: nothing');
    lines.push('');
  }
  return lines.join('\n');
}

function jsonReport(states: ClusterState[], applied: Array<{ cluster: string; step: StepId; calls: ApiCall[] }>, dryRun: boolean): string {
  const one = (s: ClusterState) => ({ phase: s.plan.phase, steps: s.plan.steps, next: s.plan.next, blockers: s.plan.blockers });
  const appliedOut = applied.length ? { [dryRun ? 'wouldApply' : 'applied']: applied } : {};
  if (states.length === 1 && states[0]) return JSON.stringify({ ...one(states[0]), ...appliedOut }, null, 2) + '\n';
  const first = [...states].sort((a, b) => stepIndex(a.plan) - stepIndex(b.plan))[0];
  return JSON.stringify({ clusters: states.map((s) => ({ cluster: s.name, ...one(s) })), next: first?.plan.next ?? null, ...appliedOut }, null, 2) + '\n';
}

async function confirm(io: CliIO, question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const cmd = addCommonOptions(
    newCommand('rotate', io)
      .description("walk a trust-anchor rotation in the order of Linkerd's guide: report, or --apply the next step and wait for its gate")
      .option('--apply', 'do the next step and wait for its gate')
      .option('--all', 'with --apply: go on step by step until the rotation is done')
      .option('--yes', 'do not ask before each step on a terminal')
      .option('--dry-run', 'list the API calls the next step would make, and change nothing')
      .option('--timeout <duration>', 'how long to wait for each gate (e.g. 90s, 10m)', '10m')
      .option('--namespace <ns>', 'only these data-plane namespaces (repeatable; default all)', repeatable, [] as string[])
      .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
      .option('--context <name>', 'kubeconfig context (repeatable: one rotation across clusters that share an anchor)', repeatable, [] as string[])
      .option('--from <path>', 'judge exported objects (kubectl get -o yaml; file, directory or - for stdin; repeatable)', repeatable, [] as string[])
      .option('--now <time>', 'an RFC 3339 time (accepted for symmetry with check; the plan does not depend on the clock)')
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text')),
  );
  const done = parseCommand(cmd, argv);
  if (done !== undefined) return done;
  const flags = cmd.opts<RotateFlags>();
  const config = configFromFlags(flags);
  parseNow(flags.now);
  const timeoutMs = parseDuration(flags.timeout);
  if (flags.all && !flags.apply) throw guardError('LCG_FLAG_MISSING', '--all', '--apply');
  if (flags.from.length > 0) {
    if (flags.apply) throw guardError('LCG_FLAG_CONFLICT', '--apply', 'changes a live cluster', '--from');
    if (flags.kubeconfig !== undefined || flags.context.length > 0) throw guardError('LCG_FLAG_CONFLICT', '--kubeconfig/--context', 'read a live cluster', '--from');
    const stdinText = flags.from.includes('-') ? await readStdin(io) : undefined;
    const objects = scoped(readObjects(flags.from, io.cwd, stdinText), config, flags.namespace);
    const state = await clusterState(config, 'files', objects, undefined, objects.some((o) => kindOf(o) === 'Pod'));
    io.stdout.write(flags.output === 'json' ? jsonReport([state], [], false) : textReport([state], [], false));
    return state.plan.blockers.length > 0 ? 1 : 0;
  }

  const { connectCluster } = await import('../rotation/cluster.js');
  if (new Set(flags.context).size !== flags.context.length) throw guardError('LCG_FLAG_REPEATED', '--context', flags.context.find((c, i) => flags.context.indexOf(c) !== i) ?? '');
  const contexts = flags.context.length > 0 ? flags.context : [undefined];
  const clusters = await Promise.all(contexts.map((context) => connectCluster(config, { ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), ...(context ? { context } : {}) })));
  const readAll = async (): Promise<ClusterState[]> =>
    Promise.all(clusters.map(async (c) => clusterState(config, c.name, scoped(await c.read(), config, flags.namespace), c, true)));
  const progress = (line: string): void => {
    if (io.stderr.isTTY) io.stderr.write(`${line}\n`);
  };

  let states = await readAll();
  const applied: Array<{ cluster: string; step: StepId; calls: ApiCall[] }> = [];
  let failed: string | undefined;
  while (flags.apply || flags.dryRun) {
    const blocked = states.flatMap((s) => s.plan.blockers.map((b) => (states.length > 1 ? `${s.name}: ${b}` : b)));
    if (blocked.length > 0) {
      failed = `blocked: ${blocked[0]}`;
      break;
    }
    // The step every cluster must reach before any goes further.
    const index = Math.min(...states.map((s) => stepIndex(s.plan)));
    const step = STEP_IDS[index];
    if (step === undefined) break;
    if (applied.length > 0 && step === 'renew-anchor' && states.every((s) => s.plan.phase === 'steady')) break; // the rotation is done
    const unknown = states.find((s) => s.plan.steps[index]?.state === 'unknown');
    if (unknown) {
      failed = `${step}: ${unknown.plan.steps[index]?.detail ?? 'state unknown'}${states.length > 1 ? ` in ${unknown.name}` : ''}`;
      break;
    }
    const todo = states.filter((s) => stepIndex(s.plan) === index && s.cluster);
    // A cluster whose anchor (or issuer) Secret is synced from another cluster has no Certificate to
    // renew: it waits for the copy, as long as some cluster does renew it.
    const notHere: string[] = [];
    const batch = todo.map((s) => {
      try {
        return { cluster: s.name, step, calls: s.cluster?.plan(step, s.objects, s.reference(step)) ?? [] };
      } catch (e) {
        if (!(e instanceof NotManagedHere)) throw e;
        notHere.push(e.message);
        return { cluster: s.name, step, calls: [] };
      }
    });
    if (notHere.length === todo.length && notHere.length > 0) {
      failed = `${step}: ${notHere[0] ?? ''}`;
      break;
    }
    applied.push(...batch);
    if (flags.dryRun) break;
    if (io.stdin && (io.stdin as { isTTY?: boolean }).isTTY && !flags.yes && !(await confirm(io, `apply ${step} (${batch.flatMap((b) => b.calls).length} change(s))?`))) {
      failed = `${step}: not confirmed`;
      break;
    }
    for (const [i, b] of batch.entries()) await todo[i]?.cluster?.apply(b.calls, todo[i]?.objects ?? [], todo[i]?.reference(step));
    progress(`${step}: applied, waiting for its gate (up to ${flags.timeout})`);
    const deadline = Date.now() + timeoutMs;
    let lastDetail = '';
    for (;;) {
      states = await readAll();
      const passed = states.every((s) => stepIndex(s.plan) > index || (step === 'retire-old-anchor' && s.plan.phase === 'steady'));
      if (passed) break;
      const waiting = states.find((s) => stepIndex(s.plan) <= index);
      const detail = waiting?.plan.steps[index]?.detail ?? '';
      if (detail !== lastDetail) progress(`  ${detail}`);
      lastDetail = detail;
      if (waiting?.plan.blockers.length) {
        failed = `${step}: ${waiting.plan.blockers[0] ?? ''}`;
        break;
      }
      if (Date.now() > deadline) {
        failed = `${step}: gate not reached within ${flags.timeout}: ${detail}${states.length > 1 && waiting ? ` (cluster ${waiting.name})` : ''}`;
        break;
      }
      // A restart step may call for more restarts as it goes: the rest of the control plane once the
      // identity controller runs with the new issuer, or a workload restarted by hand meanwhile.
      // Restarts already under way are never asked for twice (restartCalls).
      if (step.startsWith('restart-')) {
        for (const s of states.filter((x) => stepIndex(x.plan) === index && x.cluster)) {
          const calls = s.cluster?.plan(step, s.objects, s.reference(step)) ?? [];
          if (calls.length === 0) continue;
          await s.cluster?.apply(calls, s.objects, s.reference(step));
          applied.push({ cluster: s.name, step, calls });
          progress(`  ${step}: ${calls.map((c) => c.what).join(', ')} restarted`);
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (failed || !flags.all) break;
    if (step === 'retire-old-anchor') break; // the last gate passed: steady again
  }
  io.stdout.write(flags.output === 'json' ? jsonReport(states, applied, flags.dryRun === true) : textReport(states, applied, flags.dryRun === true));
  if (failed) {
    io.stderr.write(`linkerd-cert-guard: rotate: ${failed}\n`);
    return 1;
  }
  if (!flags.apply && states.some((s) => s.plan.blockers.length > 0)) return 1;
  return 0;
}
