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
