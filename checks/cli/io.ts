/** The terminal edge: where commands write, so tests can run them in-process. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** All of stdin as UTF-8 (for `-` inputs). */
export async function readStdin(io: Pick<CliIO, 'stdin'>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A command module: parses its own argv (after the subcommand name) and returns the exit code. */
export type CommandRunner = (argv: string[], io: CliIO) => Promise<number>;
