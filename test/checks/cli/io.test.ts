import t from 'tap';
import { Readable } from 'node:stream';
import { processIO, readStdin } from '../../../checks/cli/io.js';
import { LIMITS } from '../../../checks/limits.js';

t.test('stdin is read whole, strings and buffers alike', async (t) => {
  const bytes = await readStdin({ stdin: Readable.from(['kind: ', Buffer.from('A\n')]) });
  t.equal(bytes.toString('utf8'), 'kind: A\n');
  t.equal((await readStdin({ stdin: Readable.from([]) })).length, 0);
});

t.test('stdin past the size bound is refused in one line and the stream is closed', async (t) => {
  const chunk = Buffer.alloc(LIMITS.inputBytes / 4);
  const stdin = Readable.from([chunk, chunk, chunk, chunk, Buffer.from('x')]);
  await t.rejects(readStdin({ stdin }), { code: 'LCG_INPUT_UNREADABLE', message: 'cannot read <stdin>: larger than 64 MiB' });
  t.equal(stdin.destroyed, true);
});

t.test('the process edge is the real process', async (t) => {
  const io = processIO();
  t.equal(io.stdout, process.stdout);
  t.equal(io.stdin, process.stdin);
  t.equal(io.cwd, process.cwd());
  t.equal(io.env, process.env);
});

t.test('a reader that goes away early (`| head`) ends nothing with a stack trace: the run keeps its exit status', async (t) => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const cli = join(process.cwd(), 'dist/bin/main.js');
  // A report far larger than a pipe holds (64 KiB), so writes go on after the reader has left.
  const file = join(mkdtempSync(join(tmpdir(), 'lcg-epipe-')), 'many.yaml');
  writeFileSync(file, Array.from({ length: 2000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}, namespace: apps}\n`).join('---\n'));
  const child = spawn(process.execPath, [cli, 'lint', '-o', 'json', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  t.equal(code, 0, `lint found nothing; only its reader left ${stderr}`);
  t.equal(stderr, '', 'no EPIPE stack trace');
});
