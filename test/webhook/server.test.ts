import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { Agent } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fjp from 'fast-json-patch';
import { resolveConfig } from '../../checks/config.js';
import type { K8sObject, PatchOp } from '../../checks/rules/types.js';
import { createLogger } from '../../webhook/log.js';
import type { AdmissionReviewResponse } from '../../webhook/review.js';
import { DEFAULTS, startWebhookServer, type WebhookServer, type WebhookServerOptions } from '../../webhook/server.js';
import { call, makeServingCert, reviewOf, seedObject, seedObjects, swapSecretVolume, until, writeSecretVolume, type HttpResult } from './helpers.js';
import { connect } from '../../checks/cluster/live.js';
import { startInformerCache } from '../../webhook/cache.js';
import { startListWatchServer } from './listwatch-server.js';

const first = await makeServingCert('webhook-first.test');
const second = await makeServingCert('webhook-second.test');
const third = await makeServingCert('webhook-third.test');
const fp = (pem: string): string => new X509Certificate(pem).fingerprint256;
const ca = [first.certPem, second.certPem, third.certPem];

const issuer002 = seedObject('002-on-cluster-ca.yaml', 'Certificate', 'linkerd-identity-issuer');
const workload = seedObject('003-external-ca.yaml', 'Certificate', 'mesh-workload-cert');

interface Running {
  server: WebhookServer;
  dir: string;
  logs: string[];
}

async function start(t: Test, o: Partial<WebhookServerOptions> = {}): Promise<Running> {
  const dir = join(mkdtempSync(join(tmpdir(), 'lcg-server-')), 'tls');
  writeSecretVolume(dir, { 'tls.crt': first.certPem, 'tls.key': first.keyPem });
  const out = new PassThrough();
  const logs: string[] = [];
  out.on('data', (c: Buffer) => logs.push(...c.toString('utf8').split('\n').filter(Boolean)));
  const server = await startWebhookServer({
    config: resolveConfig(),
    tls: { dir },
    listen: { host: '127.0.0.1', port: 0 },
    metricsListen: { host: '127.0.0.1', port: 0 },
    logger: createLogger('info', out),
    drainDelayMs: 0,
    reloadPollMs: 60_000,
    processMetrics: false,
    ...o,
  });
  t.teardown(() => server.drain());
  return { server, dir, logs };
}

function admission(r: HttpResult): AdmissionReviewResponse {
  return r.json as AdmissionReviewResponse;
}

function patchOf(r: HttpResult): PatchOp[] {
  const p = admission(r).response.patch;
  return p === undefined ? [] : (JSON.parse(Buffer.from(p, 'base64').toString('utf8')) as PatchOp[]);
}

async function metricsText(port: number | null): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

t.test('admission over HTTPS: repair, re-validate, idempotence, denial, scope, DELETE', async (t) => {
  const { server, logs } = await start(t);
  const agent = new Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const post = (path: string, body: unknown): Promise<HttpResult> => call(server.port, path, { body: JSON.stringify(body), ca, agent });

  const m = await post('/mutate', reviewOf(issuer002, { uid: 'uid-mutate' }));
  t.equal(m.status, 200);
  t.match(m.headers['content-type'], /^application\/json/);
  t.equal(m.peerFingerprint, fp(first.certPem));
  const mr = admission(m);
  t.equal(mr.apiVersion, 'admission.k8s.io/v1');
  t.equal(mr.kind, 'AdmissionReview');
  t.equal(mr.response.uid, 'uid-mutate');
  t.equal(mr.response.allowed, true);
  t.equal(mr.response.patchType, 'JSONPatch');
  const repaired = fjp.applyPatch(structuredClone(issuer002), patchOf(m) as fjp.Operation[], true, false).newDocument as K8sObject;
  t.equal((repaired.spec as { privateKey: { rotationPolicy: string } }).privateKey.rotationPolicy, 'Always');
  t.match(mr.response.warnings, [/^spec\.privateKey\.rotationPolicy: set to "Always"/]);

  // The API server appends its timeout to the configured path.
  const v = admission(await post('/validate?timeout=10s', reviewOf(repaired, { uid: 'uid-validate' })));
  t.same(v.response, { uid: 'uid-validate', allowed: true }, 'the repaired object passes');
  const again = admission(await post('/mutate', reviewOf(repaired)));
  t.equal(again.response.patch, undefined, 'second mutate: no patch');

  const broken = structuredClone(issuer002) as K8sObject & { spec: Record<string, unknown> };
  broken.spec.isCA = false;
  const denied = await post('/validate', reviewOf(broken, { uid: 'uid-denied' }));
  t.equal(denied.status, 200, 'a denial is a normal AdmissionReview response');
  const d = admission(denied).response;
  t.equal(d.allowed, false);
  t.equal(d.status?.code, 403);
  t.match(d.status?.message, /spec\.isCA.*\(certificate\/is-ca\)/);

  const outside = admission(await post('/validate', reviewOf(workload, { uid: 'uid-outside' })));
  t.same(outside.response, { uid: 'uid-outside', allowed: true });
  const del = admission(await post('/validate', reviewOf(null, { operation: 'DELETE', oldObject: broken, uid: 'uid-del' })));
  t.same(del.response, { uid: 'uid-del', allowed: true });

  const beta = admission(await post('/validate', { ...reviewOf(workload), apiVersion: 'admission.k8s.io/v1beta1' }));
  t.equal(beta.apiVersion, 'admission.k8s.io/v1beta1', 'the response speaks the request\'s version');

  const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const denial = lines.find((l) => l.uid === 'uid-denied');
  t.match(denial, { msg: 'admission', decision: 'denied', kind: 'Certificate', name: 'linkerd-identity-issuer', namespace: 'linkerd', operation: 'CREATE', denied: ['certificate/is-ca'] });
  t.notOk(logs.some((l) => l.includes('issuerRef') || l.includes('identity.linkerd.cluster.local')), 'logs never carry the object');

  const metrics = await metricsText(server.metricsPort);
  for (const name of [
    'linkerd_cert_guard_admission_requests_total',
    'linkerd_cert_guard_admission_duration_seconds_bucket',
    'linkerd_cert_guard_repairs_total',
    'linkerd_cert_guard_denials_total',
    'linkerd_cert_guard_certificate_reloads_total',
    'linkerd_cert_guard_serving_certificate_expiry_timestamp_seconds',
  ]) {
    t.ok(metrics.includes(`\n${name}`), `metrics expose ${name}`);
  }
  t.match(metrics, /linkerd_cert_guard_admission_requests_total\{endpoint="mutate",kind="Certificate",operation="CREATE",decision="patched"\} 1/);
  t.match(metrics, /linkerd_cert_guard_admission_requests_total\{endpoint="validate",kind="Certificate",operation="CREATE",decision="denied"\} 1/);
  t.match(metrics, /linkerd_cert_guard_repairs_total\{rule="certificate\/rotation-policy"\} 1/);
  t.match(metrics, /linkerd_cert_guard_denials_total\{rule="certificate\/is-ca"\} 1/);
  t.match(metrics, /linkerd_cert_guard_certificate_reloads_total\{result="failure"\} 0/);
  const expiry = Number(/^linkerd_cert_guard_serving_certificate_expiry_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
  t.equal(expiry, Date.parse(new X509Certificate(first.certPem).validTo) / 1000);
  const notFound = await fetch(`http://127.0.0.1:${server.metricsPort}/other`);
  t.equal(notFound.status, 404);
});

t.test('health, readiness, unknown paths, TLS floor, timeouts', async (t) => {
  const { server } = await start(t);
  t.equal((await call(server.port, '/healthz', { ca })).status, 200);
  const ready = await call(server.port, '/readyz', { ca });
  t.equal(ready.status, 200);
  t.equal(ready.text, 'ready');
  const nf = await call(server.port, '/nope', { ca });
  t.equal(nf.status, 404);
  t.match(nf.json, { statusCode: 404, code: 'LCG_NOT_FOUND', error: 'Not Found', message: /not found/ });
  t.equal((await call(server.port, '/mutate', { ca })).status, 404, 'GET /mutate is not a route');

  const tls11 = await new Promise<string>((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    s.on('secureConnect', () => {
      resolve(`connected with ${s.getProtocol()}`);
      s.destroy();
    });
    s.on('error', (e) => resolve(`refused: ${e.message}`));
  });
  t.match(tls11, /^refused/, 'TLS 1.1 is refused');
  const tls12 = await new Promise<string>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca, maxVersion: 'TLSv1.2' });
    s.on('secureConnect', () => {
      resolve(s.getProtocol() ?? '');
      s.destroy();
    });
    s.on('error', reject);
  });
  t.equal(tls12, 'TLSv1.2', 'TLS 1.2 is accepted');
  t.ok(DEFAULTS.keepAliveTimeoutMs > 90_000, 'keep-alive outlasts the API server\'s 90 s idle reuse');
});

t.test('bad input gets a 4xx and the server keeps serving', async (t) => {
  const { server } = await start(t, { headersTimeoutMs: 400, connectionsCheckingIntervalMs: 100 });
  const good = JSON.stringify(reviewOf(workload, { uid: 'still-up' }));
  const stillServing = async (why: string): Promise<void> => {
    const r = await call(server.port, '/validate', { body: good, ca });
    t.equal(r.status, 200, `still serving after ${why}`);
  };
  const oneLine = (r: HttpResult, status: number, error: RegExp, why: string): void => {
    t.equal(r.status, status, why);
    t.match(r.json, { statusCode: status, code: /^LCG_[A-Z_]+$/, message: error }, why);
    t.notMatch(r.text.trim(), /\n/, `${why}: one line`);
    t.notMatch(r.text, /at .*\.js:\d+/, `${why}: no stack`);
  };

  oneLine(await call(server.port, '/mutate', { body: '{"apiVersion": "admission.k8s.io/v1", "kind": ', ca }), 400, /^malformed JSON/, 'malformed JSON');
  await stillServing('malformed JSON');
  oneLine(await call(server.port, '/validate', { body: '{"apiVersion":"v1","kind":"ConfigMap"}', ca }), 400, /^body is not an AdmissionReview/, 'not a review');
  oneLine(await call(server.port, '/validate', { body: '[]', ca }), 400, /^body is not an AdmissionReview/, 'an array');
  oneLine(await call(server.port, '/validate', { body: '', ca }), 400, /^body is not an AdmissionReview/, 'empty body');
  oneLine(await call(server.port, '/mutate', { body: '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}', ca }), 400, /^invalid AdmissionReview: request: required$/, 'missing request');
  await stillServing('invalid reviews');
  const plain = await call(server.port, '/validate', { body: good, ca, headers: { 'content-type': 'text/plain' } });
  t.equal(plain.status, 200, 'the content type is not trusted to decide: the schema does');

  const huge = JSON.stringify({ ...reviewOf(workload), padding: 'x'.repeat(4 * 1024 * 1024) });
  oneLine(await call(server.port, '/mutate', { body: huge, ca }), 413, /^request body exceeds 3145728 bytes$/, 'huge body');
  await stillServing('a huge body');
  // The same without a Content-Length: counted while streaming.
  const chunked = await new Promise<HttpResult>((resolve, reject) => {
    import('node:https').then(({ request }) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/mutate', method: 'POST', servername: 'localhost', ca, agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text), peerFingerprint: '' });
        });
      });
      req.on('error', reject);
      const piece = Buffer.alloc(256 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 5 * 1024 * 1024) {
          sent += piece.length;
          if (!req.write(piece)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    }, reject);
  }).catch((e: NodeJS.ErrnoException) => ({ status: -1, headers: {}, text: e.code ?? e.message, json: undefined, peerFingerprint: '' }));
  t.equal(chunked.status, 413, `chunked huge body: ${chunked.text.slice(0, 80)}`);
  await stillServing('a chunked huge body');

  // A slow client that never finishes its headers is cut off at headersTimeout.
  const slow = await new Promise<{ reply: string; ms: number }>((resolve, reject) => {
    const started = Date.now();
    const s = tlsConnect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca });
    let reply = '';
    s.on('secureConnect', () => s.write('POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n'));
    s.on('data', (c: Buffer) => (reply += c.toString()));
    s.on('close', () => resolve({ reply, ms: Date.now() - started }));
    s.on('error', reject);
    setTimeout(() => reject(new Error('slow client never cut off')), 5000).unref();
  });
  t.match(slow.reply, /^HTTP\/1\.1 408 /, 'slow client gets 408 Request Timeout');
  t.ok(slow.ms >= 350 && slow.ms < 3000, `cut off after ${slow.ms} ms`);
  await stillServing('a slow client');

  const metrics = await metricsText(server.metricsPort);
  const invalid = [...metrics.matchAll(/^linkerd_cert_guard_admission_requests_total\{.*decision="invalid"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  t.equal(invalid, 7, 'each rejected request is counted as invalid');
});

t.test('rotation: a ..data swap is served to new handshakes while requests keep succeeding', async (t) => {
  const { server, dir, logs } = await start(t);
  const body = JSON.stringify(reviewOf(issuer002));
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });
  t.teardown(() => keepAlive.destroy());
  const before = await call(server.port, '/mutate', { body, ca, agent: keepAlive });
  t.equal(before.peerFingerprint, fp(first.certPem));

  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const load = async (): Promise<void> => {
    while (!stop) {
      try {
        const r = await call(server.port, '/mutate', { body, ca, agent: keepAlive });
        if (r.status === 200 && admission(r).response.patch) ok++;
        else failures.push(`status ${r.status}`);
        // A fresh connection now and then, so handshakes happen throughout the swap.
        const fresh = await call(server.port, '/validate', { body, ca });
        if (fresh.status === 200) ok++;
        else failures.push(`fresh status ${fresh.status}`);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  };
  const loops = [load(), load(), load()];
  await new Promise((r) => setTimeout(r, 100));

  swapSecretVolume(dir, { 'tls.crt': second.certPem, 'tls.key': second.keyPem });
  const deadline = Date.now() + 5000;
  let presented = '';
  while (Date.now() < deadline) {
    presented = (await call(server.port, '/healthz', { ca })).peerFingerprint;
    if (presented === fp(second.certPem)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  t.equal(presented, fp(second.certPem), 'new handshakes present the new certificate');
  t.equal(server.servingPair.certFingerprint, fp(second.certPem));

  // A broken pair (new cert, old key) is refused; the working one stays in service.
  swapSecretVolume(dir, { 'tls.crt': third.certPem, 'tls.key': second.keyPem });
  const brokenDeadline = Date.now() + 5000;
  while (Date.now() < brokenDeadline && !/result="failure"\} 1/.test(await metricsText(server.metricsPort))) {
    await new Promise((r) => setTimeout(r, 25));
  }
  await new Promise((r) => setTimeout(r, 100));
  stop = true;
  await Promise.all(loops);

  t.same(failures, [], 'no request failed during the reloads');
  t.ok(ok > 10, `${ok} requests succeeded during the reloads`);
  t.equal((await call(server.port, '/healthz', { ca })).peerFingerprint, fp(second.certPem), 'a broken pair keeps the previous certificate');
  const metrics = await metricsText(server.metricsPort);
  t.match(metrics, /linkerd_cert_guard_certificate_reloads_total\{result="success"\} 1/);
  t.match(metrics, /linkerd_cert_guard_certificate_reloads_total\{result="failure"\} 1/);
  const expiry = Number(/^linkerd_cert_guard_serving_certificate_expiry_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
  t.equal(expiry, Date.parse(new X509Certificate(second.certPem).validTo) / 1000, 'expiry gauge follows the reload');
  t.ok(logs.some((l) => /"level":"error".*keeping the previous one/.test(l) && l.includes('does not match')), 'the broken pair is logged');
  t.notOk(logs.some((l) => l.includes('PRIVATE KEY') || l.includes(second.keyPem.split('\n')[1] ?? '???')), 'no key bytes in logs');
});

t.test('drain: readiness off, still serving during the delay, in-flight finished, then closed', async (t) => {
  const { server } = await start(t, { drainDelayMs: 400 });
  const body = JSON.stringify(reviewOf(issuer002, { uid: 'in-flight' }));
  // A request in flight across the whole drain: headers and half the body now, the rest later.
  const { request } = await import('node:https');
  const inflight = new Promise<HttpResult>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path: '/mutate', method: 'POST', servername: 'localhost', ca, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text), peerFingerprint: '' }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 100));
    setTimeout(() => req.end(body.slice(100)), 700);
  });
  await new Promise((r) => setTimeout(r, 50));
  const drained = server.drain();
  await new Promise((r) => setTimeout(r, 50));
  t.equal(server.isReady(), false);
  t.equal((await call(server.port, '/readyz', { ca })).status, 503, 'readyz says draining');
  t.equal((await call(server.port, '/validate', { body, ca })).status, 200, 'still serving during the drain delay');
  await new Promise((r) => setTimeout(r, 450));
  const refused = await call(server.port, '/healthz', { ca }).then(
    (r) => `status ${r.status}`,
    (e: NodeJS.ErrnoException) => e.code ?? e.message,
  );
  t.equal(refused, 'ECONNREFUSED', 'after the delay no new connection is accepted');
  const done = await inflight;
  t.equal(done.status, 200, 'the in-flight request completed');
  t.equal((done.json as AdmissionReviewResponse).response.uid, 'in-flight');
  t.equal(done.headers.connection, 'close');
  await drained;
  t.pass('drain resolved');
});

t.test('startup failures are one-line GuardErrors', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'lcg-empty-'));
  await t.rejects(
    startWebhookServer({ config: resolveConfig(), tls: { dir: empty }, listen: { host: '127.0.0.1', port: 0 }, metricsListen: null, logger: createLogger('silent', new PassThrough()) }),
    { code: 'LCG_TLS_INVALID', message: /cannot read .*tls\.crt: ENOENT/ },
  );
  const { server } = await start(t);
  const dir = join(mkdtempSync(join(tmpdir(), 'lcg-busy-')), 'tls');
  writeSecretVolume(dir, { 'tls.crt': first.certPem, 'tls.key': first.keyPem });
  await t.rejects(
    startWebhookServer({ config: resolveConfig(), tls: { dir }, listen: { host: '127.0.0.1', port: server.port }, metricsListen: null, logger: createLogger('silent', new PassThrough()) }),
    { code: 'LCG_LISTEN_FAILED', message: `cannot listen on 127.0.0.1:${server.port}: EADDRINUSE` },
  );
});

/** Raw TLS: what the server writes back to a request that is only partly sent. */
function rawExchange(port: number, head: string, o: { body?: Buffer; waitMs?: number } = {}): Promise<{ reply: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca });
    let reply = '';
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      s.destroy();
      resolve({ reply, ms: Date.now() - started });
    };
    s.on('secureConnect', () => {
      s.write(head);
      if (o.body) s.write(o.body);
    });
    s.on('data', (c: Buffer) => {
      reply += c.toString();
      if (/\r\n\r\n[\s\S]*\}/.test(reply) || /^HTTP\/1\.1 100 /.test(reply)) done();
    });
    s.on('close', done);
    s.on('error', (e) => (settled ? undefined : reject(e)));
    setTimeout(done, o.waitMs ?? 5000).unref();
  });
}

t.test('hostile input: bounded answers at once, never a 5xx, and the server stays up', async (t) => {
  const { server } = await start(t);
  const limit = DEFAULTS.bodyLimitBytes;
  const good = JSON.stringify(reviewOf(workload, { uid: 'still-up' }));
  const stillServing = async (why: string): Promise<void> => {
    t.equal((await call(server.port, '/validate', { body: good, ca })).status, 200, `still serving after ${why}`);
  };

  // a declared 100 MB body: 413 before a byte of it is sent, and the connection closes
  const declared = await rawExchange(server.port, `POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`);
  t.match(declared.reply, /^HTTP\/1\.1 413 /, 'declared 100 MB: 413');
  t.match(declared.reply, /connection: close/i);
  t.ok(declared.ms < 2000, `answered in ${declared.ms} ms, without waiting for the body`);

  // Expect: 100-continue with an oversized declared body: no go-ahead, a 413
  const expect = await rawExchange(server.port, `POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`);
  t.notMatch(expect.reply, /100 Continue/, 'no 100 Continue for an oversized body');
  t.match(expect.reply, /^HTTP\/1\.1 413 /);
  // ...and a body within the limit still gets its go-ahead
  const small = await rawExchange(server.port, `POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${good.length}\r\n\r\n`);
  t.match(small.reply, /^HTTP\/1\.1 100 Continue/, 'a small body gets 100 Continue');

  // a chunked body that passes the limit and then stalls: 413 at once, not a 408 after requestTimeout
  const chunk = Buffer.alloc(limit + 1024, 0x20);
  const stalled = await rawExchange(server.port, `POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`, {
    body: Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
  });
  t.match(stalled.reply, /^HTTP\/1\.1 413 /, 'stalled oversized body: 413');
  t.ok(stalled.ms < 3000, `answered in ${stalled.ms} ms`);
  await stillServing('oversized bodies');

  // nesting 5,000 deep in a field a rule quotes: a 400, not a stack overflow and a 500
  // (written as text: JSON.stringify itself cannot go that deep)
  const deep = `${'['.repeat(5000)}"x"${']'.repeat(5000)}`;
  for (const field of ['secretName', 'duration']) {
    const o = structuredClone(issuer002) as K8sObject & { spec: Record<string, unknown> };
    o.spec[field] = '<deep>';
    const r = await call(server.port, '/validate', { body: JSON.stringify(reviewOf(o)).replace('"<deep>"', deep), ca });
    t.equal(r.status, 400, `${field} 5,000 deep: 400`);
    t.same(r.json, { statusCode: 400, code: 'LCG_BODY_OUT_OF_BOUNDS', error: 'Bad Request', message: 'request body is nested deeper than 100 levels' });
  }
  await stillServing('deep nesting');

  // spec as an array: the repair replaces it, a patch the API server can apply
  const arraySpec = { ...structuredClone(issuer002), spec: [] } as K8sObject;
  const mutated = await call(server.port, '/mutate', { body: JSON.stringify(reviewOf(arraySpec)), ca });
  t.equal(mutated.status, 200);
  const ops = patchOf(mutated);
  t.ok(ops.length > 0, 'repaired');
  const applied = fjp.applyPatch(structuredClone(arraySpec), ops as fjp.Operation[], true, false).newDocument as unknown as { spec: Record<string, unknown> };
  t.equal(applied.spec.isCA, true, 'the patch applies and spec is a mapping');

  // a Bundle with 5,000 tls.key sources and an inLine key: a bounded denial with no key bytes
  const keyBody = 'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZZYRTBnVJk5ZQEGG0ZcMAaXoAoGCCqGSM49';
  const bundle = {
    apiVersion: 'trust.cert-manager.io/v1alpha1',
    kind: 'Bundle',
    metadata: { name: 'linkerd-identity-trust-roots' },
    spec: {
      sources: [
        { inLine: `-----BEGIN EC PRIVATE KEY-----\n${keyBody}\n-----END EC PRIVATE KEY-----\n` },
        ...Array.from({ length: 5000 }, (_, i) => ({ secret: { name: `s${i}-${'n'.repeat(200)}`, key: 'tls.key' } })),
      ],
      target: { configMap: { key: 'ca-bundle.crt' }, namespaceSelector: { matchLabels: { 'linkerd.io/is-control-plane': 'true' } } },
    },
  };
  const denied = await call(server.port, '/validate', { body: JSON.stringify(reviewOf(bundle as K8sObject)), ca });
  t.equal(denied.status, 200);
  const response = admission(denied).response;
  t.equal(response.allowed, false);
  const message = response.status?.message ?? '';
  t.ok(Buffer.byteLength(message) <= 4096, `status.message is ${Buffer.byteLength(message)} bytes`);
  t.match(message, /spec\.sources\[0\]\.inLine holds a PRIVATE KEY block/, 'the inLine key is named first');
  t.match(message, /\.\.\. and \d+ more; run linkerd-cert-guard lint for all$/);
  t.notOk(denied.text.includes(keyBody.slice(0, 16)), 'no key byte in the response');
  t.ok(denied.text.length < 16 * 1024, `response ${denied.text.length} bytes`);

  // 200 unique kinds: the kind label stays within its fixed set
  const before = (await metricsText(server.metricsPort)).length;
  for (let i = 0; i < 200; i++) {
    const review = reviewOf(workload);
    review.request.kind.kind = `Kind${i}${'k'.repeat(100)}`;
    t.equal((await call(server.port, '/validate', { body: JSON.stringify(review), ca })).status, 200, 'unique kind: 200', { diagnostic: false });
  }
  const metrics = await metricsText(server.metricsPort);
  const kinds = new Set([...metrics.matchAll(/^linkerd_cert_guard_admission_requests_total\{[^}]*kind="([^"]*)"/gm)].map((m) => m[1]));
  t.same([...kinds].filter((k) => k !== '' && !['Certificate', 'Bundle', 'ClusterBundle', 'Issuer', 'ClusterIssuer', 'Namespace', 'other'].includes(k as string)), [], `kind labels: ${[...kinds].join(', ')}`);
  t.ok(metrics.length - before < 2048, `/metrics grew by ${metrics.length - before} bytes for 200 unique kinds`);
  await stillServing('everything above');
});

t.test('clients still uploading oversized bodies read their 413 instead of a reset', async (t) => {
  const { server } = await start(t);
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  t.teardown(() => agent.destroy());
  const body = Buffer.alloc(DEFAULTS.bodyLimitBytes + 512 * 1024, 0x20);
  const outcomes = await Promise.all(
    Array.from({ length: 24 }, () =>
      call(server.port, '/validate', { body, ca, agent }).then(
        (x) => String(x.status),
        (e: NodeJS.ErrnoException) => e.code ?? e.message,
      ),
    ),
  );
  t.same(outcomes, Array(24).fill('413'), `outcomes: ${outcomes.join(', ')}`);
  t.equal((await call(server.port, '/healthz', { ca })).status, 200);
});

t.test('with the informer cache: /readyz waits for the first sync; reviews are judged against the cache without an API call', async (t) => {
  const api = await startListWatchServer();
  const seed = seedObjects('001-cert-manager-trust-manager.yaml');
  const issuer = seedObject('001-cert-manager-trust-manager.yaml', 'Certificate', 'linkerd-identity-issuer');
  for (const o of seed) if (o.kind === 'Certificate' && (o.metadata as { name: string }).name !== 'linkerd-identity-issuer') api.put(o); // the anchor
  api.put({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'selfsigned-root' }, spec: { selfSigned: {} } });
  api.forbidden.add('clusterissuers');
  api.unserved.add('clusterbundles');
  const out = new PassThrough();
  const cluster = startInformerCache(await connect({ kubeconfig: api.kubeconfigFile }), resolveConfig(), { logger: createLogger('silent', out), retryMinMs: 20, retryMaxMs: 50 });
  t.teardown(async () => {
    await cluster.stop();
    await api.close();
  });
  const { server } = await start(t, { cluster });

  await until('the other kinds listed', () => cluster.status().filter((s) => s.state !== 'syncing').length === 5);
  t.equal((await call(server.port, '/healthz', { ca })).status, 200, 'healthz does not wait for the cache');
  const notReady = await call(server.port, '/readyz', { ca });
  t.equal(notReady.status, 503, 'readyz fails until every kind has listed');
  t.match(notReady.text, /^cache not synced: clusterissuers\.cert-manager\.io \(HTTP 403: clusterissuers is forbidden: [^\n]*\)$/);
  t.equal(server.isReady(), false);
  const metricsBefore = await metricsText(server.metricsPort);
  t.match(metricsBefore, /^linkerd_cert_guard_cache_state\{kind="ClusterIssuer",state="syncing"\} 1$/m);
  t.match(metricsBefore, /^linkerd_cert_guard_cache_state\{kind="ClusterBundle",state="absent"\} 1$/m);

  api.forbidden.delete('clusterissuers');
  await until('readyz 200', () => cluster.synced());
  const ready = await call(server.port, '/readyz', { ca });
  t.same([ready.status, ready.text], [200, 'ready']);
  const metrics = await metricsText(server.metricsPort);
  t.match(metrics, /^linkerd_cert_guard_cache_objects\{kind="Certificate"\} 1$/m, 'objects per kind');
  t.match(metrics, /^linkerd_cert_guard_cache_objects\{kind="ClusterIssuer"\} 1$/m);
  t.match(metrics, /^linkerd_cert_guard_cache_state\{kind="ClusterIssuer",state="synced"\} 1$/m);
  t.match(metrics, /^linkerd_cert_guard_cache_truncated\{kind="Certificate"\} 0$/m);
  t.equal([...metrics.matchAll(/^linkerd_cert_guard_cache_state\{/gm)].length, 18, 'six kinds times three states, nothing else');

  const requestsBefore = api.requests.length;
  const judge = async (name: string): Promise<AdmissionReviewResponse> => {
    const o = structuredClone(issuer) as K8sObject & { spec: { issuerRef: { name: string } } };
    o.spec.issuerRef.name = name;
    const r = await call(server.port, '/validate', { body: JSON.stringify(reviewOf(o)), ca });
    t.equal(r.status, 200);
    return admission(r);
  };
  const refused = await judge('selfsigned-root');
  t.equal(refused.response.allowed, false, 'signed by a selfSigned ClusterIssuer in the cache: denied');
  t.match(refused.response.status?.message, /\(setup\/issuer-self-signed\)$/);
  const unknown = await judge('no-such-issuer');
  t.equal(unknown.response.allowed, true, 'an unknown ClusterIssuer: allowed');
  t.match(unknown.response.warnings, [/names ClusterIssuer no-such-issuer, which does not exist.*\(setup\/issuer-ref\)$/]);
  t.equal(api.requests.length, requestsBefore, 'no API call while judging');

  api.put({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'no-such-issuer' }, spec: { selfSigned: {} } });
  await until('the watched ClusterIssuer', () => cluster.snapshot().some((o) => (o.metadata as { name: string }).name === 'no-such-issuer'));
  t.equal((await judge('no-such-issuer')).response.allowed, false, 'created after the start, seen through the watch: denied');
});
