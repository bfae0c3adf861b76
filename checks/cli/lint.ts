/**
 * `linkerd-cert-guard lint [PATH|-]...`: the admission rules over manifests, for CI.
 */
import { isAbsolute, join } from 'node:path';
import { packageVersion } from '../tool.js';
import { guardError } from '../errors.js';
import { paletteFor } from '../report/color.js';
import { entriesOf, parseSource, readSource, type LintEntry, type SourceFile } from '../lint/input.js';
import { encodeText, expandPaths, runBounds } from '../manifests.js';
import { exceeds, lintEntries, type LintedObject } from '../lint/run.js';
import { LINT_RENDERERS } from '../lint/format.js';
import { outputOption, render, type FormatOf } from '../report/formats.js';
import { addCommonOptions, parseCommand, configFromFlags, failOnOption, newCommand, type CommonFlags } from './common.js';
import { readStdin, type CliIO } from './io.js';

interface LintFlags extends CommonFlags {
  output: FormatOf<'lint'>;
  fix?: boolean;
  write?: boolean;
  failOn: 'error' | 'warning';
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const cmd = addCommonOptions(
    newCommand('lint', io)
      .description('run the admission rules over manifests (files, directories, - for stdin)')
      .argument('[paths...]', 'files or directories (*.yaml, *.yml, *.json, recursively); - reads stdin')
      .addOption(outputOption('lint', 'text'))
      .option('--fix', 'print the repaired documents (comments and key order kept)')
      .option('--write', 'with --fix: rewrite the files in place')
      .addOption(failOnOption()),
  );
  const done = parseCommand(cmd, argv);
  if (done !== undefined) return done;
  const flags = cmd.opts<LintFlags>();
  const paths = cmd.args;
  if (paths.length === 0) throw guardError('LCG_FLAG_MISSING', 'lint', 'at least one PATH (a file, a directory, or - for stdin)');
  if (flags.write && !flags.fix) throw guardError('LCG_FLAG_MISSING', '--write', '--fix');
  if (flags.write && paths.includes('-')) throw guardError('LCG_FLAG_CONFLICT', '--write', 'rewrites files', '- (stdin); drop --write to print the repaired documents');
  const config = configFromFlags(flags);

  const files = expandPaths(paths, io.cwd);
  const stdin = files.includes('-') ? await readStdin(io) : undefined;
  const sources: SourceFile[] = [];
  const bounds = runBounds('lint');
  for (const f of files) {
    const source = readSource(f, io.cwd, stdin);
    bounds.documents(source);
    sources.push(source);
  }
  const lint = (srcs: readonly SourceFile[]): LintedObject[] => lintEntries(boundedEntries(srcs), config);
  let results = lint(sources);

  let repaired = 0;
  if (flags.fix) {
    const { fixSource } = await import('../lint/fix.js');
    const fixed = sources.map((s) => ({ source: s, ...fixSource(s, results) }));
    repaired = results.reduce((n, r) => n + (r.patch.length > 0 ? r.findings.filter((f) => f.fixable).length : 0), 0);
    if (flags.write) {
      await writeAll(fixed.filter((f) => f.changed), io.cwd);
    } else {
      const many = fixed.length > 1;
      fixed.forEach((f, i) => {
        if (many) io.stdout.write(`${i > 0 ? '---\n' : ''}# Source: ${f.source.path}\n`);
        io.stdout.write(encodeText(f.text, { ...f.source.format, bom: f.source.format.bom && !many }));
      });
    }
    // what remains after the repair decides the exit code
    results = lint(fixed.map((f) => (f.changed ? parseSource(f.source.path, f.text, f.source.format) : f.source)));
  }

  // with --fix (no --write) stdout carries the YAML, so the report goes to stderr
  const out = flags.fix && !flags.write ? io.stderr : io.stdout;
  out.write(render(LINT_RENDERERS, flags.output, { results, repaired }, { palette: paletteFor(out, io.env), version: packageVersion() }));
  return exceeds(results, flags.failOn) ? 1 : 0;
}

/** Every entry of the sources, `kind: List` items included, bounded in count. */
function boundedEntries(sources: readonly SourceFile[]): LintEntry[] {
  const bounds = runBounds('lint');
  const out: LintEntry[] = [];
  for (const s of sources) {
    for (const e of entriesOf(s)) {
      bounds.object(s);
      out.push(e);
    }
  }
  return out;
}

/**
 * `--write`: every file is checked before any is touched, so one read-only file among several
 * leaves them all as they were, and the report names each one; then each is replaced atomically.
 */
async function writeAll(files: ReadonlyArray<{ source: SourceFile; text: string }>, cwd: string): Promise<void> {
  const { unwritableReason, writeFileAtomic } = await import('../lint/write.js');
  const full = (p: string): string => (isAbsolute(p) ? p : join(cwd, p));
  const refused = files.flatMap((f) => {
    const why = unwritableReason(full(f.source.path));
    return why ? [`${f.source.path}: ${why}`] : [];
  });
  if (refused.length > 0) {
    throw guardError('LCG_OUTPUT_UNWRITABLE', `--write changed no file: cannot rewrite ${refused.join('; ')}`);
  }
  const failed: string[] = [];
  const written: string[] = [];
  for (const f of files) {
    try {
      writeFileAtomic(full(f.source.path), encodeText(f.text, f.source.format), f.source.path);
      written.push(f.source.path);
    } catch (e) {
      failed.push((e as Error).message.replace(/^cannot write /, ''));
    }
  }
  if (failed.length > 0) {
    const done = written.length > 0 ? ` (rewritten: ${written.join(', ')})` : '';
    throw guardError('LCG_OUTPUT_UNWRITABLE', `cannot write ${failed.join('; ')}${done}`);
  }
}
