/**
 * End-to-end tier: our webhook and `check` behind a real kube-apiserver, with the real
 * cert-manager controller and trust-manager running beside it, their CRDs, and the webhook
 * configurations from our own chart. Every object goes through the API server with
 * @kubernetes/client-node; every certificate is issued by cert-manager and every bundle written by
 * trust-manager. Linkerd itself does not run here: `linkerd-config` is written as its install
 * would write it, and the kubelet's Secret volume is played by `projectSecret`.
 *
 * Needs the tools `bash test/e2e/provision.sh` builds and a compiled `dist/` (`npm run build`).
 * Without them: a failure when CI is set, otherwise one line saying the tier was skipped.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import {
  CLI_MAIN, REPO_ROOT, enterTier, installCrds, metricSum, parseWarnings, projectSecret, registerWebhooks, renderWebhooks, servedCertificate,
  startControllers, startEnv, startServe, startTrustManager, stopAll, waitFor, type Controllers, type Env, type Webhook,
} from './harness.js';
import { renderChart } from '../charts/helm.js';
import { identityOps } from './identity.js';
import { makeKeyPair, selfSigned } from '../helpers/pki.js';

const execFileP = promisify(execFile);
const FIXTURES = join(import.meta.dirname, 'fixtures');
/** prom-client counter of admission reviews served by `serve` (all endpoints and decisions). */
const REQUESTS_METRIC = 'linkerd_cert_guard_admission_requests_total';

type Ops = ReturnType<typeof identityOps>;
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; [k: string]: unknown };

const tools = enterTier(t, 'end-to-end tier');
if (tools !== null) {
  // Start-up (~15 s) plus every scenario, each waiting on real issuance; the runner's default
  // per-file timeout is shorter.
  t.setTimeout(600_000);
  const stale = newerSources(statSync(CLI_MAIN).mtimeMs);
  if (stale.length > 0) t.comment(`dist/ is older than ${stale.slice(0, 3).join(', ')}: the tier runs the compiled CLI, run \`npm run build\``);
  let env: Env;
  let webhook: Webhook;
  let controllers: Controllers;
  let getCertificate: Ops['getCertificate'];
  let waitIssued: Ops['waitIssued'];
  let waitReady: Ops['waitReady'];
  let renew: Ops['renew'];
  let readSecret: Ops['readSecret'];
  let readSecretRaw: Ops['readSecretRaw'];
  let copyAnchorOverPrevious: Ops['copyAnchorOverPrevious'];
  let waitBundle: Ops['waitBundle'];
  let waitBundleSynced: Ops['waitBundleSynced'];
  let installLinkerdConfig: Ops['installLinkerdConfig'];
  let customs: k8s.CustomObjectsApi;
  let objects: k8s.KubernetesObjectApi;
  let core: k8s.CoreV1Api;

  t.before(async () => {
    env = await startEnv(tools);
    const kc = env.cluster.kc;
    customs = kc.makeApiClient(k8s.CustomObjectsApi);
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await installCrds(env.cluster);
    webhook = await startServe(env.cluster, { mode: 'enforce' });
    const rendered = await renderWebhooks(tools, webhook.url, env.cluster.pki.caPem);
    if (rendered.validating.length === 0 || rendered.mutating.length === 0) {
      throw new Error(`the chart rendered ${rendered.mutating.length} mutating and ${rendered.validating.length} validating webhook configurations; expected both`);
    }
    await registerWebhooks(env.cluster, rendered);
    controllers = await startControllers(env.cluster, tools);
    ({ getCertificate, waitIssued, waitReady, renew, readSecret, readSecretRaw, copyAnchorOverPrevious, waitBundle, waitBundleSynced, installLinkerdConfig } =
      identityOps(env.cluster, () => [controllers.certManager, controllers.trustManager]));
    await core.createNamespace({ body: { metadata: { name: 'apps' } } });
    // The API server picks webhook configurations up asynchronously: wait until a dry-run
    // identity issuer in the wrong namespace is refused.
    await waitFor('webhook configurations to take effect', async () => {
      const r = await tryCreate(issuerIn('apps'), { dryRun: true });
      return !r.ok && r.message.includes('metadata.namespace');
    }, { timeoutMs: 30_000, intervalMs: 250 });
  });
  t.teardown(() => stopAll(env?.dir));

  t.test("seed 001's complete setup is created unchanged", async (t) => {
    const fixture = loadFixture('seed-001.yaml');
    for (const obj of fixture) {
      const linkerdObject = isLinkerdCustom(obj);
      const before = await calls();
      const r = await create(obj);
      const what = `${obj.kind} ${obj.metadata.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata.name}`;
      t.equal((r.stored['metadata'] as Obj['metadata']).name, obj.metadata.name, `${what}: created`);
      if (obj.kind === 'Namespace') {
        t.strictSame(r.stored['metadata'] && (r.stored['metadata'] as Obj['metadata']).labels, { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name }, `${what}: labels as written`);
      } else if ('spec' in obj) {
        t.strictSame(r.stored['spec'], obj.spec, `${what}: spec stored unchanged`);
      } else {
        for (const key of ['rules', 'subjects', 'roleRef'] as const) {
          if (key in obj) t.strictSame(r.stored[key], obj[key], `${what}: ${key} stored unchanged`);
        }
      }
      if (linkerdObject) {
        t.strictSame(r.warnings, [], `${what}: no warnings`);
        t.ok((await calls()) >= before + 2, `${what}: went through both webhooks`);
      }
    }
  });

  t.test('cert-manager issues seed 001, trust-manager writes the bundle, and check passes on what they wrote', async (t) => {
    const anchor = await waitIssued('cert-manager', 'linkerd-trust-anchor', 1);
    const issuer = await waitIssued('linkerd', 'linkerd-identity-issuer', 1);
    t.equal(anchor.revision, 1, 'cert-manager issued the trust anchor (revision 1)');
    t.equal(issuer.revision, 1, 'cert-manager issued the identity issuer (revision 1)');
    const anchorSecret = await readSecret('cert-manager', 'linkerd-trust-anchor');
    const issuerSecret = await readSecret('linkerd', 'linkerd-identity-issuer');
    t.equal(anchorSecret.annotations['cert-manager.io/certificate-name'], 'linkerd-trust-anchor', 'the anchor Secret was written by cert-manager');
    t.equal(issuerSecret.annotations['cert-manager.io/issuer-name'], 'linkerd-identity-issuer', 'the issuer Secret names the ClusterIssuer that signed it');
    const anchorCert = new X509Certificate(anchorSecret.data['tls.crt'] ?? '');
    const issuerCert = new X509Certificate(issuerSecret.data['tls.crt'] ?? '');
    t.ok(anchorCert.ca && issuerCert.ca, 'both are CA certificates');
    t.ok(issuerCert.verify(anchorCert.publicKey), 'the identity issuer is signed by the trust anchor');
    t.equal(issuerSecret.data['ca.crt'], anchorSecret.data['tls.crt'], "the issuer Secret's ca.crt is the anchor");

    // Seed 001 step 4: copy the anchor Secret into linkerd-previous-anchor, which the Bundle also sources.
    await copyAnchorOverPrevious();
    const bundle = await waitBundle([anchorCert], 'the bundle holds the anchor');
    t.equal(bundle.labels['trust.cert-manager.io/bundle'], 'linkerd-identity-trust-roots', 'trust-manager labelled the ConfigMap it wrote');
    t.ok(bundle.annotations['trust.cert-manager.io/hash'], 'trust-manager annotated the ConfigMap with its hash');
    t.equal(bundle.text, anchorCert.toString().trim(), 'trust-manager wrote the anchor once, deduplicated, without a trailing newline');
    await waitBundleSynced();
    await installLinkerdConfig(anchorSecret.data['tls.crt'] ?? '');

    const healthy = await check([]);
    t.equal(healthy.code, 0, `exit 0 (stderr: ${healthy.stderr.trim()})`);
    t.equal(healthy.json.success, true, 'success: true');
    const results = flatten(healthy.json);
    t.ok(results.length >= 18, `${results.length} checks ran`);
    for (const category of ['linkerd-identity', 'linkerd-identity-trust-bundle', 'linkerd-identity-issuer-ca', 'cert-manager']) {
      t.ok(healthy.json.categories.some((c) => c.categoryName === category), `category ${category} ran`);
    }
    t.strictSame(results.filter((r) => r.result !== 'success'), [], 'every check passes');
    const cm = results.filter((r) => r.category === 'cert-manager').map((r) => r.id);
    t.strictSame(cm, ['lcg-cert-manager-certificates-ready', 'lcg-cert-manager-issuers-ready', 'lcg-cert-manager-bundle-synced', 'lcg-cert-manager-namespace-label', 'lcg-cert-manager-renewal-scheduled'],
      'the cert-manager category judged the statuses cert-manager and trust-manager wrote');
  });

  t.test('seed 002: the identity issuer is stored repaired (rotationPolicy: Always) and the client gets the repair warning', async (t) => {
    // Seed 002's identity issuer takes the place of seed 001's (one per namespace), then leaves.
    const seed001Issuer = issuerIn('linkerd');
    await remove(seed001Issuer);
    const [issuerObj, cert] = loadFixture('seed-002.yaml');
    const created = await create(issuerObj!);
    t.strictSame(created.stored['spec'], issuerObj!.spec, 'the Issuer is stored as written');
    const before = await calls();
    const r = await create(cert!);
    t.ok((await calls()) > before, 'the webhook was called');
    const stored = r.stored as Obj;
    t.equal((stored.spec?.['privateKey'] as Record<string, unknown>)['rotationPolicy'], 'Always', 'stored with privateKey.rotationPolicy: Always');
    t.strictSame(stored.spec, {
      ...cert!.spec,
      privateKey: { ...(cert!.spec?.['privateKey'] as object), rotationPolicy: 'Always' },
    }, 'nothing else in the spec changed');
    t.ok(r.warnings.some((w) => w.includes('spec.privateKey.rotationPolicy')), `a warning names the repaired field (got ${JSON.stringify(r.warnings)})`);
    await remove(cert!);
    await remove(issuerObj!);
    const restored = await create(seed001Issuer);
    t.strictSame(restored.stored['spec'], seed001Issuer.spec, "seed 001's identity issuer is back, unchanged");
    await waitReady('linkerd', 'linkerd-identity-issuer');
  });

  t.test('refusals name the field; an unrelated Certificate never reaches the webhook', async (t) => {
    const wrongNs = await refusal(issuerIn('apps'));
    t.notOk(wrongNs.created, 'identity issuer in namespace apps is refused');
    t.match(wrongNs.message, /metadata\.namespace/, 'the message names metadata.namespace');
    t.equal(wrongNs.code, 403, 'HTTP 403 Forbidden');

    const leaky: Obj = {
      apiVersion: 'trust.cert-manager.io/v1alpha1',
      kind: 'Bundle',
      metadata: { name: 'linkerd-identity-trust-roots-leaky' },
      spec: {
        sources: [{ secret: { name: 'linkerd-trust-anchor', key: 'tls.key' } }],
        target: { configMap: { key: 'ca-bundle.crt' }, namespaceSelector: { matchLabels: { 'linkerd.io/is-control-plane': 'true' } } },
      },
    };
    const leak = await refusal(leaky);
    t.notOk(leak.created, 'a Bundle sourcing tls.key is refused');
    t.match(leak.message, /spec\.sources\[0\]\.secret\.key/, 'the message names spec.sources[0].secret.key');

    const before = await calls();
    const r = await create(unrelatedCertificate('web-tls'));
    t.equal((r.stored['metadata'] as Obj['metadata']).name, 'web-tls', 'the unrelated Certificate is created');
    t.equal(await calls(), before, 'the webhook was not called (request metric unchanged)');
  });

  t.test('with the webhook stopped, Linkerd objects are refused and unrelated Certificates are created', async (t) => {
    const port = Number(new URL(webhook.url).port);
    const metricsPort = Number(new URL(webhook.metricsUrl).port);
    // Killed outright, as a crashed or unreachable webhook would be (no drain period).
    await webhook.proc.stop(200);
    try {
      const anchor: Obj = {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'linkerd-previous-anchor', namespace: 'cert-manager' },
        spec: {
          issuerRef: { kind: 'Issuer', name: 'linkerd-trust-root-issuer' },
          secretName: 'linkerd-previous-anchor',
          isCA: true,
          commonName: 'root.linkerd.cluster.local',
          privateKey: { rotationPolicy: 'Always', algorithm: 'ECDSA' },
        },
      };
      const r = await refusal(anchor);
      t.notOk(r.created, 'a healthy trust anchor Certificate is refused: validation fails closed');
      t.match(r.message, /failed calling webhook/, `the API server says why (${r.message.slice(0, 160)})`);
      const other = await create(unrelatedCertificate('api-tls'));
      t.equal((other.stored['metadata'] as Obj['metadata']).name, 'api-tls', 'an unrelated Certificate is still created');
    } finally {
      webhook = await startServe(env.cluster, { mode: 'enforce', port, metricsPort });
    }
  });

  t.test('check fails on a bundle without the anchor, and trust-manager puts the anchor back', async (t) => {
    const anchorPem = (await readSecret('cert-manager', 'linkerd-trust-anchor')).data['tls.crt'] ?? '';
    const stranger = await selfSigned(await makeKeyPair('P-256'), { cn: 'root.linkerd.cluster.local', isCA: true });
    // With trust-manager stopped, the hand edit stays long enough to be judged.
    await controllers.trustManager.stop();
    try {
      await replaceBundle(stranger.pem);
      const broken = await check([]);
      t.equal(broken.code, 1, 'bundle without the anchor: exit 1');
      const trustBundle = broken.json.categories.find((c) => c.categoryName === 'linkerd-identity-trust-bundle');
      t.ok(trustBundle?.checks.some((k) => k.result === 'error'), 'the linkerd-identity-trust-bundle category has an error');
      const identity = broken.json.categories.find((c) => c.categoryName === 'linkerd-identity');
      t.strictSame(identity?.checks.filter((k) => k.result !== 'success').map((k) => k.description), [],
        'linkerd-identity (which reads ca.crt, as linkerd check does) still passes: only the bundle is wrong');
    } finally {
      controllers.trustManager = await startTrustManager(env.cluster, tools);
    }
    await waitBundle([new X509Certificate(anchorPem)], 'trust-manager restores the bundle');
    t.equal((await check([])).code, 0, 'check passes again');

    // Pods whose proxies hold other anchors are listed by --proxy.
    const sameAnchorsReformatted = `\n${anchorPem.trim().replace(/\n/g, '\r\n')}\n\n`;
    await createProxyPod('fresh', sameAnchorsReformatted);
    await createProxyPod('stale', stranger.pem);
    await createProxyPod('rotating', `${stranger.pem}${anchorPem}`);
    const proxy = await check(['--proxy']);
    const dataPlane = proxy.json.categories.find((c) => c.categoryName === 'linkerd-identity-data-plane');
    t.ok(dataPlane, 'the linkerd-identity-data-plane category ran');
    const failing = dataPlane?.checks.find((k) => k.result !== 'success');
    t.ok(failing, 'the data-plane check does not pass');
    const listed = failing?.error ?? '';
    t.match(listed, /apps\/stale/, 'apps/stale is listed');
    t.match(listed, /apps\/rotating/, 'apps/rotating (a different set of anchors) is listed');
    t.notMatch(listed, /apps\/fresh/, 'apps/fresh (same certificate, other whitespace) is not listed');
    for (const name of ['fresh', 'stale', 'rotating']) await core.deleteNamespacedPod({ namespace: 'apps', name, gracePeriodSeconds: 0 });
  });

  t.test('each repairable breakage: repaired, cert-manager issues a working issuer; in audit mode it issues the broken one and check says what Linkerd says', async (t) => {
    const good = issuerIn('linkerd');
    for (const mode of ['repair', 'audit'] as const) {
      await restartServe(mode);
      for (const b of BREAKAGES) {
        await t.test(`${mode}: ${b.name}`, async (t) => {
          const broken = b.apply(structuredClone(good));
          const { stored, warnings, revision, reissued } = await replaceIssuer(broken);
          t.ok(warnings.some((w) => w.includes(b.field)), `a warning names ${b.field} (got ${JSON.stringify(warnings).slice(0, 300)})`);
          const secret = await readSecret('linkerd', 'linkerd-identity-issuer');
          const issued = new X509Certificate(secret.data['tls.crt'] ?? '');
          t.ok(reissued, `cert-manager issued a new certificate from this object (revision ${revision})`);
          const result = await check([]);
          if (mode === 'repair') {
            t.strictSame(stored.spec, b.repaired(structuredClone(good)).spec, 'stored as repaired');
            t.equal(result.code, 0, `check passes on the Secret cert-manager wrote from the repaired object: ${failures(result.json).join(' | ').slice(0, 400)}`);
          } else {
            t.strictSame(stored.spec, broken.spec, 'audit: stored as written');
            b.issued(t, issued);
            if (b.linkerdSays === null) {
              t.equal(result.code, 0, `check passes: ${b.why} (${failures(result.json).join(' | ').slice(0, 300)})`);
            } else {
              t.equal(result.code, 1, 'check fails on the broken issuer cert-manager wrote');
              t.match(failures(result.json).join('\n'), b.linkerdSays, `the failure says ${String(b.linkerdSays)}`);
            }
          }
        });
      }
    }
    await restartServe('enforce');
    const restored = await replaceIssuer(good);
    t.strictSame(restored.stored.spec, good.spec, "seed 001's identity issuer is back");
    t.equal((await check([])).code, 0, 'and check passes again');
  });

  t.test('renewal the way cmctl renew does it: with rotationPolicy Always the issuer gets a new key and Linkerd still accepts it', async (t) => {
    const before = await readSecret('linkerd', 'linkerd-identity-issuer');
    const beforeCert = new X509Certificate(before.data['tls.crt'] ?? '');
    const revision = await renew('linkerd', 'linkerd-identity-issuer');
    const after = await readSecret('linkerd', 'linkerd-identity-issuer');
    const afterCert = new X509Certificate(after.data['tls.crt'] ?? '');
    t.not(afterCert.serialNumber, beforeCert.serialNumber, `a new certificate (revision ${revision})`);
    t.notOk(afterCert.publicKey.equals(beforeCert.publicKey), 'a new key pair (rotationPolicy: Always)');
    const result = await check([]);
    t.equal(result.code, 0, `every check passes: ${failures(result.json).join(' | ').slice(0, 300)}`);
    t.strictSame(failures(result.json), [], 'no check reports anything');
  });

  t.test('a trust-anchor rotation by hand in the safe order: check names each step, and nothing fails on the way', async (t) => {
    const oldAnchor = new X509Certificate((await readSecret('cert-manager', 'linkerd-trust-anchor')).data['tls.crt'] ?? '');
    // --proxy: the data plane is read (no workload runs in this file; rotate.test.ts runs them).
    const steady = await check(['--proxy']);
    t.equal(rotationCheck(steady.json)?.result, 'success', 'steady: the rotation-phase check passes');

    // renew-anchor: cert-manager writes a new anchor; the bundle holds the old (previous) and the new.
    await renew('cert-manager', 'linkerd-trust-anchor');
    const newAnchor = new X509Certificate((await readSecret('cert-manager', 'linkerd-trust-anchor')).data['tls.crt'] ?? '');
    t.notOk(newAnchor.publicKey.equals(oldAnchor.publicKey), 'the anchor has a new key');
    await waitBundle([oldAnchor, newAnchor], 'the bundle holds the old and the new anchor');
    const issuerStill = new X509Certificate((await readSecret('linkerd', 'linkerd-identity-issuer')).data['tls.crt'] ?? '');
    t.ok(issuerStill.verify(oldAnchor.publicKey), 'renewing the anchor did not renew the issuer: still signed by the old anchor');
    const staged = await check(['--proxy']);
    t.strictSame(errors(staged.json), [], 'new anchor staged: no check fails (Linkerd keeps working)');
    t.match(rotationCheck(staged.json)?.error ?? '', /rotating: done renew-anchor, restart-control-plane, restart-data-plane; step 4 renew-issuer is next/,
      'with no pod to restart, the next step is renew-issuer');
    t.equal(rotationCheck(staged.json)?.result, 'warning', 'as a warning');

    // renew-issuer: the issuer is re-issued under the new anchor.
    await renew('linkerd', 'linkerd-identity-issuer');
    const issuerNew = new X509Certificate((await readSecret('linkerd', 'linkerd-identity-issuer')).data['tls.crt'] ?? '');
    t.ok(issuerNew.verify(newAnchor.publicKey), 'the issuer is now signed by the new anchor');
    const reissued = await check(['--proxy']);
    t.strictSame(errors(reissued.json), [], 'issuer re-issued: no check fails');
    t.match(rotationCheck(reissued.json)?.error ?? '', /step 7 retire-old-anchor is next: linkerd-previous-anchor still holds the old anchor/,
      'the next step is retire-old-anchor');

    // retire-old-anchor: copy the anchor Secret over linkerd-previous-anchor; the bundle keeps only the new anchor.
    await copyAnchorOverPrevious();
    await waitBundle([newAnchor], 'the bundle holds only the new anchor');
    const done = await check(['--proxy']);
    t.equal(done.code, 0, 'steady again: exit 0');
    t.strictSame(failures(done.json), [], 'steady again: every check passes');
  });

  t.test("the chart's serving Certificate: cert-manager issues it, serve loads it from a kubelet-style volume and reloads it after a renewal", async (t) => {
    const namespace = 'linkerd-cert-guard';
    await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(ignoreExists);
    const rendered = (await renderChart(tools.helm, { namespace, showOnly: ['templates/certificate.yaml'] })) as unknown as Obj[];
    const certObjects = rendered.filter((o) => o.apiVersion === 'cert-manager.io/v1');
    t.ok(certObjects.length >= 2, `the chart renders its cert-manager objects (${certObjects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
    for (const o of certObjects) await create({ ...o, metadata: { ...o.metadata, namespace } });
    const serving = certObjects.find((o) => o.kind === 'Certificate' && !o.spec?.['isCA']);
    if (!serving) throw new Error('the chart rendered no serving Certificate');
    const secretName = String(serving.spec?.['secretName']);
    const dnsNames = serving.spec?.['dnsNames'] as string[];
    await waitIssued(namespace, serving.metadata.name, 1);
    const first = await readSecretRaw(namespace, secretName);
    const tlsDir = join(env.dir, 'serve-tls');
    projectSecret(tlsDir, first);
    const ca = Buffer.from(first['ca.crt'] ?? '', 'base64').toString('utf8');
    const servername = dnsNames[dnsNames.length - 1] ?? '';
    const served = await startServe(env.cluster, { mode: 'enforce', tlsDir: { dir: tlsDir, ca, servername } });
    try {
      const firstCert = new X509Certificate(Buffer.from(first['tls.crt'] ?? '', 'base64'));
      t.ok((await servedCertificate(served)).equals(firstCert.raw), 'serve presents the certificate cert-manager issued, verified by the CA cainjector would inject');
      t.ok(firstCert.checkHost(servername), `for ${servername}`);

      await renew(namespace, serving.metadata.name);
      const second = await readSecretRaw(namespace, secretName);
      t.not(second['tls.crt'], first['tls.crt'], 'cert-manager renewed the serving certificate');
      t.equal(second['ca.crt'], first['ca.crt'], "the chart's CA is unchanged, so the injected caBundle stays valid");
      projectSecret(tlsDir, second);
      const secondCert = new X509Certificate(Buffer.from(second['tls.crt'] ?? '', 'base64'));
      await waitFor('serve to present the renewed certificate', async () => (await servedCertificate(served)).equals(secondCert.raw), { proc: served.proc, timeoutMs: 30_000, intervalMs: 250 });
      t.pass('serve presents the renewed certificate without a restart');
      t.ok(served.proc.running, 'the same serve process');
    } finally {
      await served.proc.stop();
    }
  });

  t.test('cert-manager, trust-manager and kube-apiserver ran throughout', async (t) => {
    t.ok(controllers.certManager.running, 'cert-manager controller running');
    t.ok(controllers.trustManager.running, 'trust-manager running');
    t.ok(env.cluster.apiserver.running, 'kube-apiserver running');
    t.ok(env.cluster.etcd.running, 'etcd running');
  });

  // ---------------------------------------------------------------------------------------
  // helpers (closures over the cluster above)

  async function calls(): Promise<number> {
    return metricSum(webhook, REQUESTS_METRIC);
  }

  /** Restart `serve` in `mode` on the same ports, so the registered webhook configurations reach it. */
  async function restartServe(mode: 'enforce' | 'repair' | 'audit'): Promise<void> {
    const port = Number(new URL(webhook.url).port);
    const metricsPort = Number(new URL(webhook.metricsUrl).port);
    await webhook.proc.stop();
    webhook = await startServe(env.cluster, { mode, port, metricsPort });
  }

  /**
   * Replace the identity issuer Certificate with `desired` (one identity issuer per namespace:
   * delete, then create through the webhook), re-issue it as `cmctl renew` does so the Secret comes
   * from this object, and wait for cert-manager. Returns what the API server stored.
   */
  async function replaceIssuer(desired: Obj): Promise<{ stored: Obj; warnings: string[]; revision: number; reissued: boolean }> {
    await remove(desired).catch((e: unknown) => {
      if (!(e instanceof k8s.ApiException && e.code === 404)) throw e;
    });
    await waitFor('the old identity issuer Certificate to be gone', async () => {
      try {
        await getCertificate('linkerd', desired.metadata.name);
        return false;
      } catch (e) {
        return e instanceof k8s.ApiException && e.code === 404;
      }
    }, { timeoutMs: 10_000 });
    const before = (await readSecretRaw('linkerd', desired.metadata.name))['tls.crt'];
    const r = await create(desired);
    // cert-manager may re-issue by itself (the Secret no longer matches the spec) or find it up to date.
    await waitFor('cert-manager to settle on the new identity issuer', async () => {
      const conditions = (await getCertificate('linkerd', desired.metadata.name)).status?.conditions ?? [];
      return conditions.some((c) => c.type === 'Ready') && !conditions.some((c) => c.type === 'Issuing' && c.status === 'True');
    }, { procs: [controllers.certManager], timeoutMs: 60_000, intervalMs: 200 });
    const revision = await renew('linkerd', desired.metadata.name);
    const reissued = (await readSecretRaw('linkerd', desired.metadata.name))['tls.crt'] !== before;
    return { stored: r.stored as Obj, warnings: r.warnings, revision, reissued };
  }

  async function create(obj: Obj, opts: { dryRun?: boolean } = {}): Promise<{ stored: Record<string, unknown>; warnings: string[] }> {
    const r = await tryCreate(obj, opts);
    if (!r.ok) throw new Error(`creating ${obj.kind} ${obj.metadata.name} failed (${r.code}): ${r.message}`);
    return r;
  }

  async function tryCreate(obj: Obj, opts: { dryRun?: boolean } = {}): Promise<
    { ok: true; stored: Record<string, unknown>; warnings: string[] } | { ok: false; code: number; message: string }
  > {
    const body = structuredClone(obj);
    const dryRun = opts.dryRun ? 'All' : undefined;
    try {
      const custom = customResource(obj);
      if (custom) {
        const info = custom.namespaced
          ? await customs.createNamespacedCustomObjectWithHttpInfo({ ...custom.gvp, namespace: obj.metadata.namespace ?? 'default', body, dryRun })
          : await customs.createClusterCustomObjectWithHttpInfo({ ...custom.gvp, body, dryRun });
        return { ok: true, stored: info.data as Record<string, unknown>, warnings: parseWarnings(info.headers['warning']) };
      }
      const stored = await objects.create(body as k8s.KubernetesObject, undefined, dryRun);
      // The typed models carry unset optional fields as undefined: compare what the server sent.
      return { ok: true, stored: JSON.parse(JSON.stringify(stored)) as Record<string, unknown>, warnings: [] };
    } catch (e) {
      return { ok: false, ...apiError(e) };
    }
  }

  /** Create `obj` expecting a refusal; `created` says it was not refused after all. */
  async function refusal(obj: Obj): Promise<{ created: boolean; code: number; message: string }> {
    const r = await tryCreate(obj);
    if (r.ok) return { created: true, code: 201, message: `created with warnings ${JSON.stringify(r.warnings)}` };
    return { created: false, code: r.code, message: r.message };
  }

  async function remove(obj: Obj): Promise<void> {
    const custom = customResource(obj);
    if (!custom) throw new Error(`remove: ${obj.kind} is not a custom resource`);
    const namespace = obj.metadata.namespace ?? 'default';
    if (!custom.namespaced) {
      await customs.deleteClusterCustomObject({ ...custom.gvp, name: obj.metadata.name });
      return;
    }
    const uid = obj.kind === 'Certificate' ? (await getCertificate(namespace, obj.metadata.name)).metadata as { uid?: string } : {};
    await customs.deleteNamespacedCustomObject({ ...custom.gvp, namespace, name: obj.metadata.name });
    if (uid.uid) await collectGarbage(namespace, uid.uid);
  }

  /**
   * Stand-in for kube-controller-manager's garbage collector, which does not run in this tier:
   * delete what a deleted Certificate owned (its CertificateRequests and the next-private-key
   * Secrets), as background cascading deletion would. Without it a Certificate re-created under the
   * same name collides with its predecessor's CertificateRequest `<name>-1`.
   */
  async function collectGarbage(namespace: string, ownerUid: string): Promise<void> {
    const owned = (o: { metadata?: { ownerReferences?: Array<{ uid: string }> } }): boolean => o.metadata?.ownerReferences?.some((r) => r.uid === ownerUid) ?? false;
    const crs = (await customs.listNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificaterequests', namespace })) as { items: Array<{ metadata: { name: string; ownerReferences?: Array<{ uid: string }> } }> };
    for (const cr of crs.items.filter(owned)) {
      await customs.deleteNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificaterequests', namespace, name: cr.metadata.name });
    }
    const secrets = await core.listNamespacedSecret({ namespace });
    for (const secret of secrets.items.filter((x) => owned(x as never))) {
      await core.deleteNamespacedSecret({ namespace, name: secret.metadata?.name ?? '' });
    }
  }

  async function replaceBundle(pem: string): Promise<void> {
    const cm = await core.readNamespacedConfigMap({ namespace: 'linkerd', name: 'linkerd-identity-trust-roots' });
    cm.data = { 'ca-bundle.crt': pem };
    await core.replaceNamespacedConfigMap({ namespace: 'linkerd', name: 'linkerd-identity-trust-roots', body: cm });
  }

  async function createProxyPod(name: string, anchors: string): Promise<void> {
    await core.createNamespacedPod({
      namespace: 'apps',
      body: {
        metadata: { name, namespace: 'apps', labels: { 'linkerd.io/control-plane-ns': 'linkerd', app: name } },
        spec: {
          containers: [
            { name: 'app', image: 'registry.example/app:1' },
            { name: 'linkerd-proxy', image: 'cr.l5d.io/linkerd/proxy:stable', env: [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: anchors }] },
          ],
        },
      },
    });
  }

  interface CheckJson {
    success: boolean;
    categories: Array<{ categoryName: string; checks: Array<{ id?: string; description: string; hint?: string; error?: string; result: string }> }>;
  }

  async function check(extra: string[]): Promise<{ code: number; stderr: string; json: CheckJson }> {
    const args = [CLI_MAIN, 'check', '--kubeconfig', env.cluster.kubeconfigFile, '-o', 'json', ...extra];
    let stdout = '';
    let stderr = '';
    let code = 0;
    try {
      ({ stdout, stderr } = await execFileP(process.execPath, args, { timeout: 60_000, maxBuffer: 8 * 1024 * 1024 }));
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      code = typeof err.code === 'number' ? err.code : -1;
      stdout = err.stdout ?? '';
      stderr = err.stderr ?? '';
    }
    let json: CheckJson;
    try {
      json = JSON.parse(stdout) as CheckJson;
    } catch {
      throw new Error(`check ${extra.join(' ')} exited ${code} without a JSON report: ${stderr.trim() || stdout.slice(0, 300)}`);
    }
    return { code, stderr, json };
  }
}

// -----------------------------------------------------------------------------------------
// pure helpers

function loadFixture(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(FIXTURES, file), 'utf8'))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const CUSTOM_PLURALS: Record<string, { plural: string; namespaced: boolean }> = {
  'cert-manager.io/Certificate': { plural: 'certificates', namespaced: true },
  'cert-manager.io/Issuer': { plural: 'issuers', namespaced: true },
  'cert-manager.io/ClusterIssuer': { plural: 'clusterissuers', namespaced: false },
  'trust.cert-manager.io/Bundle': { plural: 'bundles', namespaced: false },
};

function customResource(obj: Obj): { gvp: { group: string; version: string; plural: string }; namespaced: boolean } | null {
  const [group, version] = obj.apiVersion.split('/');
  if (group === undefined || version === undefined) return null;
  const known = CUSTOM_PLURALS[`${group}/${obj.kind}`];
  return known ? { gvp: { group, version, plural: known.plural }, namespaced: known.namespaced } : null;
}

function isLinkerdCustom(obj: Obj): boolean {
  return obj.kind === 'Certificate' || obj.kind === 'Bundle';
}

function apiError(e: unknown): { code: number; message: string } {
  if (e instanceof k8s.ApiException) {
    const body: unknown = e.body;
    let status: { message?: string; code?: number } = {};
    if (typeof body === 'string') {
      try {
        status = JSON.parse(body) as typeof status;
      } catch {
        status = { message: body };
      }
    } else if (body && typeof body === 'object') {
      status = body as typeof status;
    }
    return { code: e.code, message: status.message ?? String(body) };
  }
  throw e;
}

function ignoreExists(e: unknown): void {
  if (e instanceof k8s.ApiException && e.code === 409) return;
  throw e;
}

function issuerIn(namespace: string): Obj {
  const issuer = loadFixture('seed-001.yaml').find((o) => o.kind === 'Certificate' && o.metadata.name === 'linkerd-identity-issuer');
  if (!issuer) throw new Error('seed-001.yaml has no identity issuer Certificate');
  return { ...issuer, metadata: { ...issuer.metadata, namespace } };
}

/** A Certificate nobody would call Linkerd's: RSA by default, no rotationPolicy, not a CA. */
function unrelatedCertificate(name: string): Obj {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: 'apps' },
    spec: { secretName: name, dnsNames: [`${name}.apps.svc.cluster.local`], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } },
  };
}

/** TypeScript sources of the CLI and webhook changed after `mtimeMs` (the compiled CLI's). */
function newerSources(mtimeMs: number): string[] {
  const out: string[] = [];
  for (const top of ['checks', 'webhook']) {
    const dir = join(REPO_ROOT, top);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (entry.endsWith('.ts') && statSync(join(dir, entry)).mtimeMs > mtimeMs) out.push(`${top}/${entry}`);
    }
  }
  return out;
}


type CheckResult = { category: string; id?: string; description: string; error?: string; result: string };

function flatten(report: { categories: Array<{ categoryName: string; checks: Array<Omit<CheckResult, 'category'>> }> }): CheckResult[] {
  return report.categories.flatMap((c) => c.checks.map((k) => ({ category: c.categoryName, ...k })));
}

/** `description: error` of every check that did not succeed (warnings included). */
function failures(report: Parameters<typeof flatten>[0]): string[] {
  return flatten(report).filter((r) => r.result !== 'success').map((r) => `${r.description}: ${r.error ?? ''}`);
}

/** Only the checks that failed outright (not warnings). */
function errors(report: Parameters<typeof flatten>[0]): string[] {
  return flatten(report).filter((r) => r.result === 'error').map((r) => `${r.description}: ${r.error ?? ''}`);
}

function rotationCheck(report: Parameters<typeof flatten>[0]): CheckResult | undefined {
  return flatten(report).find((r) => r.id === 'lcg-trust-bundle-rotation-phase');
}

type Spec = Record<string, unknown> & { privateKey?: Record<string, unknown>; usages?: string[] };
const specOf = (o: Obj): Spec => o.spec as Spec;

interface Breakage {
  name: string;
  /** the field the webhook's warning names */
  field: string;
  /** seed 001's identity issuer, broken */
  apply(o: Obj): Obj;
  /** what the webhook in repair mode stores for it */
  repaired(o: Obj): Obj;
  /** what Linkerd's checks say of the certificate cert-manager issues from the broken object, or null when nothing */
  linkerdSays: RegExp | null;
  /** why nothing, when linkerdSays is null */
  why?: string;
  /** assertions on the certificate cert-manager issued from the broken object */
  issued(t: Test, cert: X509Certificate): void;
}

const BREAKAGES: Breakage[] = [
  {
    name: 'no privateKey (cert-manager defaults to RSA 2048)',
    field: 'spec.privateKey',
    apply: (o) => { delete specOf(o).privateKey; return o; },
    repaired: (o) => o, // privateKey {algorithm: ECDSA, rotationPolicy: Always}: seed 001's own
    linkerdSays: /issuer certificate must use ECDSA for public key algorithm, instead RSA was used/,
    issued: (t, c) => t.equal(c.publicKey.asymmetricKeyType, 'rsa', 'cert-manager issued an RSA key'),
  },
  {
    name: 'privateKey.size 384',
    field: 'spec.privateKey.size',
    apply: (o) => { specOf(o).privateKey = { ...specOf(o).privateKey, size: 384 }; return o; },
    repaired: (o) => { specOf(o).privateKey = { ...specOf(o).privateKey, size: 256 }; return o; },
    linkerdSays: /must use P-256 curve for public key, instead P-384 was used/,
    issued: (t, c) => t.equal(c.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1', 'cert-manager issued a P-384 key'),
  },
  {
    name: 'no isCA',
    field: 'spec.isCA',
    apply: (o) => { delete specOf(o)['isCA']; return o; },
    repaired: (o) => o,
    linkerdSays: /is not a CA/,
    issued: (t, c) => t.notOk(c.ca, 'cert-manager issued a certificate that is not a CA'),
  },
  {
    name: 'no rotationPolicy',
    field: 'spec.privateKey.rotationPolicy',
    apply: (o) => { const pk = { ...specOf(o).privateKey }; delete pk['rotationPolicy']; specOf(o).privateKey = pk; return o; },
    repaired: (o) => o,
    linkerdSays: null,
    why: 'the certificate itself is sound; cert-manager 1.18 and later also default rotationPolicy to Always',
    issued: (t, c) => t.ok(c.ca, 'cert-manager issued a CA certificate'),
  },
  {
    name: 'usages without "cert sign"',
    field: 'spec.usages',
    apply: (o) => { specOf(o).usages = ['digital signature', 'server auth', 'client auth']; return o; },
    repaired: (o) => { specOf(o).usages = ['digital signature', 'server auth', 'client auth', 'cert sign']; return o; },
    linkerdSays: null,
    why: 'cert-manager adds keyCertSign to every isCA certificate whatever its usages say',
    issued: (t, c) => t.ok(c.ca, 'cert-manager issued a CA certificate'),
  },
  {
    name: 'usages without "server auth"',
    field: 'spec.usages',
    apply: (o) => { specOf(o).usages = ['cert sign', 'crl sign', 'client auth']; return o; },
    repaired: (o) => { specOf(o).usages = ['cert sign', 'crl sign', 'client auth', 'server auth']; return o; },
    linkerdSays: /incompatible key usage/,
    issued: (t, c) => t.equal(c.keyUsage?.join(','), '1.3.6.1.5.5.7.3.2', 'cert-manager issued an issuer whose only extended key usage is clientAuth'),
  },
];
