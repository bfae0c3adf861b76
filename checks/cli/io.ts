/** The terminal edge: where commands write, so tests can run them in-process. */
import { isGuardError, USAGE_EXIT_CODE } from '../errors.js';
import { LIMITS, tooLarge } from '../limits.js';

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIO(): CliIO {
  for (const stream of [process.stdout, process.stderr]) if (!stream.listeners('error').includes(ignoreClosedReader)) stream.on('error', ignoreClosedReader);
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/**
 * A reader that goes away early (`lint -o json | head`) makes the next write fail with EPIPE; Node
 * would throw that as an unhandled stream error, with a stack trace. What is left to print is not
 * wanted: the run finishes and exits with its own status. Any other write error still surfaces.
 */
function ignoreClosedReader(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') throw e;
}

/** All of stdin's bytes (for `-` inputs), refused past LIMITS.inputBytes. */
export async function readStdin(io: Pick<CliIO, 'stdin'>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of io.stdin) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    total += b.length;
    if (total > LIMITS.inputBytes) {
      const stream = io.stdin as unknown as { destroy?: () => void };
      if (typeof stream.destroy === 'function') stream.destroy();
      throw tooLarge('<stdin>');
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, total);
}

/** A command module: parses its own argv (after the subcommand name) and returns the exit code. */
export type CommandRunner = (argv: string[], io: CliIO) => Promise<number>;

/** The one place a command's failure becomes a one-line message and exit code 2. */
export function reportFailure(e: unknown, io: CliIO): number {
  if (isGuardError(e)) {
    io.stderr.write(`linkerd-cert-guard: ${e.message.split('\n')[0]}\n`);
    return USAGE_EXIT_CODE;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.stderr.write(`linkerd-cert-guard: internal error: ${msg.split('\n')[0]}\n`);
  if (io.env.LCG_DEBUG && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
  return 2;
}
