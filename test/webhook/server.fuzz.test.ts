/**
 * Fuzz of the admission endpoints over real HTTPS (bounded: FUZZ_COUNT seeded cases, a few at a
 * time). Every answer must be a 2xx or 4xx, never a 5xx; every patch must apply as the API server
 * applies it (fast-json-patch with validation); denial messages and warnings stay within their
 * bounds; /metrics stays bounded; and the server still serves afterwards. A failure names the seed
 * and case, which reproduce it (`reviewCase(corpus, seed, index)`). The long run is `npm run fuzz`.
 */
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fjp from 'fast-json-patch';
import { resolveConfig } from '../../checks/config.js';
import { createLogger } from '../../webhook/log.js';
import type { AdmissionReviewResponse } from '../../webhook/review.js';
import { startWebhookServer } from '../../webhook/server.js';
import { reviewCase, seedCorpus } from '../helpers/fuzz.js';
import { call, makeServingCert, reviewOf, seedObject, writeSecretVolume } from './helpers.js';

const SEED = Number(process.env.LCG_FUZZ_SEED ?? 20261202);
const FUZZ_COUNT = Number(process.env.LCG_FUZZ_COUNT ?? 2000);
const CONCURRENCY = 4;
/** a slow machine runs fewer cases rather than time out: the count and the time are both bounded */
const BUDGET_MS = Number(process.env.LCG_FUZZ_BUDGET_MS ?? 60_000);

t.test(`admission fuzz: ${FUZZ_COUNT} seeded cases (seed ${SEED})`, async (t) => {
  const serving = await makeServingCert('fuzz.linkerd-cert-guard');
  const ca = serving.certPem;
  const dir = join(mkdtempSync(join(tmpdir(), 'lcg-fuzz-')), 'tls');
  writeSecretVolume(dir, { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem });
  const server = await startWebhookServer({
    config: resolveConfig(),
    tls: { dir },
    listen: { host: '127.0.0.1', port: 0 },
    metricsListen: { host: '127.0.0.1', port: 0 },
    logger: createLogger('info', new PassThrough().resume()),
    drainDelayMs: 0,
    reloadPollMs: 60_000,
    processMetrics: false,
  });
  t.teardown(() => server.drain());
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  t.teardown(() => agent.destroy());

  const corpus = seedCorpus();
  const statuses = new Map<number, number>();
  const problems: string[] = [];
  let patches = 0;
  let next = 0;
  const deadline = Date.now() + BUDGET_MS;
  const worker = async (): Promise<void> => {
    while (next < FUZZ_COUNT && Date.now() < deadline) {
      const index = next++;
      const c = reviewCase(corpus, SEED, index);
      const path = index % 2 === 0 ? '/mutate' : '/validate';
      const where = `case ${index} (${path}; ${c.note})`;
      let r;
      try {
        r = await call(server.port, path, { body: c.body, ca, agent });
      } catch (e) {
        problems.push(`${where}: connection failed: ${(e as Error).message}`);
        continue;
      }
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status >= 500 || r.status < 200) problems.push(`${where}: status ${r.status}: ${r.text.slice(0, 200)}`);
      if (r.text.length > 32 * 1024) problems.push(`${where}: a ${r.text.length}-byte answer`);
      if (r.status !== 200) continue;
      const response = (r.json as AdmissionReviewResponse).response;
      const message = response.status?.message ?? '';
      if (Buffer.byteLength(message) > 4096) problems.push(`${where}: status.message of ${Buffer.byteLength(message)} bytes`);
      const warned = (response.warnings ?? []).reduce((n, w) => n + Buffer.byteLength(w), 0);
      if (warned > 4096) problems.push(`${where}: ${warned} bytes of warnings`);
      if (response.patch !== undefined) {
        patches++;
        try {
          const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as fjp.Operation[];
          // validate: true refuses what the API server refuses (a path into a list by name, a missing parent)
          // to the object exactly as the server received it
          const sent = (JSON.parse(c.body.toString('utf8')) as { request: { object: unknown } }).request.object;
          fjp.applyPatch(sent, ops, true, false);
        } catch (e) {
          problems.push(`${where}: unappliable patch: ${(e as Error).message.split('\n')[0]}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  t.same(problems.slice(0, 10), [], `no 5xx, no unappliable patch, bounded answers (${problems.length} problems)`);
  t.equal([...statuses.keys()].filter((s) => s >= 500).length, 0, 'no 5xx');
  const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
  t.comment(`${sent} cases sent; statuses: ${[...statuses].sort().map(([s, n]) => `${s}: ${n}`).join(', ')}; patches applied: ${patches}`);
  t.ok(sent >= Math.min(FUZZ_COUNT, 200), `${sent} cases within the time budget`);
  t.ok((statuses.get(200) ?? 0) > sent / 3, 'most cases reach a decision (the fuzz is not all rejected at the door)');
  t.ok((statuses.get(400) ?? 0) > 0, 'some cases are refused as malformed');
  t.ok(patches > 0, 'some cases are repaired');

  const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  const series = metrics.split('\n').filter((l) => l.startsWith('linkerd_cert_guard_admission_requests_total{')).length;
  // endpoint (2) x kind (7, plus '' for invalid) x operation (4, plus '') x decision (7): a fixed ceiling
  t.ok(series <= 2 * 8 * 5 * 7, `${series} request series`);
  t.ok(metrics.length < 64 * 1024, `/metrics is ${metrics.length} bytes`);

  const health = await call(server.port, '/healthz', { ca });
  t.equal(health.status, 200, 'healthz after the fuzz');
  const issuer = seedObject('002-on-cluster-ca.yaml', 'Certificate', 'linkerd-identity-issuer');
  const after = await call(server.port, '/mutate', { body: JSON.stringify(reviewOf(issuer)), ca });
  t.equal(after.status, 200, 'a real review is still repaired after the fuzz');
  t.ok((after.json as AdmissionReviewResponse).response.patch, 'with a patch');
});
