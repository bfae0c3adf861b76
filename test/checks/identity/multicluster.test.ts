/**
 * Several clusters judged together, from files (`check --from NAME=PATH`): each cluster's objects are
 * the example setup's Secrets and ConfigMaps written with keys generated here, so what is under test
 * is the multicluster logic, not how the certificates were issued.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ALL_CLUSTERS, judgedClusters, notJudged } from '../../../checks/identity/multicluster.js';
import { exampleObjects } from '../../helpers/example-setup.js';
import { runInProcess } from '../../helpers/cli.js';
import { issue, makeKeyPair, makeLinkerdChain, selfSigned, type TestCert } from '../../helpers/pki.js';

type Doc = { success: boolean; categories: Array<{ categoryName: string; cluster?: string; checks: Array<{ id: string; result: string; error?: string; description: string }> }> };

const root = mkdtempSync(join(tmpdir(), 'lcg-mc-'));
t.teardown(() => import('node:fs').then((fs) => fs.rmSync(root, { recursive: true, force: true })));

const identity = 'identity.linkerd.cluster.local';
async function issuerUnder(anchor: TestCert): Promise<TestCert> {
  return issue(await makeKeyPair('P-256'), anchor, { cn: identity, dnsNames: [identity], isCA: true, pathLen: 0 });
}
/** An anchor; `ageDays` back-dates it, as an anchor being rotated out was issued long before its successor. */
async function newAnchor(ageDays = 0): Promise<TestCert> {
  const second = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
  return selfSigned(await makeKeyPair('P-256'), { cn: 'root.linkerd.cluster.local', isCA: true, notBefore: second(Date.now() - ageDays * 86400_000 - 60_000), notAfter: second(Date.now() + 3650 * 86400_000) });
}

/** One cluster's objects in `root/<name>`: issuer under `signer`, bundle holding `bundle`, current anchor Secret `current`. */
async function cluster(name: string, signer: TestCert, bundle: TestCert[], current = signer): Promise<string> {
  const dir = join(root, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir);
  const objs = exampleObjects({ anchor: current, issuer: await issuerUnder(signer) }) as Record<string, { data: Record<string, string> }>;
  objs['trust-roots.yaml']!.data['ca-bundle.crt'] = bundle.map((b) => b.pem).join('');
  delete objs['cert-manager.yaml'];
  for (const [file, obj] of Object.entries(objs)) writeFileSync(join(dir, file), stringify(obj));
  return `${name}=${dir}`;
}

async function check(...from: string[]): Promise<{ code: number; doc: Doc; stderr: string }> {
  const r = await runInProcess(['check', ...from.flatMap((f) => ['--from', f]), '-o', 'json']);
  return { code: r.code, doc: JSON.parse(r.stdout || '{}') as Doc, stderr: r.stderr };
}
const multi = (d: Doc) => d.categories.find((c) => c.categoryName === 'linkerd-identity-multicluster');
const result = (d: Doc, id: string) => multi(d)?.checks.find((c) => c.id === id);

t.test('a shared anchor passes; every category names its cluster', async (t) => {
  const shared = await newAnchor();
  const r = await check(await cluster('east', shared, [shared]), await cluster('west', shared, [shared]), await cluster('south', shared, [shared]));
  t.equal(r.code, 0, r.stderr);
  t.equal(r.doc.success, true);
  t.same([...new Set(r.doc.categories.map((c) => c.cluster))], ['east', 'west', 'south', ALL_CLUSTERS], 'grouped by cluster, in order, then all together');
  t.ok(r.doc.categories.every((c) => typeof c.cluster === 'string'), 'cluster on every category');
  t.same(multi(r.doc)?.checks.map((c) => [c.id, c.result]), [
    ['lcg-multicluster-issuer-chains-everywhere', 'success'],
    ['lcg-multicluster-anchor-retired-early', 'success'],
  ]);
});

t.test('a cluster with its own anchor fails, naming both clusters', async (t) => {
  const shared = await newAnchor();
  const own = await newAnchor();
  const r = await check(await cluster('east', shared, [shared]), await cluster('west', shared, [shared]), await cluster('south', own, [own]));
  t.equal(r.code, 1);
  t.equal(r.doc.success, false);
  const c = result(r.doc, 'lcg-multicluster-issuer-chains-everywhere');
  t.equal(c?.result, 'error');
  t.match(c?.error, /the issuer of cluster south \([^)]*\) does not chain to the trust bundle of cluster east/);
  t.match(c?.error, /the issuer of cluster east \([^)]*\) does not chain to the trust bundle of cluster south/);
  t.notMatch(c?.error, /cluster east .* trust bundle of cluster west/, 'east and west trust each other');
  t.equal(result(r.doc, 'lcg-multicluster-anchor-retired-early')?.result, 'success', 'an anchor never shared is not a retired one');
  for (const name of ['east', 'west', 'south']) {
    t.ok(r.doc.categories.filter((x) => x.cluster === name).every((x) => x.checks.every((k) => k.result !== 'error')), `${name} alone is healthy`);
  }
});

t.test('half-done rotation: one cluster re-issued its issuer under an anchor the others do not trust yet', async (t) => {
  const old = await newAnchor(365);
  const next = await newAnchor();
  const r = await check(await cluster('east', next, [old, next], next), await cluster('west', old, [old]));
  t.equal(r.code, 1);
  t.match(result(r.doc, 'lcg-multicluster-issuer-chains-everywhere')?.error, /the issuer of cluster east .* does not chain to the trust bundle of cluster west/);
  t.notMatch(result(r.doc, 'lcg-multicluster-issuer-chains-everywhere')?.error, /the issuer of cluster west/, "west's issuer is still trusted by east (east keeps the old anchor)");
  t.equal(result(r.doc, 'lcg-multicluster-anchor-retired-early')?.result, 'success', 'an anchor not yet staged elsewhere is not a retired one');
});

t.test('an anchor retired in one cluster while another still has workloads under it', async (t) => {
  const old = await newAnchor(365);
  const next = await newAnchor();
  // east: issuer re-issued under the new anchor, old one still in its bundle for workloads not restarted;
  // west: finished, retired the old anchor
  const r = await check(await cluster('east', next, [old, next], next), await cluster('west', next, [next], next));
  t.equal(result(r.doc, 'lcg-multicluster-issuer-chains-everywhere')?.result, 'success', 'both issuers chain everywhere');
  const retired = result(r.doc, 'lcg-multicluster-anchor-retired-early');
  t.equal(retired?.result, 'error');
  t.match(retired?.error, /cluster west no longer trusts anchor \S+ root\.linkerd\.cluster\.local, which cluster east still needs/);
  t.equal(r.code, 1);
  t.match(retired?.error, /east re-issued its issuer under \S+ root\.linkerd\.cluster\.local but has workloads whose certificates chain to it/);
  // west retired the old anchor while east's issuer is still under it
  const early = await check(await cluster('east', old, [old, next], old), await cluster('west', next, [next], next));
  t.match(result(early.doc, 'lcg-multicluster-anchor-retired-early')?.error, /cluster west no longer trusts anchor \S+ root\.linkerd\.cluster\.local, which cluster east still needs: east's issuer chains to it/);
  t.match(result(early.doc, 'lcg-multicluster-issuer-chains-everywhere')?.error, /the issuer of cluster east .* does not chain to the trust bundle of cluster west/);
  // once east has retired it too, nothing is retired early
  const done = await check(await cluster('east', next, [next], next), await cluster('west', next, [next], next));
  t.equal(done.code, 0);
});

t.test('usage: named and unnamed --from, PEM flags with several clusters, too many clusters', async (t) => {
  const chain = await makeLinkerdChain();
  const a = await cluster('a', chain.anchor, [chain.anchor]);
  const mixed = await runInProcess(['check', '--from', a, '--from', a.split('=')[1]!]);
  t.equal(mixed.code, 2);
  t.equal(mixed.stderr, 'linkerd-cert-guard: --from: name every cluster (NAME=PATH) or none\n');
  const pem = await runInProcess(['check', '--from', a, '--from', a.replace(/^a=/, 'b='), '--trust-anchors', '/dev/null']);
  t.equal(pem.code, 2);
  t.match(pem.stderr, /^linkerd-cert-guard: --issuer-cert\/--issuer-key\/--trust-anchors\/--trust-bundle describe one cluster/);
  const many = await runInProcess(['check', ...Array.from({ length: 17 }, (_, i) => ['--from', a.replace(/^a=/, `c${i}=`)]).flat()]);
  t.equal(many.code, 2);
  t.equal(many.stderr, 'linkerd-cert-guard: --context/--from: 17 clusters is out of range (at most 16 per run)\n');
  const ctx = await runInProcess(['check', '--context', 'x', '--context', 'x']);
  t.equal(ctx.stderr, 'linkerd-cert-guard: --context x is given twice\n');
});

t.test('table output groups by cluster', async (t) => {
  const shared = await newAnchor();
  const r = await runInProcess(['check', '--from', await cluster('east', shared, [shared]), '--from', await cluster('west', shared, [shared])]);
  t.equal(r.code, 0);
  t.match(r.stdout, /^cluster east\n============\n\nlinkerd-identity\n/);
  t.match(r.stdout, /\n\ncluster west\n============\n\nlinkerd-identity\n/);
  t.match(r.stdout, /\n\nall clusters\n============\n\nlinkerd-identity-multicluster\n-+\n√ each cluster's issuer chains to every other cluster's trust bundle\n/);
});

t.test('junit and sarif name the cluster of each finding', async (t) => {
  const shared = await newAnchor();
  const own = await newAnchor();
  const east = await cluster('east', shared, [shared]);
  const south = await cluster('south', own, [own]);
  const junit = await runInProcess(['check', '--from', east, '--from', south, '-o', 'junit']);
  t.equal(junit.code, 1);
  t.match(junit.stdout, /<testsuite name="east\/linkerd-identity"/);
  t.match(junit.stdout, /<testsuite name="\*\/linkerd-identity-multicluster"/);
  const sarif = await runInProcess(['check', '--from', east, '--from', south, '-o', 'sarif']);
  const results = (JSON.parse(sarif.stdout) as { runs: Array<{ results: Array<{ ruleId: string; message: { text: string }; locations: Array<{ logicalLocations: Array<{ fullyQualifiedName?: string; name?: string }> }> }> }> }).runs[0]!.results;
  t.same(results.map((r) => r.ruleId), ['lcg-multicluster-issuer-chains-everywhere']);
  t.match(results[0]!.message.text, /^all clusters: each cluster's issuer chains to every other cluster's trust bundle: /);
  t.match(JSON.stringify(results[0]!.locations), /\*\/linkerd-identity-multicluster\/lcg-multicluster-issuer-chains-everywhere/);
});

t.test('judgedClusters and notJudged: clusters without an issuer or bundle are left out with the reason', async (t) => {
  t.same(judgedClusters({ now: new Date(), clusters: [{ name: 'x', notJudged: 'unreachable' }] }), []);
  t.same(notJudged({ now: new Date(), clusters: [{ name: 'x', notJudged: 'unreachable' }] }), ['x (unreachable)']);
});
