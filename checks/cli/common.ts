/**
 * Flags every command shares (SPEC section 5) and the translation of flags into Config.
 */
import { Command, CommanderError, Option } from 'commander';
import { loadConfigFile, resolveConfig, type Config } from '../config.js';
import { GuardError, isGuardError } from '../errors.js';
import type { CliIO } from './io.js';

export interface CommonFlags {
  config?: string;
  linkerdNamespace?: string;
  trustNamespace?: string;
  trustDomain?: string;
  issuerName?: string;
  anchorNames?: string;
  bundleName?: string;
  bundleKey?: string;
  namespaceLabel?: string;
  clusterResourceNamespace?: string;
  requireExplicitRotationPolicy?: boolean;
  strict?: boolean;
  rule?: string[];
}

/** commander's collector for a repeatable option: every value, in order. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Every configuration key is also a flag (SPEC section 2), named like the key in kebab case; per-rule
 * overrides are `--rule <id>=<error|warning|off>[,repair|,no-repair]`, repeatable.
 */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'configuration file (YAML or JSON, SPEC section 2); flags override it')
    .option('--linkerd-namespace <ns>', 'namespace of the Linkerd control plane (default linkerd)')
    .option('--trust-namespace <ns>', "trust-manager's trust namespace (default cert-manager)")
    .option('--trust-domain <domain>', "Linkerd's trust domain (default cluster.local)")
    .option('--issuer-name <name>', 'identity issuer Certificate and Secret name (default linkerd-identity-issuer)')
    .option('--anchor-names <names>', 'comma-separated trust anchor Certificate/Secret names (default linkerd-trust-anchor,linkerd-previous-anchor)')
    .option('--bundle-name <name>', 'trust bundle and ConfigMap name (default linkerd-identity-trust-roots)')
    .option('--bundle-key <key>', 'key in the trust-roots ConfigMap (default ca-bundle.crt)')
    .option('--namespace-label <key>', 'label the control-plane namespace carries (default linkerd.io/is-control-plane)')
    .option('--cluster-resource-namespace <ns>', "cert-manager's cluster resource namespace (default cert-manager)")
    .option('--no-require-explicit-rotation-policy', 'accept an unset rotationPolicy (cert-manager >= 1.18 defaults to Always)')
    .option('--strict', 'webhook: deny violations an UPDATE\'s old object already had')
    .option('--rule <id=severity>', 'per-rule override, e.g. certificate/common-name=off or certificate/is-ca=error,no-repair (repeatable)', repeatable);
}

const RULE_FLAG = /^([a-z-]+\/[a-z-]+)=(error|warning|off)?(?:,(repair|no-repair))?$/;

function ruleOverrides(values: readonly string[]): Config['rules'] {
  const rules: Config['rules'] = {};
  for (const v of values) {
    const m = RULE_FLAG.exec(v);
    if (!m || (m[2] === undefined && m[3] === undefined)) {
      throw new GuardError('LCG_USAGE', `--rule ${JSON.stringify(v)}: expected <rule id>=<error|warning|off>[,repair|,no-repair]`);
    }
    rules[m[1] as string] = { ...(m[2] ? { severity: m[2] as 'error' | 'warning' | 'off' } : {}), ...(m[3] ? { repair: m[3] === 'repair' } : {}) };
  }
  return rules;
}

/** Config from --config, then the individual flags over it (flags win). */
export function configFromFlags(flags: CommonFlags, extra: Partial<Config> = {}): Config {
  const file = flags.config ? loadConfigFile(flags.config) : undefined;
  const fromFlags: Partial<Config> = { ...extra };
  if (flags.linkerdNamespace !== undefined) fromFlags.linkerdNamespace = flags.linkerdNamespace;
  if (flags.trustNamespace !== undefined) fromFlags.trustNamespace = flags.trustNamespace;
  if (flags.trustDomain !== undefined) fromFlags.trustDomain = flags.trustDomain;
  if (flags.issuerName !== undefined) fromFlags.issuerName = flags.issuerName;
  if (flags.anchorNames !== undefined) fromFlags.anchorNames = flags.anchorNames.split(',').map((n) => n.trim()).filter(Boolean);
  if (flags.bundleName !== undefined) fromFlags.bundleName = flags.bundleName;
  if (flags.bundleKey !== undefined) fromFlags.bundleKey = flags.bundleKey;
  if (flags.namespaceLabel !== undefined) fromFlags.namespaceLabel = flags.namespaceLabel;
  if (flags.clusterResourceNamespace !== undefined) fromFlags.clusterResourceNamespace = flags.clusterResourceNamespace;
  // commander sets the negatable flag to true unless --no-... is given: only the explicit "no" overrides the file
  if (flags.requireExplicitRotationPolicy === false) fromFlags.requireExplicitRotationPolicy = false;
  if (flags.strict === true) fromFlags.strict = true;
  if (flags.rule !== undefined && flags.rule.length > 0) fromFlags.rules = ruleOverrides(flags.rule);
  return resolveConfig(file, fromFlags);
}

export function failOnOption(): Option {
  return new Option('--fail-on <level>', 'exit 1 when a finding at or above this level exists').choices(['error', 'warning']).default('error');
}

/**
 * A commander program that reports usage errors as GuardError instead of exiting,
 * and writes its help to our streams.
 */
export function newCommand(name: string, io: CliIO): Command {
  const cmd = new Command(name);
  cmd
    .exitOverride()
    .allowExcessArguments(false)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: () => undefined, // errors are reported once, by runCli
    });
  return cmd;
}

/**
 * Parse a command's argv. Returns 0 when commander printed help or the version (the command is
 * done), undefined when the command should run. Usage errors become GuardError (one line, exit 2);
 * anything else propagates to reportFailure, so no failure ever exits without saying why.
 */
export function parseCommand(cmd: Command, argv: string[]): number | undefined {
  try {
    cmd.parse(argv, { from: 'user' });
    return undefined;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
    throw new GuardError('LCG_USAGE', e.message.replace(/^error: /, ''));
  }
}

/** The one place a command's failure becomes a one-line message and exit code 2. */
export function reportFailure(e: unknown, io: CliIO): number {
  if (isGuardError(e)) {
    io.stderr.write(`linkerd-cert-guard: ${e.message.split('\n')[0]}\n`);
    return 2;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.stderr.write(`linkerd-cert-guard: internal error: ${msg.split('\n')[0]}\n`);
  if (io.env.LCG_DEBUG && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
  return 2;
}
