/**
 * End-to-end tier for `rotate`: a running mesh on the real API server, with the real cert-manager
 * controller and trust-manager rotating its certificates and kube-controller-manager rolling
 * Deployments out into ReplicaSets and Pods. Linkerd and the kubelet do not run here; mesh.ts
 * plays Linkerd's proxy injector and the kubelet (see there), and checks at every observed moment
 * that every live pod trusts the anchor behind every other live pod's issuer.
 *
 * Needs the tools `bash test/e2e/provision.sh` builds and a compiled `dist/`.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import {
  CLI_MAIN, enterTier, installCrds, startControllerManager, startControllers, startEnv, stopAll, waitFor,
  type Controllers, type Env, type Proc,
} from './harness.js';
import { identityOps } from './identity.js';
import { MESH_LABEL, startMesh, type Mesh } from './mesh.js';

const execFileP = promisify(execFile);
const FIXTURES = join(import.meta.dirname, 'fixtures');

const tools = enterTier(t, 'rotate end-to-end tier');
if (tools !== null) {
  t.setTimeout(600_000);
  let env: Env;
  let controllers: Controllers;
  let kcm: Proc;
  let mesh: Mesh;
  let ops: ReturnType<typeof identityOps>;
  let apps: k8s.AppsV1Api;

  t.before(async () => {
    env = await startEnv(tools);
    await installCrds(env.cluster);
    controllers = await startControllers(env.cluster, tools);
    kcm = await startControllerManager(env.cluster, tools);
    ops = identityOps(env.cluster, () => [controllers.certManager, controllers.trustManager, kcm]);
    apps = env.cluster.kc.makeApiClient(k8s.AppsV1Api);
    const objects = k8s.KubernetesObjectApi.makeApiClient(env.cluster.kc);
    // Seed 001's setup as Linkerd's guide creates it; cert-manager issues, trust-manager bundles.
    const docs = parseAllDocuments(readFileSync(join(FIXTURES, 'seed-001.yaml'), 'utf8')).map((d) => d.toJS() as k8s.KubernetesObject).filter(Boolean);
    for (const o of docs) await objects.create(o);
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } } as k8s.KubernetesObject);
    await ops.waitIssued('cert-manager', 'linkerd-trust-anchor', 1);
    await ops.waitIssued('linkerd', 'linkerd-identity-issuer', 1);
    await ops.copyAnchorOverPrevious();
    const anchor = new X509Certificate((await ops.readSecret('cert-manager', 'linkerd-trust-anchor')).data['tls.crt'] ?? '');
    await ops.waitBundle([anchor], 'the bundle holds the anchor');
    await ops.installLinkerdConfig(anchor.toString());
    mesh = await startMesh(env.cluster, { linkerdNamespace: 'linkerd', issuerSecret: 'linkerd-identity-issuer', bundleConfigMap: 'linkerd-identity-trust-roots' });
    // The control plane and two meshed Deployments.
    for (const [namespace, name, replicas] of [['linkerd', 'linkerd-identity', 1], ['linkerd', 'linkerd-destination', 1], ['apps', 'web', 2], ['apps', 'api', 1]] as const) {
      await apps.createNamespacedDeployment({ namespace, body: deployment(namespace, name, replicas) });
    }
    await waitRolledOut('the mesh to come up');
  });
  t.teardown(async () => {
    await mesh?.stop();
    await stopAll(env?.dir);
  });

  t.test('steady: rotate reports renew-anchor as next and changes nothing', async (t) => {
    const r = await rotate(['-o', 'json']);
    t.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as Plan;
    t.equal(plan.phase, 'steady');
    t.equal(plan.next?.id, 'renew-anchor');
    const dry = await rotate(['--apply', '--dry-run', '-o', 'json']);
    t.equal(dry.code, 0, dry.stderr);
    const would = (JSON.parse(dry.stdout) as Plan & { wouldApply: Array<{ step: string; calls: Array<{ verb: string; what: string }> }> }).wouldApply;
    t.strictSame(would.map((w) => [w.step, w.calls.map((c) => `${c.verb} ${c.what}`)]), [['renew-anchor', ['PUT Certificate/cert-manager/linkerd-trust-anchor/status']]], '--dry-run lists the one API call');
    t.equal((await ops.getCertificate('cert-manager', 'linkerd-trust-anchor')).status?.revision, 1, 'and makes none');
  });

  t.test('rotate --apply --all, killed in the middle and run again, takes the mesh to the new anchor; the invariant holds throughout', async (t) => {
    const oldAnchor = new X509Certificate((await ops.readSecret('cert-manager', 'linkerd-trust-anchor')).data['tls.crt'] ?? '');
    mesh.moment('rotate --apply --all');
    const ticksBefore = mesh.ticks;
    // First run: killed once the control plane restart is under way.
    const first = spawn(process.execPath, [CLI_MAIN, 'rotate', '--kubeconfig', env.cluster.kubeconfigFile, '--apply', '--all', '--yes', '--timeout', '120s'], { stdio: 'ignore' });
    const firstExit = new Promise<number | null>((r) => first.on('exit', (code) => r(code)));
    await waitFor('the first run to renew the anchor and start the control-plane restart', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: 'linkerd', name: 'linkerd-identity' });
      return d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] !== undefined;
    }, { procs: [controllers.certManager, kcm], timeoutMs: 120_000, intervalMs: 100 });
    first.kill('SIGKILL');
    t.equal(await firstExit, null, 'the first run was killed');
    const midway = JSON.parse((await rotate(['-o', 'json'])).stdout) as Plan;
    t.equal(midway.phase, 'rotating', 'killed mid-rotation');
    t.equal(midway.steps[0]?.state, 'done', 'renew-anchor is done');

    const second = await rotate(['--apply', '--all', '--yes', '--timeout', '120s', '-o', 'json'], 300_000);
    t.equal(second.code, 0, `the second run completes: ${second.stderr}`);
    const end = JSON.parse(second.stdout) as Plan & { applied: Array<{ step: string }> };
    t.equal(end.phase, 'steady', 'steady at the end');
    t.notOk(end.applied.some((a) => a.step === 'renew-anchor'), 'the second run did not renew the anchor again');
    // The killed run's control-plane rollout may have finished by itself meanwhile: the second run
    // resumes at whichever step the cluster shows next, and goes on in order to the end.
    const order = ['restart-control-plane', 'restart-data-plane', 'renew-issuer', 'restart-control-plane-after-issuer', 'restart-data-plane-after-issuer', 'retire-old-anchor'];
    const steps = [...new Set(end.applied.map((a) => a.step))];
    t.strictSame(steps, order.slice(order.indexOf(steps[0] ?? '')), `it resumed at ${steps[0]} and went on in order`);
    t.ok(order.indexOf(steps[0] ?? '') <= order.indexOf('restart-data-plane'), 'before the data-plane restart');

    const newAnchor = new X509Certificate((await ops.readSecret('cert-manager', 'linkerd-trust-anchor')).data['tls.crt'] ?? '');
    t.notOk(newAnchor.publicKey.equals(oldAnchor.publicKey), 'a new anchor');
    await ops.waitBundle([newAnchor], 'only the new anchor in the bundle');
    const issuer = new X509Certificate((await ops.readSecret('linkerd', 'linkerd-identity-issuer')).data['tls.crt'] ?? '');
    t.ok(issuer.verify(newAnchor.publicKey), 'the issuer is signed by the new anchor');
    t.ok(mesh.ticks > ticksBefore + 10, `the mesh was observed throughout (${mesh.ticks - ticksBefore} moments)`);
    t.strictSame(mesh.violations, [], 'every live pod trusted every other live pod\'s anchor at every observed moment');
    const live = await livePodRecords();
    t.ok(live.length >= 5, `${live.length} pods run`);
    t.strictSame(live.filter((r) => r.issuer !== issuer.fingerprint256).map((r) => `${r.namespace}/${r.name}`), [], 'every pod now runs with the new issuer');
  });

  t.test("the older five-step order by hand breaks the invariant, and the test shows where", async (t) => {
    mesh.moment('seed step 1: renew the anchor');
    const before = mesh.violations.length;
    const previous = new X509Certificate((await ops.readSecret('cert-manager', 'linkerd-trust-anchor')).data['tls.crt'] ?? '');
    await ops.renew('cert-manager', 'linkerd-trust-anchor');
    const next = new X509Certificate((await ops.readSecret('cert-manager', 'linkerd-trust-anchor')).data['tls.crt'] ?? '');
    await ops.waitBundle([previous, next], 'the bundle holds both anchors');
    mesh.moment('seed step 2: renew the issuer');
    await ops.renew('linkerd', 'linkerd-identity-issuer');
    mesh.moment('seed step 3: restart the control plane');
    await restart('linkerd', ['linkerd-identity', 'linkerd-destination']);
    await waitRolledOut('the control plane restart');
    await new Promise((r) => setTimeout(r, 1000));
    const atStep3 = mesh.violations.slice(before);
    t.ok(atStep3.length > 0, 'the invariant breaks');
    t.equal(atStep3[0]?.moment, 'seed step 3: restart the control plane', 'first when the control plane restarts with the issuer already re-issued');
    t.match(atStep3[0]?.pod ?? '', /^apps\//, `an old data-plane pod (${atStep3[0]?.pod}) does not trust the new issuer's anchor of ${atStep3[0]?.peer}`);
    t.match(atStep3[0]?.peer ?? '', /^linkerd\//);
    const check = await execFileP(process.execPath, [CLI_MAIN, 'rotate', '--kubeconfig', env.cluster.kubeconfigFile, '-o', 'json']).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    t.match((JSON.parse(check.stdout) as Plan).blockers.join('\n'), /re-issued under the new anchor before every workload trusted it/, 'rotate names the unsafe order');
  });

  // -------------------------------------------------------------------------------------

  interface Plan { phase: string; steps: Array<{ id: string; state: string }>; next: { id: string } | null; blockers: string[] }

  async function rotate(extra: string[], timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await execFileP(process.execPath, [CLI_MAIN, 'rotate', '--kubeconfig', env.cluster.kubeconfigFile, ...extra], { timeout, maxBuffer: 8 * 1024 * 1024 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }

  async function restart(namespace: string, names: string[]): Promise<void> {
    const objects = k8s.KubernetesObjectApi.makeApiClient(env.cluster.kc);
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    for (const name of names) {
      await objects.patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } } as k8s.KubernetesObject,
        undefined, undefined, 'e2e', undefined, k8s.PatchStrategy.MergePatch);
    }
  }

  async function waitRolledOut(what: string): Promise<void> {
    await waitFor(what, async () => {
      const list = (await apps.listDeploymentForAllNamespaces({ labelSelector: MESH_LABEL })).items;
      return list.length === 4 && list.every((d) => (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) && d.status?.updatedReplicas === d.spec?.replicas && d.status?.readyReplicas === d.spec?.replicas && (d.status?.replicas ?? 0) === d.spec?.replicas);
    }, { procs: [kcm, controllers.certManager], timeoutMs: 120_000, intervalMs: 200 });
  }

  async function livePodRecords() {
    const core = env.cluster.kc.makeApiClient(k8s.CoreV1Api);
    const pods = (await core.listPodForAllNamespaces({ labelSelector: `${MESH_LABEL}=true` })).items.filter((p) => !p.metadata?.deletionTimestamp);
    return pods.map((p) => mesh.records.get(p.metadata?.uid ?? '')).filter((r) => r !== undefined);
  }
}

function deployment(namespace: string, name: string, replicas: number): k8s.V1Deployment {
  // Linkerd's control-plane pods carry their component (mesh.ts reads it to find the identity controller).
  const component: Record<string, string> = namespace === 'linkerd' ? { 'linkerd.io/control-plane-component': name.replace(/^linkerd-/, '') } : {};
  const labels = { app: name, [MESH_LABEL]: 'true', 'linkerd.io/control-plane-ns': 'linkerd', ...component };
  return {
    metadata: { name, namespace, labels: { [MESH_LABEL]: 'true' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }, { name: 'linkerd-proxy', image: 'cr.l5d.io/linkerd/proxy:stable' }] },
      },
    },
  };
}
