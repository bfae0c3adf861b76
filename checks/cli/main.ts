#!/usr/bin/env node
/**
 * linkerd-cert-guard: lint | check | serve | rotate | policy.
 * Subcommands are imported lazily (as tap's CLI does) so `lint` and `check` on files
 * never pay for loading express or @kubernetes/client-node.
 */
import { processIO, reportFailure, type CliIO, type CommandRunner } from './io.js';

const COMMANDS: Record<string, () => Promise<{ run: CommandRunner }>> = {
  lint: () => import('./lint.js'),
  check: () => import('./check.js'),
  serve: () => import('./serve.js'),
  rotate: () => import('./rotate.js'),
  policy: () => import('./policy.js'),
  // `linkerd check` asks every linkerd-* binary on PATH for this before running its extensions
  '_extension-metadata': async () => ({ run: (await import('./check.js')).extensionMetadata }),
};

const USAGE = `Usage: linkerd-cert-guard <command> [options]

Commands:
  lint  [PATH|-]...   run the admission rules over manifests (CI policy gate)
  check               verify the live or on-disk identity setup like \`linkerd check\`
  serve               run the admission webhook (HTTPS)
  rotate              walk a trust-anchor rotation step by step (report, or --apply)
  policy              print ValidatingAdmissionPolicies that enforce the rules without a webhook
  _extension-metadata what \`linkerd check\` reads to run \`check\` as its extension

Run \`linkerd-cert-guard <command> --help\` for a command's options.
Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error.
`;

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    const { packageVersion } = await import('../tool.js');
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`linkerd-cert-guard: unknown command '${name}' (expected lint, check, serve, rotate or policy)\n`);
    return 2;
  }
  try {
    const mod = await load();
    return await mod.run(rest, io);
  } catch (e) {
    return reportFailure(e, io);
  }
}

// Run when executed directly (bin), not when imported by tests.
const invokedAs = process.argv[1] ?? '';
if (invokedAs.endsWith('main.js') || invokedAs.endsWith('linkerd-cert-guard')) {
  runCli(process.argv.slice(2), processIO()).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportFailure(e, processIO());
    },
  );
}
