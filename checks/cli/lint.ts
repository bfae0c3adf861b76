/**
 * `linkerd-cert-guard lint [PATH|-]...`: the admission rules over manifests, for CI.
 */
import { writeFileSync } from 'node:fs';
import { packageVersion } from '../tool.js';
import { Option } from 'commander';
import { GuardError } from '../errors.js';
import { paletteFor } from '../report/color.js';
import { entriesOf, expandPaths, parseSource, readSource, type SourceFile } from '../lint/input.js';
import { exceeds, lintEntries, type LintedObject } from '../lint/run.js';
import { toJson, toJunitReport, toSarifReport, toText } from '../lint/format.js';
import { addCommonOptions, parseCommand, configFromFlags, failOnOption, newCommand, type CommonFlags } from './common.js';
import { readStdin, type CliIO } from './io.js';

interface LintFlags extends CommonFlags {
  output: 'text' | 'json' | 'junit' | 'sarif';
  fix?: boolean;
  write?: boolean;
  failOn: 'error' | 'warning';
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const cmd = addCommonOptions(
    newCommand('lint', io)
      .description('run the admission rules over manifests (files, directories, - for stdin)')
      .argument('[paths...]', 'files or directories (*.yaml, *.yml, *.json, recursively); - reads stdin')
      .addOption(new Option('-o, --output <format>', 'report format').choices(['text', 'json', 'junit', 'sarif']).default('text'))
      .option('--fix', 'print the repaired documents (comments and key order kept)')
      .option('--write', 'with --fix: rewrite the files in place')
      .addOption(failOnOption()),
  );
  const done = parseCommand(cmd, argv);
  if (done !== undefined) return done;
  const flags = cmd.opts<LintFlags>();
  const paths = cmd.args;
  if (paths.length === 0) throw new GuardError('LCG_USAGE', 'lint needs at least one PATH (a file, a directory, or - for stdin)');
  if (flags.write && !flags.fix) throw new GuardError('LCG_USAGE', '--write only makes sense with --fix');
  if (flags.write && paths.includes('-')) throw new GuardError('LCG_USAGE', '--write cannot rewrite stdin; drop --write to print the repaired documents');
  const config = configFromFlags(flags);

  const files = expandPaths(paths, io.cwd);
  const stdinText = files.includes('-') ? await readStdin(io) : undefined;
  const sources: SourceFile[] = files.map((f) => readSource(f, io.cwd, stdinText));
  const lint = (srcs: readonly SourceFile[]): LintedObject[] => lintEntries(srcs.flatMap(entriesOf), config);
  let results = lint(sources);

  let repaired = 0;
  if (flags.fix) {
    const { fixSource } = await import('../lint/fix.js');
    const fixed = sources.map((s) => ({ source: s, ...fixSource(s, results) }));
    repaired = results.reduce((n, r) => n + (r.patch.length > 0 ? r.findings.filter((f) => f.fixable).length : 0), 0);
    if (flags.write) {
      for (const f of fixed) if (f.changed) writeFileSync(f.source.path.startsWith('/') ? f.source.path : `${io.cwd}/${f.source.path}`, f.text);
    } else {
      const many = fixed.length > 1;
      io.stdout.write(fixed.map((f) => (many ? `# Source: ${f.source.path}\n` : '') + f.text).join(many ? '---\n' : ''));
    }
    // what remains after the repair decides the exit code
    results = lint(fixed.map((f) => (f.changed ? parseSource(f.source.path, f.text) : f.source)));
  }

  // with --fix (no --write) stdout carries the YAML, so the report goes to stderr
  const out = flags.fix && !flags.write ? io.stderr : io.stdout;
  switch (flags.output) {
    case 'json':
      out.write(JSON.stringify(toJson(results, repaired), null, 2) + '\n');
      break;
    case 'junit':
      out.write(toJunitReport(results));
      break;
    case 'sarif':
      out.write(JSON.stringify(toSarifReport(results, packageVersion()), null, 2) + '\n');
      break;
    default:
      out.write(toText(results, repaired, paletteFor(out, io.env)));
  }
  return exceeds(results, flags.failOn) ? 1 : 0;
}
