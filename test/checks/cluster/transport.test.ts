/**
 * The transport under client-node's typed clients, against a real HTTPS server on loopback:
 * impersonation header lines, --wait retries of transient answers only, and bounded responses.
 */
import t from 'tap';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { sendWithRetry } from '../../../checks/cluster/transport.js';
import { issue, keyPem, makeKeyPair, selfSigned } from '../../helpers/pki.js';

async function server(answer: (n: number, raw: string[]) => { status: number; body?: string }) {
  const ca = await selfSigned(await makeKeyPair('P-256'), { cn: 'transport-test-ca', isCA: true });
  const serving = await issue(await makeKeyPair('P-256'), ca, { cn: 'localhost', dnsNames: ['localhost'], extKeyUsage: ['serverAuth'] });
  const seen: string[][] = [];
  const srv: Server = createServer({ key: keyPem(serving.key), cert: serving.pem }, (req, res) => {
    seen.push(req.rawHeaders);
    const a = answer(seen.length, req.rawHeaders);
    res.statusCode = a.status;
    res.end(a.body ?? '{}');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `https://localhost:${(srv.address() as AddressInfo).port}/api/v1/namespaces/linkerd/secrets/x`;
  const agent = new Agent({ ca: ca.pem });
  const request = () => {
    const r = new k8s.RequestContext(url, k8s.HttpMethod.GET);
    r.setAgent(agent);
    r.setHeaderParam('Authorization', 'Bearer t');
    return r;
  };
  return { srv, seen, request };
}

const values = (raw: string[], name: string) => raw.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === name.toLowerCase() ? [raw[i + 1]!] : []));

t.test('impersonation: one Impersonate-User line, one Impersonate-Group line per group', async (t) => {
  const s = await server(() => ({ status: 200 }));
  t.teardown(() => s.srv.close());
  const a = await sendWithRetry(s.request(), { as: 'alice', asGroups: ['readers', 'a,b'], waitMs: 0 });
  t.equal(a.status, 200);
  const raw = s.seen[0]!;
  t.same(values(raw, 'Impersonate-User'), ['alice']);
  t.same(values(raw, 'Impersonate-Group'), ['readers', 'a,b'], 'separate header lines, a comma kept inside its group');
  t.same(values(raw, 'Authorization'), ['Bearer t'], 'the kubeconfig credentials are still sent');
  await sendWithRetry(s.request(), { waitMs: 0 });
  t.same(values(s.seen[1]!, 'Impersonate-User'), [], 'no impersonation unless asked');
});

t.test('--wait retries 503 and 429 until an answer; 0 retries nothing; 403 is never retried', async (t) => {
  const s = await server((n) => ({ status: n <= 2 ? (n === 1 ? 503 : 429) : 200 }));
  t.teardown(() => s.srv.close());
  const lines: string[] = [];
  const a = await sendWithRetry(s.request(), { waitMs: 10_000, log: (l) => lines.push(l) });
  t.equal(a.status, 200);
  t.equal(s.seen.length, 3, 'two retries');
  t.match(lines[0], /^GET \/api\/v1\/namespaces\/linkerd\/secrets\/x: HTTP 503; retrying in 250 ms \(--wait\)$/);

  const once = await server(() => ({ status: 503 }));
  t.teardown(() => once.srv.close());
  t.equal((await sendWithRetry(once.request(), { waitMs: 0 })).status, 503, 'without --wait the 503 is the answer');
  t.equal(once.seen.length, 1);
  t.equal((await sendWithRetry(once.request(), { waitMs: 2000 })).status, 503, 'a short --wait gives up with the last answer');
  // 250, 500 and 1000 ms apart, the next (2000 ms later) would be past the deadline
  t.ok(once.seen.length >= 1 + 2 && once.seen.length <= 1 + 4, `bounded by the deadline (${once.seen.length - 1} requests)`);

  const forbidden = await server(() => ({ status: 403 }));
  t.teardown(() => forbidden.srv.close());
  t.equal((await sendWithRetry(forbidden.request(), { waitMs: 10_000 })).status, 403);
  t.equal(forbidden.seen.length, 1, '403 is an answer, not a transient error');
});

t.test('a refused connection is not retried; a too-large body is refused', async (t) => {
  const s = await server(() => ({ status: 200, body: 'x'.repeat(10_000) }));
  await t.rejects(sendWithRetry(s.request(), { waitMs: 0, maxBodyBytes: 1000 }), { message: 'response larger than 1000 bytes' });
  const req = s.request();
  await new Promise((r) => s.srv.close(r));
  const lines: string[] = [];
  await t.rejects(sendWithRetry(req, { waitMs: 60_000, log: (l) => lines.push(l) }), { message: /ECONNREFUSED/ });
  t.same(lines, [], 'answered at once: no retry for --wait');
});
