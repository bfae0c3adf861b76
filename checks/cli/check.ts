/**
 * `linkerd-cert-guard check`: Linkerd's identity checks and the ones `linkerd check` misses, against
 * files (--from YAML, PEM flags) or a live cluster. Exit 0 nothing at or above --fail-on, 1 findings at
 * or above it, 2 usage or unreadable input.
 */
import { Option } from 'commander';
import { readObjects, readPem } from '../cluster/files.js';
import { buildSnapshot, type SnapshotInputs } from '../cluster/snapshot.js';
import { packageVersion } from '../tool.js';
import { GuardError } from '../errors.js';
import { toJson, toJUnitReport, toSarifReport, toTable } from '../identity/format.js';
import { runChecks } from '../identity/run.js';
import type { CheckReport } from '../identity/types.js';
import { paletteFor } from '../report/color.js';
import { addCommonOptions, parseCommand, configFromFlags, failOnOption, newCommand, type CommonFlags } from './common.js';
import { readStdin, type CliIO } from './io.js';

interface CheckFlags extends CommonFlags {
  kubeconfig?: string;
  context?: string;
  from: string[];
  issuerCert?: string;
  issuerKey?: string;
  trustAnchors?: string;
  trustBundle?: string;
  proxy?: boolean;
  now?: string;
  output: 'table' | 'short' | 'json' | 'junit' | 'sarif';
  failOn: 'error' | 'warning';
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseNow(s: string | undefined): Date {
  if (s === undefined) return new Date();
  const d = new Date(s);
  if (!RFC3339.test(s) || Number.isNaN(d.getTime())) throw new GuardError('LCG_USAGE', `--now: not an RFC 3339 time: ${JSON.stringify(s)} (e.g. 2026-01-01T00:00:00Z)`);
  return d;
}

/** Exit code of a report: 1 when anything reaches --fail-on. */
export function exitCodeFor(report: CheckReport, failOn: 'error' | 'warning'): number {
  if (!report.success) return 1;
  if (failOn === 'warning' && report.results.some((r) => r.result === 'warning')) return 1;
  return 0;
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const cmd = addCommonOptions(
    newCommand('check', io)
      .description("verify Linkerd's identity certificates like `linkerd check`, and what it misses")
      .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
      .option('--context <name>', 'kubeconfig context')
      .option('--from <path>', 'YAML of Secret/ConfigMaps/Certificates/Bundle/Pods (file, directory, or - for stdin; repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--issuer-cert <file>', 'issuer certificate PEM (further certificates are intermediates)')
      .option('--issuer-key <file>', 'issuer private key PEM (SEC1, PKCS#1 or PKCS#8)')
      .option('--trust-anchors <file>', 'trust anchors PEM (what Linkerd verifies the issuer against)')
      .option('--trust-bundle <file>', 'the trust bundle PEM proxies load (ca-bundle.crt)')
      .option('--proxy', 'also compare the data-plane proxies\' trust anchors with the bundle')
      .option('--now <time>', 'judge validity at this RFC 3339 time instead of now')
      .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'short', 'json', 'junit', 'sarif']).default('table'))
      .addOption(failOnOption()),
  );
  const done = parseCommand(cmd, argv);
  if (done !== undefined) return done;
  const flags = cmd.opts<CheckFlags>();
  const config = configFromFlags(flags);
  const now = parseNow(flags.now);
  const files = flags.from.length > 0 || [flags.issuerCert, flags.issuerKey, flags.trustAnchors, flags.trustBundle].some((f) => f !== undefined);
  if (files && (flags.kubeconfig !== undefined || flags.context !== undefined)) {
    throw new GuardError('LCG_USAGE', '--kubeconfig/--context read a live cluster; they cannot be combined with --from or PEM files');
  }

  const inputs: SnapshotInputs = { config, now, mode: files ? 'files' : 'live', objects: [], proxy: flags.proxy === true };
  if (files) {
    const stdinText = flags.from.includes('-') ? await readStdin(io) : undefined;
    inputs.objects = readObjects(flags.from, io.cwd, stdinText);
    if (flags.issuerCert) inputs.issuerCert = readPem(flags.issuerCert, io.cwd, '--issuer-cert');
    if (flags.issuerKey) inputs.issuerKey = readPem(flags.issuerKey, io.cwd, '--issuer-key');
    if (flags.trustAnchors) inputs.trustAnchors = readPem(flags.trustAnchors, io.cwd, '--trust-anchors');
    if (flags.trustBundle) inputs.trustBundle = readPem(flags.trustBundle, io.cwd, '--trust-bundle');
  } else {
    const { loadLive } = await import('../cluster/live.js');
    const live = await loadLive({ config, proxy: inputs.proxy, ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), ...(flags.context ? { context: flags.context } : {}) });
    inputs.objects = live.objects;
    inputs.notFound = live.notFound;
    inputs.certManagerAvailable = live.certManagerAvailable;
  }

  const report = await runChecks(buildSnapshot(inputs));
  switch (flags.output) {
    case 'json':
      io.stdout.write(toJson(report));
      break;
    case 'junit':
      io.stdout.write(toJUnitReport(report));
      break;
    case 'sarif':
      io.stdout.write(toSarifReport(report, packageVersion()));
      break;
    default:
      io.stdout.write(toTable(report, paletteFor(io.stdout, io.env), flags.output === 'short'));
  }
  return exitCodeFor(report, flags.failOn);
}
