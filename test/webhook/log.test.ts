import t from 'tap';
import { PassThrough } from 'node:stream';
import { createLogger, flushLogger, REDACTED_PATHS } from '../../webhook/log.js';

function capture(): { stream: PassThrough; lines: () => Array<Record<string, unknown>> } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

t.test('one JSON line per event with level names', async (t) => {
  const c = capture();
  const log = createLogger('info', c.stream);
  log.info({ uid: 'u1', decision: 'denied', denied: ['certificate/is-ca'] }, 'admission');
  log.debug('hidden at info');
  await new Promise((r) => setImmediate(r));
  const [line, ...rest] = c.lines();
  t.same(rest, []);
  t.match(line, { level: 'info', msg: 'admission', uid: 'u1', decision: 'denied', denied: ['certificate/is-ca'], service: 'linkerd-cert-guard' });
  t.type(line?.time, 'number');
});

t.test('objects and keys are redacted should one ever reach a log call', async (t) => {
  const c = capture();
  const log = createLogger('info', c.stream);
  const secret = '-----BEGIN EC PRIVATE KEY-----MHcCAQEEI';
  log.info({ object: { data: { 'tls.key': secret } }, oldObject: { spec: {} }, key: secret, request: { object: { x: secret }, uid: 'u2' } }, 'oops');
  log.error({ err: { message: 'x', object: { secret } } }, 'failed');
  await new Promise((r) => setImmediate(r));
  const text = JSON.stringify(c.lines());
  t.notMatch(text, /PRIVATE KEY/);
  const [first] = c.lines();
  t.equal(first?.object, '[redacted]');
  t.equal(first?.key, '[redacted]');
  t.match(first?.request, { object: '[redacted]', uid: 'u2' }, 'the rest of the record stays');
  t.ok(REDACTED_PATHS.every((p) => !p.includes('*')), 'exact paths only (wildcards cost a lot per line)');
});

t.test('flushLogger resolves once written lines have been handed on', async (t) => {
  const c = capture();
  const log = createLogger('info', c.stream);
  log.info('before flush');
  await flushLogger(log);
  t.match(c.lines(), [{ msg: 'before flush' }]);
});

t.test('stdout that nobody reads (a stalled log collector) costs bounded memory: lines past the bound are dropped', async (t) => {
  const { spawn } = await import('node:child_process');
  const { pathToFileURL } = await import('node:url');
  const { join } = await import('node:path');
  const mod = pathToFileURL(join(process.cwd(), 'dist/webhook/log.js')).href;
  // 200,000 lines of about 300 bytes (60 MB) to a pipe this test never reads (64 KiB fill it).
  const script = `const { createLogger, LOG_BUFFER_MAX_BYTES } = await import(${JSON.stringify(mod)});
const log = createLogger('info', process.stdout);
const name = 'x'.repeat(200);
for (let i = 0; i < 200000; i++) { log.info({ uid: 'u' + i, name }, 'admission'); if (i % 1000 === 0) await new Promise((r) => setImmediate(r)); }
globalThis.gc?.();
process.stderr.write(JSON.stringify({ heapMb: process.memoryUsage().heapUsed / 1048576, boundMb: LOG_BUFFER_MAX_BYTES / 1048576 }));
process.kill(process.pid, 'SIGKILL');`;
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  const r = JSON.parse(err) as { heapMb: number; boundMb: number };
  t.ok(r.heapMb < r.boundMb + 24, `heap ${r.heapMb.toFixed(1)} MB after 60 MB of unread lines (bound ${r.boundMb} MB)`);
});
