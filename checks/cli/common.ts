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
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'configuration file (YAML or JSON, SPEC section 2)')
    .option('--linkerd-namespace <ns>', 'namespace of the Linkerd control plane (default linkerd)')
    .option('--trust-namespace <ns>', "trust-manager's trust namespace (default cert-manager)")
    .option('--trust-domain <domain>', "Linkerd's trust domain (default cluster.local)");
}

/** Config from --config, then the individual flags over it (flags win). */
export function configFromFlags(flags: CommonFlags, extra: Partial<Config> = {}): Config {
  const file = flags.config ? loadConfigFile(flags.config) : undefined;
  const fromFlags: Partial<Config> = { ...extra };
  if (flags.linkerdNamespace !== undefined) fromFlags.linkerdNamespace = flags.linkerdNamespace;
  if (flags.trustNamespace !== undefined) fromFlags.trustNamespace = flags.trustNamespace;
  if (flags.trustDomain !== undefined) fromFlags.trustDomain = flags.trustDomain;
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

/** Map commander's own errors onto our exit codes: help/version 0, usage 2. */
export function commanderExit(e: unknown): number | undefined {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
    throw new GuardError('LCG_USAGE', e.message.replace(/^error: /, ''));
  }
  return undefined;
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
