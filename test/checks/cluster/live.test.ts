import t from 'tap';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { resolveConfig } from '../../../checks/config.js';
import { loadLive } from '../../../checks/cluster/live.js';
import { buildSnapshot } from '../../../checks/cluster/snapshot.js';
import { runChecks } from '../../../checks/identity/run.js';
import { run } from '../../../checks/cli/check.js';
import { exampleObjects } from '../../helpers/example-setup.js';
import { issue, keyPem, makeKeyPair, makeLinkerdChain, selfSigned } from '../../helpers/pki.js';

// A real HTTP server answering the Kubernetes API paths the live loader reads, with objects from a
// generated setup; everything else is a 404 Status, as the API server answers for missing objects/CRDs.
async function apiServer(objects: Record<string, object>, forbidden?: RegExp) {
  const requests: string[] = [];
  const items = (kind: string) => Object.values(objects).flatMap((o) => ((o as { kind: string }).kind === 'List' ? (o as { items: object[] }).items : [o])).filter((o) => (o as { kind: string }).kind === kind);
  const byPath = (path: string): unknown => {
    const one = (kind: string, ns: string | undefined, name: string) => items(kind).find((o) => {
      const m = (o as { metadata: { name: string; namespace?: string } }).metadata;
      return m.name === name && (ns === undefined || m.namespace === ns);
    });
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/(secrets|configmaps)\/([^/]+)$/))) return one(m[2] === 'secrets' ? 'Secret' : 'ConfigMap', m[1], m[3]!);
    if ((m = path.match(/^\/api\/v1\/namespaces\/([^/]+)$/))) return one('Namespace', undefined, m[1]!);
    if ((m = path.match(/^\/apis\/cert-manager\.io\/v1\/(certificates|issuers|clusterissuers)$/))) return { items: items({ certificates: 'Certificate', issuers: 'Issuer', clusterissuers: 'ClusterIssuer' }[m[1]!]!) };
    if (path === '/apis/trust.cert-manager.io/v1alpha1/bundles') return { items: items('Bundle') };
    if (/^\/api\/v1\/namespaces\/[^/]+\/pods$/.test(path) || path === '/api/v1/pods') return { apiVersion: 'v1', kind: 'PodList', items: [] };
    return undefined;
  };
  // HTTPS with a generated CA, as client-node refuses plain HTTP without skipTLSVerify
  const ca = await selfSigned(await makeKeyPair('P-256'), { cn: 'test-apiserver-ca', isCA: true });
  const serving = await issue(await makeKeyPair('P-256'), ca, { cn: 'localhost', dnsNames: ['localhost'], extKeyUsage: ['serverAuth'] });
  const server = createServer({ key: keyPem(serving.key), cert: serving.pem }, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search} ${req.headers.authorization ?? ''}${req.headers['impersonate-user'] ? ` as=${String(req.headers['impersonate-user'])}` : ''}`);
    res.setHeader('content-type', 'application/json');
    if (forbidden?.test(url.pathname)) {
      res.statusCode = 403;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403 }));
      return;
    }
    const body = byPath(url.pathname);
    if (body === undefined) {
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
    } else res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'lcg-kube-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster: {server: "https://localhost:${port}", certificate-authority-data: ${Buffer.from(ca.pem).toString('base64')}}\n- name: other\n  cluster: {server: "https://localhost:1", certificate-authority-data: ${Buffer.from(ca.pem).toString('base64')}}\nusers:\n- name: u\n  user: {token: test-token}\ncontexts:\n- name: test\n  context: {cluster: test, user: u}\n- name: down\n  context: {cluster: other, user: u}\ncurrent-context: test\n`);
  return { server, kubeconfig, requests };
}

const capture = () => {
  const chunks: string[] = [];
  const stream = { write: (s: string) => (chunks.push(s), true), isTTY: false } as unknown as NodeJS.WritableStream;
  return { stream, text: () => chunks.join('') };
};

t.test('live: objects read through client-node produce the same verdicts', async (t) => {
  const chain = await makeLinkerdChain();
  const api = await apiServer(exampleObjects(chain));
  t.teardown(() => api.server.close());
  const config = resolveConfig();
  const live = await loadLive({ kubeconfig: api.kubeconfig, proxy: true, config });
  t.ok(live.certManagerAvailable);
  t.same(live.notFound, {});
  t.ok(api.requests.some((r) => r.startsWith('GET /api/v1/namespaces/linkerd/secrets/linkerd-identity-issuer Bearer test-token')));
  t.ok(api.requests.some((r) => r.startsWith('GET /api/v1/pods?labelSelector=linkerd.io%2Fcontrol-plane-ns')), '--proxy lists meshed pods');
  const report = await runChecks(buildSnapshot({ config, now: new Date(), mode: 'live', objects: live.objects, notFound: live.notFound, certManagerAvailable: live.certManagerAvailable, proxy: true }));
  t.ok(report.success);
  t.same(report.categories.map((c) => c.name), ['linkerd-identity', 'linkerd-identity-trust-bundle', 'linkerd-identity-issuer-ca', 'cert-manager', 'linkerd-identity-data-plane']);

  // through the CLI, with --context
  const out = capture();
  const err = capture();
  const code = await run(['--kubeconfig', api.kubeconfig, '--context', 'test', '-o', 'json'], { stdout: out.stream, stderr: err.stream, stdin: process.stdin, env: {}, cwd: process.cwd() });
  t.equal(code, 0);
  t.equal((JSON.parse(out.text()) as { success: boolean }).success, true);
});

t.test('live: a missing issuer Secret is a finding; an unknown context or a down cluster exit 2', async (t) => {
  const chain = await makeLinkerdChain();
  const objs = exampleObjects(chain);
  delete objs['issuer-secret.yaml'];
  const api = await apiServer(objs);
  t.teardown(() => api.server.close());
  const out = capture();
  const code = await run(['--kubeconfig', api.kubeconfig], { stdout: out.stream, stderr: capture().stream, stdin: process.stdin, env: {}, cwd: process.cwd() });
  t.equal(code, 1);
  t.match(out.text(), /× certificate config is valid\n    secrets "linkerd-identity-issuer" not found\n/);
  await t.rejects(run(['--kubeconfig', api.kubeconfig, '--context', 'nope'], { stdout: capture().stream, stderr: capture().stream, stdin: process.stdin, env: {}, cwd: process.cwd() }), { code: 'LCG_KUBECONFIG', message: 'context "nope" not found in kubeconfig' });
  await t.rejects(loadLive({ kubeconfig: api.kubeconfig, context: 'down', proxy: false, config: resolveConfig() }), { code: 'LCG_CLUSTER_UNREACHABLE', message: /^cannot read Secret linkerd\/linkerd-identity-issuer from https:\/\/localhost:1: / });
  await t.rejects(loadLive({ kubeconfig: '/nonexistent/kubeconfig', proxy: false, config: resolveConfig() }), { code: 'LCG_KUBECONFIG' });
});

t.test('live: RBAC withholding optional objects narrows the run; withholding what --proxy needs exits 2', async (t) => {
  const chain = await makeLinkerdChain();
  const api = await apiServer(exampleObjects(chain), /^\/api\/v1\/namespaces\/linkerd$|\/namespaces\/cert-manager\/secrets\/|^\/apis\/|\/namespaces\/linkerd\/pods$|^\/api\/v1\/pods$/);
  t.teardown(() => api.server.close());
  const live = await loadLive({ kubeconfig: api.kubeconfig, proxy: false, config: resolveConfig() });
  t.equal(live.certManagerAvailable, false);
  t.same(live.objects.map((o) => `${String(o.kind)}/${(o.metadata as { name: string }).name}`), ['Secret/linkerd-identity-issuer', 'ConfigMap/linkerd-config', 'ConfigMap/linkerd-identity-trust-roots']);
  const out = capture();
  t.equal(await run(['--kubeconfig', api.kubeconfig, '-o', 'json'], { stdout: out.stream, stderr: capture().stream, stdin: process.stdin, env: {}, cwd: process.cwd() }), 0);
  t.same((JSON.parse(out.text()) as { categories: Array<{ categoryName: string }> }).categories.map((c) => c.categoryName), ['linkerd-identity', 'linkerd-identity-trust-bundle', 'linkerd-identity-issuer-ca']);
  await t.rejects(loadLive({ kubeconfig: api.kubeconfig, proxy: true, config: resolveConfig() }), { code: 'LCG_CLUSTER_UNREACHABLE', message: /^cannot read meshed pods \(--proxy\) from https:\/\/localhost:\d+: HTTP 403$/ });
});

t.test('live: the flags linkerd check forwards: --as, --as-group, --namespace, --api-addr, --wait, --verbose', async (t) => {
  const chain = await makeLinkerdChain();
  const api = await apiServer(exampleObjects(chain));
  t.teardown(() => api.server.close());
  const port = (api.server.address() as AddressInfo).port;
  const out = capture();
  const err = capture();
  const io = { stdout: out.stream, stderr: err.stream, stdin: process.stdin, env: {}, cwd: process.cwd() };
  // the down context, redirected to the live server with --api-addr
  const code = await run(['--kubeconfig', api.kubeconfig, '--context', 'down', `--api-addr=localhost:${port}`, '--as=alice', '--as-group=[]', '--proxy=true', '--namespace=apps', '--wait=5m0s', '--verbose=true', '--output=json'], io);
  t.equal(code, 0, err.text());
  t.ok(api.requests.every((r) => r.endsWith('as=alice')), 'every request impersonates alice');
  t.ok(api.requests.some((r) => r.startsWith('GET /api/v1/namespaces/apps/pods?labelSelector=linkerd.io%2Fcontrol-plane-ns')), '--namespace limits the meshed pods --proxy lists');
  t.notOk(api.requests.some((r) => r.startsWith('GET /api/v1/pods')), 'no list across all namespaces');
  t.match(err.text(), new RegExp(`^linkerd-cert-guard: reading from https://localhost:${port} as alice\n`), '--verbose says where it reads');
  t.match(err.text(), /\nlinkerd-cert-guard: GET \/api\/v1\/namespaces\/linkerd\/secrets\/linkerd-identity-issuer: HTTP 200\n/);
  const quiet = capture();
  t.equal(await run(['--kubeconfig', api.kubeconfig, '--verbose=false', '--proxy=false', '-o', 'json'], { ...io, stderr: quiet.stream }), 0);
  t.equal(quiet.text(), '', '--verbose=false is quiet');
  const down = capture();
  t.equal(await run(['--kubeconfig', api.kubeconfig, '--context', 'down', '--output=json'], { ...io, stdout: down.stream }), 1, 'an unreachable cluster is exit 1, not a usage error');
  const doc = JSON.parse(down.text()) as { categories: Array<{ categoryName: string; checks: Array<{ id: string; error: string }> }> };
  t.same(doc.categories.map((c) => c.categoryName), ['kubernetes-api']);
  t.match(doc.categories[0]!.checks[0]!.error, /^cannot read Secret linkerd\/linkerd-identity-issuer from https:\/\/localhost:1: .*ECONNREFUSED/);
  await t.rejects(run(['--kubeconfig', api.kubeconfig, '--api-addr', 'https://x/y'], io), { code: 'LCG_FLAG_INVALID', message: '--api-addr: not a host:port or https URL: "https://x/y"' });
});

t.test('request: writes go out with their method, query, content type and JSON body; an HTTP error is an ApiException statusOf and apiMessage read', async (t) => {
  const { connect, request, requestJson, apiMessage, statusOf, getObject, listObjects } = await import('../../../checks/cluster/live.js');
  const seen: Array<{ method: string; url: string; type: string | undefined; body: string }> = [];
  const ca = await selfSigned(await makeKeyPair('P-256'), { cn: 'test-apiserver-ca', isCA: true });
  const serving = await issue(await makeKeyPair('P-256'), ca, { cn: 'localhost', dnsNames: ['localhost'], extKeyUsage: ['serverAuth'] });
  const server = createServer({ key: keyPem(serving.key), cert: serving.pem }, (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', type: req.headers['content-type'], body });
      res.setHeader('content-type', 'application/json');
      if (req.url?.includes('forbidden')) {
        res.statusCode = 403;
        res.end(JSON.stringify({ kind: 'Status', status: 'Failure', message: 'secrets "x" is forbidden: User "u" cannot get', code: 403 }));
      } else if (req.url === '/api/v1/namespaces/apps/configmaps') res.end(JSON.stringify({ kind: 'ConfigMapList', items: [{ metadata: { name: 'a' } }, 'not an object'] }));
      else res.end(JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'x' } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'lcg-kube-')), 'config');
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster: {server: "https://localhost:${(server.address() as AddressInfo).port}", certificate-authority-data: ${Buffer.from(ca.pem).toString('base64')}}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: test\n  context: {cluster: test, user: u}\ncurrent-context: test\n`);
  const conn = await connect({ kubeconfig });
  await requestJson(conn, 'PATCH', '/apis/apps/v1/namespaces/apps/deployments/web', { body: { spec: { paused: false } }, contentType: 'application/merge-patch+json', query: { fieldManager: 'linkerd-cert-guard', unset: undefined } });
  await requestJson(conn, 'PUT', '/api/v1/namespaces/apps/secrets/x', { body: { metadata: { name: 'x' } } });
  t.same(seen[0], { method: 'PATCH', url: '/apis/apps/v1/namespaces/apps/deployments/web?fieldManager=linkerd-cert-guard', type: 'application/merge-patch+json', body: '{"spec":{"paused":false}}' });
  t.same(seen[1], { method: 'PUT', url: '/api/v1/namespaces/apps/secrets/x', type: 'application/json', body: '{"metadata":{"name":"x"}}' });
  t.same(await getObject(conn, '/api/v1/namespaces/apps/secrets/x', 'Secret', 'v1'), { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'x' } });
  t.same(await listObjects(conn, '/api/v1/namespaces/apps/configmaps', 'ConfigMap', 'v1'), [{ metadata: { name: 'a' }, kind: 'ConfigMap', apiVersion: 'v1' }], 'list items get their kind; a non-object item is dropped');
  const refused = await request(conn, 'GET', '/api/v1/namespaces/apps/secrets/forbidden').catch((e: unknown) => e);
  t.equal(statusOf(refused), 403);
  t.equal(apiMessage(refused), 'secrets "x" is forbidden: User "u" cannot get');
});

t.test('corePath: one namespaced core path, names encoded', async (t) => {
  const { corePath } = await import('../../../checks/cluster/live.js');
  t.equal(corePath('linkerd', 'pods'), '/api/v1/namespaces/linkerd/pods');
  t.equal(corePath('cert-manager', 'secrets', 'linkerd-trust-anchor'), '/api/v1/namespaces/cert-manager/secrets/linkerd-trust-anchor');
  t.equal(corePath('a b', 'configmaps', 'x/y'), '/api/v1/namespaces/a%20b/configmaps/x%2Fy');
});
