/**
 * `linkerd-cert-guard policy`: the ValidatingAdmissionPolicies (and bindings) that enforce the
 * single-object rules inside the API server, with the configuration baked in. Writes YAML
 * documents (or one JSON v1 List) for `kubectl apply -f -`.
 */
import { Option } from 'commander';
import { stringify } from 'yaml';
import type { Mode } from '../config.js';
import { generatePolicies } from '../policy/generate.js';
import { addCommonOptions, configFromFlags, newCommand, parseCommand, type CommonFlags } from './common.js';
import type { CommandRunner } from './io.js';

interface PolicyFlags extends CommonFlags {
  mode?: Mode;
  output: 'yaml' | 'json';
}

export const run: CommandRunner = async (argv, io) => {
  const cmd = addCommonOptions(newCommand('policy', io))
    .description('print ValidatingAdmissionPolicies and bindings that enforce the single-object rules without a webhook (Kubernetes 1.30+)')
    .addOption(new Option('--mode <mode>', 'enforce: deny errors, warn the rest; audit: warn and audit everything (default: the config file\'s mode, else enforce)').choices(['enforce', 'audit']))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'));
  const done = parseCommand(cmd, argv);
  if (done !== undefined) return done;
  const flags = cmd.opts<PolicyFlags>();
  const config = configFromFlags(flags, flags.mode ? { mode: flags.mode } : {});
  const objects = generatePolicies(config, config.mode);
  if (flags.output === 'json') {
    io.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2) + '\n');
  } else {
    // lineWidth 0: CEL stays on the lines it was written on (folding would make it unreadable)
    io.stdout.write(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
  }
  return 0;
};
