import t from 'tap';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readJsonBody, type BodyResult } from '../../webhook/body.js';

// A plain-HTTP server is enough here: the body reader sees an IncomingMessage either way.
async function roundTrip(t: Tap, send: (port: number) => Promise<void>, limit = 1024): Promise<ReturnType<typeof plain>> {
  let seen: BodyResult | undefined;
  const server = createServer((req: IncomingMessage, res) => {
    readJsonBody(req, limit).then((r) => {
      seen = r;
      res.end('done');
    }, () => res.end('error'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  await send((server.address() as AddressInfo).port);
  if (!seen) throw new Error('no result');
  return plain(seen);
}

/** A refusal as plain data: the status and code the catalogue gives, and the message. */
function plain(r: BodyResult): { ok: true; value: unknown } | { ok: false; status: number; code: string; error: string } {
  return r.ok ? r : { ok: false, status: r.error.statusCode, code: r.error.code, error: r.error.message };
}
type Tap = { teardown(fn: () => unknown): void };

function post(port: number, body: string | Buffer[], headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else {
      for (const b of body) req.write(b);
      req.end();
    }
  });
}

t.test('JSON bodies are parsed, whatever the chunking', async (t) => {
  t.same(await roundTrip(t, (p) => post(p, '{"a":[1,2]}')), { ok: true, value: { a: [1, 2] } });
  t.same(await roundTrip(t, (p) => post(p, [Buffer.from('{"a":'), Buffer.from('"é"}')])), { ok: true, value: { a: 'é' } });
  t.same(await roundTrip(t, (p) => post(p, '')), { ok: true, value: undefined }, 'empty: no value');
  t.same(await roundTrip(t, (p) => post(p, '  \n')), { ok: true, value: undefined });
});

t.test('malformed JSON: 400 without quoting the body', async (t) => {
  const r = await roundTrip(t, (p) => post(p, '{"secret": "hunter2"'));
  t.same(r, { ok: false, status: 400, code: 'LCG_BODY_MALFORMED', error: 'malformed JSON: the body is not a JSON document' });
});

t.test('too large: 413 whether declared or streamed, answered without reading the rest', async (t) => {
  const big = 'x'.repeat(2048);
  t.same(await roundTrip(t, (p) => post(p, big)), { ok: false, status: 413, code: 'LCG_BODY_TOO_LARGE', error: 'request body exceeds 1024 bytes' }, 'content-length');
  t.same(
    await roundTrip(t, (p) => post(p, [Buffer.from(big.slice(0, 1000)), Buffer.from(big.slice(1000))], { 'transfer-encoding': 'chunked' })),
    { ok: false, status: 413, code: 'LCG_BODY_TOO_LARGE', error: 'request body exceeds 1024 bytes' },
    'chunked',
  );
  t.same(await roundTrip(t, (p) => post(p, JSON.stringify('y'.repeat(1000)))), { ok: true, value: 'y'.repeat(1000) }, 'at the limit is fine');
});

t.test('compressed bodies are refused', async (t) => {
  const r = await roundTrip(t, (p) => post(p, 'xx', { 'content-encoding': 'gzip' }));
  t.same(r, { ok: false, status: 415, code: 'LCG_BODY_ENCODING', error: 'unsupported content-encoding "gzip"' });
});

t.test('nesting past the depth bound: 400 naming the bound, whatever the depth', async (t) => {
  const deep = (n: number): string => `${'['.repeat(n)}1${']'.repeat(n)}`;
  t.same(await roundTrip(t, (p) => post(p, deep(100_000)), 1024 * 1024), { ok: false, status: 400, code: 'LCG_BODY_OUT_OF_BOUNDS', error: 'request body is nested deeper than 100 levels' });
  t.same(await roundTrip(t, (p) => post(p, deep(50)), 1024 * 1024), { ok: true, value: JSON.parse(deep(50)) as unknown });
});
