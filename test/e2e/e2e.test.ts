/**
 * End-to-end tier (issue 6): our webhook and `check` behind a real kube-apiserver with the
 * real cert-manager/trust-manager CRDs and the webhook configurations from our own chart.
 * Every object goes through the API server with @kubernetes/client-node.
 *
 * Needs the tools `bash test/e2e/provision.sh` builds and a compiled `dist/` (`npm run build`).
 * Without them: a failure when CI is set, otherwise one line saying the tier was skipped.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify as toYaml } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import {
  CLI_MAIN, CRD_DIR, CRD_DIR_CANDIDATES, REPO_ROOT, findTools, installCrds, metricSum, registerWebhooks, renderWebhooks, startEnv, startServe, stopAll,
  toolsDir, waitFor, type Env, type Webhook,
} from './harness.js';
import { keyPem, makeKeyPair, makeLinkerdChain, pemBundle, selfSigned, type TestCert } from '../helpers/pki.js';

const execFileP = promisify(execFile);
const FIXTURES = join(import.meta.dirname, 'fixtures');
/** prom-client counter of admission reviews served by `serve` (all endpoints and decisions). */
const REQUESTS_METRIC = 'linkerd_cert_guard_admission_requests_total';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; [k: string]: unknown };

const found = findTools();
if (found.tools === null) {
  const reason = `${found.missing.join(', ')} not found in ${toolsDir()}/bin; run \`bash test/e2e/provision.sh\` (needs Go) to enable it`;
  if (process.env['CI']) {
    t.fail(`end-to-end tier required (CI is set) but ${reason}`);
  } else {
    t.plan(0, `end-to-end tier skipped: ${reason}`);
  }
} else if (CRD_DIR === null) {
  const reason = `the cert-manager/trust-manager CRDs are not in ${CRD_DIR_CANDIDATES.join(' or ')}; set LCG_CRD_DIR to a directory holding them`;
  if (process.env['CI']) t.fail(`end-to-end tier required (CI is set) but ${reason}`);
  else t.plan(0, `end-to-end tier skipped: ${reason}`);
} else if (!existsSync(CLI_MAIN)) {
  t.fail(`end-to-end tier needs the compiled CLI at ${CLI_MAIN}: run \`npm run build\` first`);
} else {
  // Start-up (~10 s) plus every scenario; the runner's default per-file timeout is shorter.
  t.setTimeout(300_000);
  const stale = newerSources(statSync(CLI_MAIN).mtimeMs);
  if (stale.length > 0) t.comment(`dist/ is older than ${stale.slice(0, 3).join(', ')}: the tier runs the compiled CLI, run \`npm run build\``);
  const tools = found.tools;
  let env: Env;
  let webhook: Webhook;
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

  t.test('check against the API server', async (t) => {
    const chain = await makeLinkerdChain({
      // The validity seed 001's Certificates ask for: anchor 8760h, issuer 48h.
      anchor: { notAfter: secondsFromNow(8760 * 3600 - 3600) },
      issuer: { notAfter: secondsFromNow(47 * 3600) },
    });
    await seedLiveState(chain.anchor, chain.issuer);

    const healthy = await check([]);
    t.equal(healthy.code, 0, `healthy setup: exit 0 (stderr: ${healthy.stderr.trim()})`);
    const report = healthy.json;
    t.equal(report.success, true, 'success: true');
    const results = report.categories.flatMap((c) => c.checks.map((k) => ({ category: c.categoryName, ...k })));
    t.ok(results.length >= 8, `${results.length} checks ran`);
    for (const category of ['linkerd-identity', 'linkerd-identity-trust-bundle', 'linkerd-identity-issuer-ca', 'cert-manager']) {
      t.ok(report.categories.some((c) => c.categoryName === category), `category ${category} ran`);
    }
    const notPassing = results.filter((r) => r.result !== 'success');
    t.strictSame(notPassing, [], 'every check passes');

    // A bundle that lacks the issuer's anchor: the trust-bundle category fails.
    const stranger = await selfSigned(await makeKeyPair('P-256'), { cn: 'root.linkerd.cluster.local', isCA: true });
    await replaceBundle(stranger.pem);
    const broken = await check([]);
    t.equal(broken.code, 1, 'bundle without the anchor: exit 1');
    const trustBundle = broken.json.categories.find((c) => c.categoryName === 'linkerd-identity-trust-bundle');
    t.ok(trustBundle?.checks.some((k) => k.result === 'error'), 'the linkerd-identity-trust-bundle category has an error');
    const identity = broken.json.categories.find((c) => c.categoryName === 'linkerd-identity');
    t.strictSame(identity?.checks.filter((k) => k.result !== 'success').map((k) => k.description), [],
      'linkerd-identity (which reads ca.crt, as linkerd check does) still passes: only the bundle is wrong');
    await replaceBundle(chain.anchor.pem);

    // Pods whose proxies hold other anchors are listed by --proxy.
    const sameAnchorsReformatted = `\n${chain.anchor.pem.replace(/\n/g, '\r\n')}\n\n`;
    await createProxyPod('fresh', sameAnchorsReformatted);
    await createProxyPod('stale', stranger.pem);
    await createProxyPod('rotating', pemBundle(stranger, chain.anchor));
    const proxy = await check(['--proxy']);
    const dataPlane = proxy.json.categories.find((c) => c.categoryName === 'linkerd-identity-data-plane');
    t.ok(dataPlane, 'the linkerd-identity-data-plane category ran');
    const failing = dataPlane?.checks.find((k) => k.result !== 'success');
    t.ok(failing, 'the data-plane check does not pass');
    const listed = failing?.error ?? '';
    t.match(listed, /apps\/stale/, 'apps/stale is listed');
    t.match(listed, /apps\/rotating/, 'apps/rotating (a different set of anchors) is listed');
    t.notMatch(listed, /apps\/fresh/, 'apps/fresh (same certificate, other whitespace) is not listed');
  });

  // ---------------------------------------------------------------------------------------
  // helpers (closures over the cluster above)

  async function calls(): Promise<number> {
    return metricSum(webhook, REQUESTS_METRIC);
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
    if (custom.namespaced) await customs.deleteNamespacedCustomObject({ ...custom.gvp, namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name });
    else await customs.deleteClusterCustomObject({ ...custom.gvp, name: obj.metadata.name });
  }

  async function setStatus(obj: Obj, status: Record<string, unknown>): Promise<void> {
    const custom = customResource(obj);
    if (!custom) throw new Error(`setStatus: ${obj.kind} is not a custom resource`);
    const name = obj.metadata.name;
    const current = (custom.namespaced
      ? await customs.getNamespacedCustomObject({ ...custom.gvp, namespace: obj.metadata.namespace ?? 'default', name })
      : await customs.getClusterCustomObject({ ...custom.gvp, name })) as Record<string, unknown>;
    const body = { ...current, status };
    if (custom.namespaced) await customs.replaceNamespacedCustomObjectStatus({ ...custom.gvp, namespace: obj.metadata.namespace ?? 'default', name, body });
    else await customs.replaceClusterCustomObjectStatus({ ...custom.gvp, name, body });
  }

  /** What cert-manager and trust-manager would have written for seed 001, with real certificates. */
  async function seedLiveState(anchor: TestCert, issuer: TestCert): Promise<void> {
    const fixture = loadFixture('seed-001.yaml');
    const byName = (kind: string, name: string): Obj => {
      const o = fixture.find((x) => x.kind === kind && x.metadata.name === name);
      if (!o) throw new Error(`seed-001.yaml has no ${kind} ${name}`);
      return o;
    };
    const tlsSecret = (namespace: string, name: string, crt: TestCert, ca: TestCert): k8s.V1Secret => ({
      metadata: { name, namespace },
      type: 'kubernetes.io/tls',
      data: {
        'ca.crt': b64(ca.pem),
        'tls.crt': b64(crt.pem),
        'tls.key': b64(keyPem(crt.key, 'sec1')),
      },
    });
    await core.createNamespacedSecret({ namespace: 'cert-manager', body: tlsSecret('cert-manager', 'linkerd-trust-anchor', anchor, anchor) });
    await core.createNamespacedSecret({ namespace: 'cert-manager', body: tlsSecret('cert-manager', 'linkerd-previous-anchor', anchor, anchor) });
    await core.createNamespacedSecret({ namespace: 'linkerd', body: tlsSecret('linkerd', 'linkerd-identity-issuer', issuer, anchor) });
    await core.createNamespacedConfigMap({
      namespace: 'linkerd',
      body: { metadata: { name: 'linkerd-identity-trust-roots' }, data: { 'ca-bundle.crt': anchor.pem } },
    });
    // What `helm install linkerd-control-plane --set identity.externalCA=true
    // --set identity.issuer.scheme=kubernetes.io/tls` stores in linkerd-config.
    await core.createNamespacedConfigMap({
      namespace: 'linkerd',
      body: {
        metadata: { name: 'linkerd-config' },
        data: { values: toYaml({ identityTrustAnchorsPEM: anchor.pem, identity: { externalCA: true, issuer: { scheme: 'kubernetes.io/tls' } } }) },
      },
    });
    const ready = (reason: string, message: string): Record<string, unknown> => ({
      type: 'Ready', status: 'True', reason, message, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    const certStatus = (c: TestCert, renewBeforeSeconds: number): Record<string, unknown> => ({
      conditions: [ready('Ready', 'Certificate is up to date and has not expired')],
      notBefore: rfc3339(c.notBefore),
      notAfter: rfc3339(c.notAfter),
      renewalTime: rfc3339(new Date(c.notAfter.getTime() - renewBeforeSeconds * 1000)),
      revision: 1,
    });
    await setStatus(byName('Issuer', 'linkerd-trust-root-issuer'), { conditions: [ready('IsReady', '')] });
    await setStatus(byName('ClusterIssuer', 'linkerd-identity-issuer'), { conditions: [ready('KeyPairVerified', 'Signing CA verified')] });
    await setStatus(byName('Certificate', 'linkerd-trust-anchor'), certStatus(anchor, 7320 * 3600));
    await setStatus(byName('Certificate', 'linkerd-identity-issuer'), certStatus(issuer, 25 * 3600));
    await setStatus(byName('Bundle', 'linkerd-identity-trust-roots'), {
      conditions: [{ type: 'Synced', status: 'True', reason: 'Synced', message: 'Successfully synced Bundle to all namespaces', lastTransitionTime: rfc3339(new Date()), observedGeneration: 1 }],
    });
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

/** `Warning: 299 - "text", 299 - "text"` (fetch joins repeated headers with ", "). */
function parseWarnings(header: string | undefined): string[] {
  if (!header) return [];
  return [...header.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));
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

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

function secondsFromNow(seconds: number): Date {
  return new Date(Math.floor(Date.now() / 1000 + seconds) * 1000);
}
