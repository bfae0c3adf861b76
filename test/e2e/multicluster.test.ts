/**
 * Several clusters judged together: three real kube-apiservers, each with its own etcd, on
 * loopback, read concurrently by one `check --context east --context west --context south`.
 * Each cluster's identity objects are Secrets and ConfigMaps written with keys generated at test
 * time (test/helpers/pki.ts), as cert-manager and trust-manager would leave them: what is under test
 * is the multicluster judgement over what the API servers serve, not the issuance (e2e.test.ts
 * has the real cert-manager and trust-manager issue one cluster's).
 */
import t from 'tap';
import { rmSync } from 'node:fs';
import { enterTier, startEnv, stopAll, type Env } from './harness.js';
import { kubeconfigIn, parseLikeLinkerd, runCli, writeIdentity, type LinkerdView } from './clusters.js';
import { issue, makeKeyPair, selfSigned, type TestCert } from '../helpers/pki.js';

const NAMES = ['east', 'west', 'south'] as const;
type Name = (typeof NAMES)[number];

const tools = enterTier(t, 'multi-cluster check tier');
if (tools !== null) {
  t.setTimeout(400_000);
  const envs = {} as Record<Name, Env>;
  let kubeconfig: string;

  const identity = 'identity.linkerd.cluster.local';
  const newAnchor = async () => selfSigned(await makeKeyPair('P-256'), { cn: 'root.linkerd.cluster.local', isCA: true, notAfter: new Date(Math.floor((Date.now() + 3650 * 86400_000) / 1000) * 1000) });
  const issuerUnder = async (a: TestCert) => issue(await makeKeyPair('P-256'), a, { cn: identity, dnsNames: [identity], isCA: true, pathLen: 0 });
  let shared: TestCert;
  const issuers = {} as Record<Name, TestCert>;
  const steady = (n: Name) => writeIdentity(envs[n].cluster, { issuer: issuers[n], anchor: shared, bundle: [shared] });

  const check = async (): Promise<{ code: number; view: LinkerdView; json: { success: boolean; categories: Array<{ categoryName: string; cluster?: string }> } }> => {
    const r = await runCli(['check', `--kubeconfig=${kubeconfig}`, ...NAMES.flatMap((n) => ['--context', n]), '--output=json']);
    return { code: r.code, view: parseLikeLinkerd(r.stdout), json: JSON.parse(r.stdout) as never };
  };
  const multi = (v: LinkerdView, id: string) => v.categories.find((c) => c.name === 'linkerd-identity-multicluster')?.checks.find((k) => k.id === id);

  t.before(async () => {
    const started = await Promise.all(NAMES.map((n) => startEnv(tools).then((e) => [n, e] as const)));
    for (const [n, e] of started) envs[n] = e;
    kubeconfig = kubeconfigIn(envs.east.dir, { east: envs.east.cluster, west: envs.west.cluster, south: envs.south.cluster });
    shared = await newAnchor();
    for (const n of NAMES) issuers[n] = await issuerUnder(shared);
    await Promise.all(NAMES.map(steady));
  });
  t.teardown(async () => {
    await stopAll(envs.east?.dir);
    for (const n of NAMES) if (envs[n]) rmSync(envs[n].dir, { recursive: true, force: true });
  });

  t.test('three clusters sharing one anchor pass; every category names its cluster', async (t) => {
    const r = await check();
    t.same(r.view.problems, []);
    t.equal(r.code, 0);
    t.same([...new Set(r.json.categories.map((c) => c.cluster))], ['east', 'west', 'south', '*']);
    t.equal(multi(r.view, 'lcg-multicluster-issuer-chains-everywhere')?.failed, false);
    t.equal(multi(r.view, 'lcg-multicluster-anchor-retired-early')?.failed, false);
  });

  t.test('a cluster with its own anchor fails, naming both clusters', async (t) => {
    const own = await newAnchor();
    await writeIdentity(envs.south.cluster, { issuer: await issuerUnder(own), anchor: own, bundle: [own] });
    t.teardown(() => steady('south'));
    const r = await check();
    const c = multi(r.view, 'lcg-multicluster-issuer-chains-everywhere');
    t.equal(c?.failed, true);
    t.match(c?.error, /the issuer of cluster south \([^)]*\) does not chain to the trust bundle of cluster east \(ConfigMap linkerd\/linkerd-identity-trust-roots ca-bundle\.crt\)/);
    t.match(c?.error, /the issuer of cluster east \([^)]*\) does not chain to the trust bundle of cluster south/);
    t.match(c?.error, /the issuer of cluster west \([^)]*\) does not chain to the trust bundle of cluster south/);
    t.same(r.view.problems.filter((p) => !p.startsWith('[*]')), [], 'each cluster alone is healthy: only the multicluster check sees it');
    t.equal(r.code, 1);
  });

  t.test('a half-done rotation in one cluster is caught', async (t) => {
    // east staged a new anchor and re-issued its issuer under it; west and south have not staged it yet
    const next = await newAnchor();
    await writeIdentity(envs.east.cluster, { issuer: await issuerUnder(next), anchor: next, bundle: [shared, next] });
    t.teardown(() => steady('east'));
    const r = await check();
    const c = multi(r.view, 'lcg-multicluster-issuer-chains-everywhere');
    t.equal(c?.failed, true);
    t.match(c?.error, /the issuer of cluster east .* does not chain to the trust bundle of cluster west/);
    t.match(c?.error, /the issuer of cluster east .* does not chain to the trust bundle of cluster south/);
    t.notMatch(c?.error, /the issuer of cluster (west|south)/, 'east still trusts the old anchor the others use');
    t.equal(r.code, 1);
  });

  t.test('one cluster stopped is one failed check; the others are still judged', async (t) => {
    await envs.south.cluster.apiserver.stop();
    await envs.south.cluster.etcd.stop();
    const r = await check();
    t.same(r.view.problems.length, 1, r.view.problems.join('\n'));
    t.match(r.view.problems[0], /^\[south\] can read Linkerd's identity objects from the Kubernetes API: cannot read Secret linkerd\/linkerd-identity-issuer from https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    for (const n of ['east', 'west']) t.ok(r.view.categories.some((c) => c.cluster === n && c.name === 'linkerd-identity-trust-bundle'), `${n} judged`);
    const c = multi(r.view, 'lcg-multicluster-issuer-chains-everywhere');
    t.equal(c?.failed, false, 'east and west still judged together');
    t.match(r.view.categories.find((x) => x.name === 'linkerd-identity-multicluster')?.checks[0]?.description, /not judged: south \(unreachable\)/, 'says which cluster was left out');
    t.equal(r.code, 1);
  });
}
