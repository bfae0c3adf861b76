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
