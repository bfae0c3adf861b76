/**
 * End-to-end tier for `rotate` across two clusters that share one trust anchor: two API servers
 * (each with its own etcd), each with the real cert-manager controller and trust-manager. The
 * anchor is issued by cert-manager in `east`; `west` receives a copy of the anchor Secret, as a
 * Secret-sync tool (reflector, external-secrets) would deliver it (the test plays that tool), and
 * its own cert-manager issues its identity issuer from it. `rotate --context east --context west`
 * must do and gate each step in both clusters before the next one starts in either.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import {
  CLI_MAIN, enterTier, installCrds, startControllers, startEnv, stopAll,
  type Controllers, type Env,
} from './harness.js';
import { identityOps } from './identity.js';

const execFileP = promisify(execFile);
const FIXTURES = join(import.meta.dirname, 'fixtures');

const tools = enterTier(t, 'multi-cluster rotate tier');
if (tools !== null) {
  t.setTimeout(600_000);
  const names = ['east', 'west'] as const;
  const envs: Record<string, Env> = {};
  const controllers: Record<string, Controllers> = {};
  let kubeconfig = '';
  let syncing = true;
  let sync: Promise<void> = Promise.resolve();

  const ops = (name: string) => identityOps(envs[name]!.cluster, () => [controllers[name]!.certManager, controllers[name]!.trustManager]);
  const core = (name: string) => envs[name]!.cluster.kc.makeApiClient(k8s.CoreV1Api);

  t.before(async () => {
    for (const name of names) envs[name] = await startEnv(tools);
    await Promise.all(names.map(async (name) => {
      const env = envs[name]!;
      await installCrds(env.cluster);
      controllers[name] = await startControllers(env.cluster, tools);
    }));
    const docs = parseAllDocuments(readFileSync(join(FIXTURES, 'seed-001.yaml'), 'utf8')).map((d) => d.toJS() as k8s.KubernetesObject).filter(Boolean);
    for (const name of names) {
      const objects = k8s.KubernetesObjectApi.makeApiClient(envs[name]!.cluster.kc);
      // west has no anchor Certificate (nor its selfSigned issuer): its anchor is the synced copy.
      for (const o of docs) if (name === 'east' || !['linkerd-trust-anchor', 'linkerd-trust-root-issuer'].includes(o.metadata?.name ?? '')) await objects.create(o);
    }
    await ops('east').waitIssued('cert-manager', 'linkerd-trust-anchor', 1);
    // The Secret-sync stand-in: east's anchor Secret copied to west whenever it changes.
    sync = (async () => {
      while (syncing) {
        try {
          const data = await ops('east').readSecretRaw('cert-manager', 'linkerd-trust-anchor');
          let current: k8s.V1Secret | undefined;
          try {
            current = await core('west').readNamespacedSecret({ namespace: 'cert-manager', name: 'linkerd-trust-anchor' });
          } catch {
            current = undefined;
          }
          if (JSON.stringify(current?.data ?? {}) !== JSON.stringify(data)) {
            const body = { metadata: { name: 'linkerd-trust-anchor', namespace: 'cert-manager', ...(current?.metadata?.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}) }, type: 'kubernetes.io/tls', data };
            if (current) await core('west').replaceNamespacedSecret({ namespace: 'cert-manager', name: 'linkerd-trust-anchor', body });
            else await core('west').createNamespacedSecret({ namespace: 'cert-manager', body });
          }
        } catch {
          // the next round retries
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const anchor = new X509Certificate((await ops('east').readSecret('cert-manager', 'linkerd-trust-anchor')).data['tls.crt'] ?? '');
    for (const name of names) {
      await ops(name).waitIssued('linkerd', 'linkerd-identity-issuer', 1);
      await ops(name).copyAnchorOverPrevious();
      await ops(name).waitBundle([anchor], `${name}: the bundle holds the shared anchor`);
    }
    // One kubeconfig, two contexts.
    const configs = names.map((name) => JSON.parse(readFileSync(envs[name]!.cluster.kubeconfigFile, 'utf8')) as {
      clusters: Array<{ cluster: unknown }>; users: Array<{ user: unknown }>;
    });
    kubeconfig = join(envs['east']!.dir, 'two-clusters.kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'east',
      clusters: names.map((name, i) => ({ name, cluster: configs[i]!.clusters[0]!.cluster })),
      users: names.map((name, i) => ({ name, user: configs[i]!.users[0]!.user })),
      contexts: names.map((name) => ({ name, context: { cluster: name, user: name } })),
    }), { mode: 0o600 });
  });
  t.teardown(async () => {
    syncing = false;
    await sync;
    for (const name of names) await stopAll(envs[name]?.dir);
  });

  t.test('one rotation across two clusters sharing an anchor: each step done in both before the next', async (t) => {
    const before = await rotate(['-o', 'json']);
    t.equal(before.code, 0, before.stderr);
    const plan = JSON.parse(before.stdout) as { clusters: Array<{ cluster: string; phase: string }>; next: { id: string } };
    t.strictSame(plan.clusters.map((c) => [c.cluster, c.phase]), [['east', 'steady'], ['west', 'steady']]);
    t.equal(plan.next.id, 'renew-anchor');

    const r = await rotate(['--apply', '--all', '--yes', '--timeout', '120s', '-o', 'json'], 400_000);
    t.equal(r.code, 0, `completes: ${r.stderr}`);
    const end = JSON.parse(r.stdout) as { clusters: Array<{ cluster: string; phase: string }>; applied: Array<{ cluster: string; step: string; calls: unknown[] }> };
    t.strictSame(end.clusters.map((c) => c.phase), ['steady', 'steady'], 'both clusters steady at the end');
    const renewAnchor = end.applied.filter((a) => a.step === 'renew-anchor');
    t.strictSame(renewAnchor.map((a) => [a.cluster, a.calls.length]), [['east', 1], ['west', 0]], 'the anchor was renewed in east; west waited for its copy');
    const steps = ['renew-anchor', 'restart-control-plane', 'restart-data-plane', 'renew-issuer', 'restart-control-plane-after-issuer', 'restart-data-plane-after-issuer', 'retire-old-anchor'];
    const positions = end.applied.map((a) => steps.indexOf(a.step));
    t.ok(positions.every((p, i) => p >= 0 && (i === 0 || p >= (positions[i - 1] ?? 0))), `steps were taken in order, each in every cluster before the next (${end.applied.map((a) => `${a.step}@${a.cluster}`).join(', ')})`);
    t.strictSame(end.applied.filter((a) => a.step === 'renew-issuer').map((a) => a.cluster).sort(), ['east', 'west'], 'the issuer renewed in both');

    const anchors = await Promise.all(names.map(async (name) => new X509Certificate((await ops(name).readSecret('cert-manager', 'linkerd-trust-anchor')).data['tls.crt'] ?? '')));
    t.equal(anchors[0]?.fingerprint256, anchors[1]?.fingerprint256, 'both clusters hold the same new anchor');
    for (const name of names) {
      const issuer = new X509Certificate((await ops(name).readSecret('linkerd', 'linkerd-identity-issuer')).data['tls.crt'] ?? '');
      t.ok(issuer.verify(anchors[0]!.publicKey), `${name}: the issuer is signed by the new shared anchor`);
      await ops(name).waitBundle([anchors[0]!], `${name}: only the new anchor in the bundle`);
    }
  });

  async function rotate(extra: string[], timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await execFileP(process.execPath, [CLI_MAIN, 'rotate', '--kubeconfig', kubeconfig, '--context', 'east', '--context', 'west', ...extra], { timeout, maxBuffer: 8 * 1024 * 1024 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }
}
