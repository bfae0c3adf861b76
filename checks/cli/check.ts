/**
 * `linkerd-cert-guard check`: Linkerd's identity checks and the ones `linkerd check` misses, against
 * files (--from YAML, PEM flags) or a live cluster. Exit 0 nothing at or above --fail-on, 1 findings at
 * or above it, 2 usage or unreadable input.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { readObjects, readPem } from '../cluster/files.js';
import type { SnapshotInputs } from '../cluster/snapshot.js';
import { packageVersion, TOOL_NAME } from '../tool.js';
import { guardError, isGuardError } from '../errors.js';
import type { Reported } from '../identity/format.js';
import { outputOption, render, type FormatOf } from '../report/formats.js';
import type { ClusterState } from '../identity/multicluster.js';
import type { CheckReport } from '../identity/types.js';
import { paletteFor } from '../report/color.js';
import { addCommonOptions, parseCommand, configFromFlags, failOnOption, newCommand, type CommonFlags, repeatable } from './common.js';
import { readStdin, type CliIO } from './io.js';

interface CheckFlags extends CommonFlags {
  kubeconfig?: string;
  context: string[];
  from: string[];
  issuerCert?: string;
  issuerKey?: string;
  trustAnchors?: string;
  trustBundle?: string;
  proxy?: boolean;
  now?: string;
  output: FormatOf<'check'>;
  failOn: 'error' | 'warning';
  // the flags `linkerd check` forwards to an extension
  apiAddr?: string;
  as?: string;
  asGroup: string[];
  namespace?: string;
  wait: number;
  verbose?: boolean;
}

/** More clusters than this in one run is a usage error; this many are read at once. */
export const MAX_CLUSTERS = 16;
export const CLUSTER_CONCURRENCY = 4;
/** Longest --wait accepted. */
const MAX_WAIT_MS = 60 * 60_000;

/** What `linkerd check` runs first to find extensions that want to run on every check. */
export const EXTENSION_METADATA = { name: TOOL_NAME, checks: 'always' } as const;

/** `linkerd-cert-guard _extension-metadata` */
export async function extensionMetadata(argv: string[], io: CliIO): Promise<number> {
  const cmd = newCommand('_extension-metadata', io).description('print the metadata `linkerd check` reads to run this extension on every check');
  const done = parseCommand(cmd, argv);
  if (done !== undefined) return done;
  io.stdout.write(JSON.stringify(EXTENSION_METADATA) + '\n');
  return 0;
}

/** Go's strconv.ParseBool, as `--proxy=false` and `--verbose=false` come from the linkerd CLI. */
export function parseBool(flag: string): (v: string) => boolean {
  return (v) => {
    if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
    if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
    throw new InvalidArgumentError(`${flag} expects true or false`);
  };
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`5m0s`, `90s`, `1.5h`, `0`) in milliseconds, as `linkerd check --wait` forwards it. */
export function parseGoDuration(v: string): number {
  const bad = () => new InvalidArgumentError('--wait expects a duration such as 5m0s or 30s');
  if (v === '0') return 0;
  if (v.length > 40 || !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) throw bad();
  let ms = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * (GO_UNITS[m[2]!] ?? NaN);
  if (!Number.isFinite(ms)) throw bad();
  if (ms > MAX_WAIT_MS) throw new InvalidArgumentError('--wait is at most 1h');
  return Math.round(ms);
}

/**
 * --as-group, repeatable. The linkerd CLI forwards its string array as one value in pflag's form,
 * `[]` for none or `[a,b]` (CSV inside brackets); a plain value is one group.
 */
export function collectGroups(v: string, prev: string[]): string[] {
  const out = collectGroupsUnbounded(v, prev);
  if (out.length > MAX_GROUPS) throw new InvalidArgumentError(`--as-group: at most ${MAX_GROUPS} groups`);
  if (out.some((g) => g.length > 1024)) throw new InvalidArgumentError('--as-group: a group name is at most 1024 characters');
  return out;
}
const MAX_GROUPS = 64;

function collectGroupsUnbounded(v: string, prev: string[]): string[] {
  if (!(v.startsWith('[') && v.endsWith(']'))) return [...prev, v];
  const inner = v.slice(1, -1);
  if (inner === '') return prev;
  const groups: string[] = [];
  // CSV as Go's encoding/csv writes it: fields quoted when they hold a comma or a quote ("" escapes ")
  for (const m of inner.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)) groups.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] ?? ''));
  return [...prev, ...groups.filter((g) => g !== '')];
}

interface ClusterInput {
  /** undefined: the one cluster of a single-cluster run */
  name?: string;
  context?: string;
  /** --from paths (files mode) */
  from?: string[];
}

const CLUSTER_NAME = /^([A-Za-z0-9][A-Za-z0-9._-]{0,62})=(.+)$/;

/** --from NAME=PATH names a cluster; a path that exists as written (even with `=` in it) stays a path. */
function namedFrom(v: string, cwd: string): { name: string; path: string } | undefined {
  const m = CLUSTER_NAME.exec(v);
  if (!m || existsSync(resolve(cwd, v))) return undefined;
  return { name: m[1]!, path: m[2]! };
}

/** Bounded concurrency: `f` over `items`, at most `limit` at a time, results in input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseNow(s: string | undefined): Date {
  if (s === undefined) return new Date();
  const d = new Date(s);
  if (!RFC3339.test(s) || Number.isNaN(d.getTime())) throw guardError('LCG_FLAG_INVALID', '--now', 'an RFC 3339 time', s, '2026-01-01T00:00:00Z');
  return d;
}

/** The judging half of `check` (identity/judging.ts), loaded on demand. */
const loadJudging = () => import('../identity/judging.js');

/** Exit code of a report: 1 when anything reaches --fail-on. */
export function exitCodeFor(report: Pick<CheckReport, 'success' | 'results'>, failOn: 'error' | 'warning'): number {
  if (!report.success) return 1;
  if (failOn === 'warning' && report.results.some((r) => r.result === 'warning')) return 1;
  return 0;
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const cmd = addCommonOptions(
    newCommand('check', io)
      .description("verify Linkerd's identity certificates like `linkerd check`, and what it misses; runs as a `linkerd check` extension")
      .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
      .option('--context <name>', 'kubeconfig context; repeat it to judge several clusters together', repeatable, [] as string[])
      .option('--from <path>', 'YAML of Secret/ConfigMaps/Certificates/Bundle/Pods (file, directory, or - for stdin; repeatable); NAME=PATH names a cluster', repeatable, [] as string[])
      .option('--issuer-cert <file>', 'issuer certificate PEM (further certificates are intermediates)')
      .option('--issuer-key <file>', 'issuer private key PEM (SEC1, PKCS#1 or PKCS#8)')
      .option('--trust-anchors <file>', 'trust anchors PEM (what Linkerd verifies the issuer against)')
      .option('--trust-bundle <file>', 'the trust bundle PEM proxies load (ca-bundle.crt)')
      .option('--proxy [bool]', "also compare the data-plane proxies' trust anchors with the bundle", parseBool('--proxy'))
      .option('--namespace <ns>', 'with --proxy: only the meshed pods of this namespace (default: all namespaces)')
      .option('--api-addr <host:port>', "read from this Kubernetes API server instead of the kubeconfig cluster's, with the same credentials (as linkerd's --api-addr, mostly for testing)")
      .option('--as <user>', 'impersonate this user (as kubectl --as)')
      .option('--as-group <group>', 'impersonate this group (repeatable; `[]` means none, as the linkerd CLI forwards it)', collectGroups, [] as string[])
      .addOption(new Option('--wait <duration>', 'retry transient Kubernetes API errors for up to this long (e.g. 5m0s; default 0: no retry)').argParser(parseGoDuration).default(0, '0'))
      .option('--verbose [bool]', 'log each API request and retry to stderr', parseBool('--verbose'))
      .option('--now <time>', 'judge validity at this RFC 3339 time instead of now')
      .addOption(outputOption('check', 'table'))
      .addOption(failOnOption()),
  );
  const done = parseCommand(cmd, argv);
  if (done !== undefined) return done;
  const flags = cmd.opts<CheckFlags>();
  const config = configFromFlags(flags);
  const now = parseNow(flags.now);
  const pemFlags = [flags.issuerCert, flags.issuerKey, flags.trustAnchors, flags.trustBundle].some((f) => f !== undefined);
  const files = flags.from.length > 0 || pemFlags;
  const liveFlags = flags.kubeconfig !== undefined || flags.context.length > 0 || flags.apiAddr !== undefined || flags.as !== undefined || flags.asGroup.length > 0;
  if (files && liveFlags) {
    throw guardError('LCG_FLAG_CONFLICT', '--kubeconfig/--context/--api-addr/--as/--as-group', 'read a live cluster', '--from or PEM files');
  }
  const proxy = flags.proxy === true;
  // --namespace without --proxy has no effect, as in `linkerd check`, which forwards it either way

  // Which clusters: one (the default), several contexts, or several named --from sets.
  let clusters: ClusterInput[];
  if (files) {
    const named = flags.from.map((f) => namedFrom(f, io.cwd));
    if (named.some((n) => n !== undefined)) {
      if (named.some((n) => n === undefined)) throw guardError('LCG_USAGE', '--from: name every cluster (NAME=PATH) or none');
      if (pemFlags) throw guardError('LCG_FLAG_CONFLICT', '--issuer-cert/--issuer-key/--trust-anchors/--trust-bundle', 'describe one cluster', '--from NAME=PATH (give each cluster its objects as YAML)');
      const byName = new Map<string, string[]>();
      for (const n of named) byName.set(n!.name, [...(byName.get(n!.name) ?? []), n!.path]);
      clusters = [...byName].map(([name, from]) => ({ name, from }));
    } else clusters = [{ from: flags.from }];
  } else if (flags.context.length > 1) {
    const dup = flags.context.find((c, i) => flags.context.indexOf(c) !== i);
    if (dup !== undefined) throw guardError('LCG_FLAG_REPEATED', '--context', dup);
    if (flags.apiAddr !== undefined) throw guardError('LCG_FLAG_CONFLICT', '--api-addr', 'names one API server', 'several --context');
    clusters = flags.context.map((context) => ({ name: context, context }));
  } else clusters = [{ ...(flags.context[0] !== undefined ? { context: flags.context[0] } : {}) }];
  if (clusters.length > MAX_CLUSTERS) throw guardError('LCG_FLAG_OUT_OF_RANGE', '--context/--from', `${clusters.length} clusters`, `at most ${MAX_CLUSTERS} per run`);
  if (clusters.length === 1 && clusters[0]!.name !== undefined) clusters = [{ ...clusters[0]!, name: undefined }];

  const stdinText = flags.from.some((f) => f === '-' || f.endsWith('=-')) ? await readStdin(io) : undefined;
  const log = flags.verbose === true ? (name: string | undefined) => (line: string) => void io.stderr.write(`${TOOL_NAME}: ${name !== undefined ? `[${name}] ` : ''}${line}\n`) : undefined;

  let judgingLoaded: ReturnType<typeof loadJudging> | undefined;
  const judging = () => (judgingLoaded ??= loadJudging());

  /** One cluster's report, and its state for the multicluster checks. */
  const judgeCluster = async (c: ClusterInput): Promise<{ report: CheckReport; state: ClusterState }> => {
    const inputs: SnapshotInputs = { config, now, mode: c.from ? 'files' : 'live', objects: [], proxy };
    if (c.from) {
      inputs.objects = readObjects(c.from, io.cwd, stdinText);
      if (flags.issuerCert) inputs.issuerCert = readPem(flags.issuerCert, io.cwd, '--issuer-cert');
      if (flags.issuerKey) inputs.issuerKey = readPem(flags.issuerKey, io.cwd, '--issuer-key');
      if (flags.trustAnchors) inputs.trustAnchors = readPem(flags.trustAnchors, io.cwd, '--trust-anchors');
      if (flags.trustBundle) inputs.trustBundle = readPem(flags.trustBundle, io.cwd, '--trust-bundle');
    } else {
      const { loadLive } = await import('../cluster/live.js');
      try {
        const live = await loadLive({
          config,
          proxy,
          waitMs: flags.wait,
          asGroups: flags.asGroup,
          ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
          ...(c.context ? { context: c.context } : {}),
          ...(flags.apiAddr ? { apiAddr: flags.apiAddr } : {}),
          ...(flags.as !== undefined ? { as: flags.as } : {}),
          ...(flags.namespace !== undefined ? { podNamespace: flags.namespace } : {}),
          ...(log ? { log: log(c.name) } : {}),
          onReading: () => void judging().catch(() => undefined),
        });
        inputs.objects = live.objects;
        inputs.notFound = live.notFound;
        inputs.certManagerAvailable = live.certManagerAvailable;
      } catch (e) {
        // an unreachable cluster is a failed check (Linkerd shows only what the JSON says); usage errors stay exit 2
        if (!isGuardError(e) || e.code !== 'LCG_CLUSTER_UNREACHABLE') throw e;
        const report: CheckReport = { success: true, results: [], categories: [] };
        const { runCategory, CATEGORY_KUBERNETES_API, KUBERNETES_API_CHECKS } = await judging();
        await runCategory(CATEGORY_KUBERNETES_API, KUBERNETES_API_CHECKS, { error: e.message }, report);
        return { report, state: { name: c.name ?? '', notJudged: 'unreachable' } };
      }
    }
    const { buildSnapshot, runChecks, deriveState } = await judging();
    const snap = buildSnapshot(inputs);
    return { report: await runChecks(snap), state: { name: c.name ?? '', st: deriveState(snap) } };
  };

  const judged = await mapBounded(clusters, CLUSTER_CONCURRENCY, judgeCluster);
  const { ALL_CLUSTERS, CATEGORY_MULTICLUSTER, CHECK_RENDERERS, MULTICLUSTER_CHECKS, judgedClusters, runCategory } = await judging();
  let report: Reported;
  if (clusters.length === 1) report = judged[0]!.report;
  else {
    report = { success: judged.every((j) => j.report.success), results: [], categories: [] };
    judged.forEach((j, i) => {
      report.results.push(...j.report.results);
      for (const cat of j.report.categories) report.categories.push({ ...cat, cluster: clusters[i]!.name! });
    });
    const multi = { now, clusters: judged.map((j) => j.state) };
    if (judgedClusters(multi).length >= 2) {
      const m: CheckReport = { success: true, results: [], categories: [] };
      await runCategory(CATEGORY_MULTICLUSTER, MULTICLUSTER_CHECKS, multi, m);
      report.success &&= m.success;
      report.results.push(...m.results);
      for (const cat of m.categories) report.categories.push({ ...cat, cluster: ALL_CLUSTERS });
    }
  }

  io.stdout.write(render(CHECK_RENDERERS, flags.output, report, { palette: paletteFor(io.stdout, io.env), version: packageVersion() }));
  return exitCodeFor(report, flags.failOn);
}
