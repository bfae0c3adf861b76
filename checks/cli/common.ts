/**
 * Flags every command shares and the translation of flags into Config; both are derived from the
 * one definition of each configuration key (config.ts CONFIG_KEYS).
 */
import { Command, CommanderError, Option } from 'commander';
import { CONFIG_KEYS, CONFIG_KEY_NAMES, loadConfigFile, resolveConfig, type Config } from '../config.js';
import { guardError } from '../errors.js';
import type { CliIO } from './io.js';

/** Keys given by a flag of their own on every command (the others: `--rule`, and serve's `--mode`). */
type FlagKey = Exclude<keyof Config, 'rules' | 'mode'>;

/** What commander parses the common flags into: every key with a flag, by its camelCase name. */
export type CommonFlags = { config?: string; rule?: string[] } & { [K in FlagKey]?: string | boolean };

/** commander's collector for a repeatable option: every value, in order. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `linkerdNamespace` → `linkerd-namespace` */
const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function defaultText(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * Every configuration key with a flag (config.ts CONFIG_KEYS), named like the key in kebab case;
 * per-rule overrides are `--rule <id>=<error|warning|off>[,repair|,no-repair]`, repeatable.
 */
export function addCommonOptions(cmd: Command): Command {
  cmd.option('--config <file>', 'configuration file (YAML or JSON, the keys below in camelCase); flags override it');
  for (const key of CONFIG_KEY_NAMES) {
    const def = CONFIG_KEYS[key];
    const flag = def.flag;
    if (!flag) continue;
    const help = flag.help ?? def.description;
    switch (flag.kind) {
      case 'value':
        cmd.option(`--${kebab(key)} <${flag.placeholder ?? 'value'}>`, `${help} (default ${defaultText(def.default)})`);
        break;
      case 'list':
        cmd.option(`--${kebab(key)} <${flag.placeholder ?? 'values'}>`, `comma-separated ${help} (default ${defaultText(def.default)})`);
        break;
      case 'negatable':
        cmd.option(`--no-${kebab(key)}`, help);
        break;
      case 'switch':
        cmd.option(`--${kebab(key)}`, help);
        break;
      case 'rules':
        cmd.option('--rule <id=severity>', help, repeatable);
        break;
    }
  }
  return cmd;
}

const RULE_FLAG = /^([a-z-]+\/[a-z-]+)=(error|warning|off)?(?:,(repair|no-repair))?$/;

function ruleOverrides(values: readonly string[]): Config['rules'] {
  const rules: Config['rules'] = {};
  for (const v of values) {
    const m = RULE_FLAG.exec(v);
    if (!m || (m[2] === undefined && m[3] === undefined)) {
      throw guardError('LCG_RULE_FLAG_INVALID', v);
    }
    rules[m[1] as string] = { ...(m[2] ? { severity: m[2] as 'error' | 'warning' | 'off' } : {}), ...(m[3] ? { repair: m[3] === 'repair' } : {}) };
  }
  return rules;
}

/** Config from --config, then the individual flags over it (flags win). */
export function configFromFlags(flags: CommonFlags, extra: Partial<Config> = {}): Config {
  const file = flags.config ? loadConfigFile(flags.config) : undefined;
  const fromFlags: Record<string, unknown> = { ...extra };
  for (const key of CONFIG_KEY_NAMES) {
    const kind = CONFIG_KEYS[key].flag?.kind;
    if (kind === undefined || kind === 'rules') continue;
    const v = (flags as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (kind === 'value' && typeof v === 'string') fromFlags[key] = v;
    else if (kind === 'list' && typeof v === 'string') fromFlags[key] = v.split(',').map((n) => n.trim()).filter(Boolean);
    // commander sets a negatable flag to true unless --no-... is given: only the explicit "no" overrides the file
    else if (kind === 'negatable' && v === false) fromFlags[key] = false;
    else if (kind === 'switch' && v === true) fromFlags[key] = true;
  }
  if (flags.rule !== undefined && flags.rule.length > 0) fromFlags.rules = ruleOverrides(flags.rule);
  return resolveConfig(file, fromFlags as Partial<Config>);
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
    throw guardError('LCG_USAGE', e.message.replace(/^error: /, ''));
  }
}

