/** Run a CLI command in-process with captured streams. */
import { PassThrough, Readable } from 'node:stream';
import type { CliIO } from '../../checks/cli/io.js';
import { runCli } from '../../checks/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runInProcess(argv: string[], opts: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv; tty?: boolean } = {}): Promise<CliResult> {
  const stdout = new PassThrough() as PassThrough & { isTTY?: boolean };
  const stderr = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (opts.tty) stdout.isTTY = true;
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: CliIO = {
    stdout,
    stderr,
    stdin: Readable.from([opts.stdin ?? '']),
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
  };
  const code = await runCli(argv, io);
  return { code, stdout: out, stderr: err };
}
