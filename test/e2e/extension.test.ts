/**
 * `check` run exactly as `linkerd check` (edge-26.8.3) runs an extension, against the real
 * kube-apiserver of the end-to-end tier, and against that server once it is stopped. stdout is read
 * as Linkerd's parseJSONCheckOutput reads it. The identity objects are Secrets and ConfigMaps written
 * with keys generated at test time (test/helpers/pki.ts): the extension contract is what is under
 * test here; e2e.test.ts has cert-manager and trust-manager issue them.
 * Impersonation (--as, --as-group) is judged by the API server's own RBAC.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { enterTier, startEnv, stopAll, type Env } from './harness.js';
import { kubeconfigIn, parseLikeLinkerd, runCli, writeIdentity } from './clusters.js';
import { makeLinkerdChain, type LinkerdChain } from '../helpers/pki.js';

const tools = enterTier(t, 'extension end-to-end tier');
if (tools !== null) {
  t.setTimeout(300_000);
  let env: Env;
  let kubeconfig: string;
  let chain: LinkerdChain;
  /** The argument list `linkerd check` passes (cli/cmd/check.go getExtensionCheckFlags), with a kubeconfig. */
  const linkerdArgs = (kc: string, extra: string[] = []) => ['check', '--as-group=[]', `--kubeconfig=${kc}`, '--linkerd-namespace=linkerd', '--verbose=false', '--proxy=false', '--wait=5m0s', ...extra, '--output=json'];

  t.before(async () => {
    env = await startEnv(tools);
    kubeconfig = kubeconfigIn(env.dir, { e2e: env.cluster });
    chain = await makeLinkerdChain();
    await writeIdentity(env.cluster, { issuer: chain.issuer, anchor: chain.anchor, bundle: [chain.anchor] });
  });
  t.teardown(() => stopAll(env?.dir));

  t.test('_extension-metadata opts in to every linkerd check', async (t) => {
    const r = await runCli(['_extension-metadata']);
    t.equal(r.code, 0);
    t.same(JSON.parse(r.stdout), { name: 'linkerd-cert-guard', checks: 'always' }, 'the name linkerd compares with the binary name, and "always"');
  });

  t.test('the exact linkerd check argument list against the real API server: one JSON document, every check passes', async (t) => {
    const r = await runCli(linkerdArgs(kubeconfig));
    t.equal(r.stderr, '', 'nothing on stderr');
    const view = parseLikeLinkerd(r.stdout);
    t.same(view.problems, [], 'no check Linkerd would show as failed or warning');
    t.same(view.categories.map((c) => c.name), ['linkerd-identity', 'linkerd-identity-trust-bundle', 'linkerd-identity-issuer-ca']);
    t.ok(view.categories.flatMap((c) => c.checks).length >= 15, 'the checks ran');
    t.equal(r.code, 0);
  });

  t.test('a broken bundle: Linkerd sees failed checks, each with its error text', async (t) => {
    const other = await makeLinkerdChain();
    await writeIdentity(env.cluster, { issuer: chain.issuer, anchor: chain.anchor, bundle: [other.anchor] });
    t.teardown(() => writeIdentity(env.cluster, { issuer: chain.issuer, anchor: chain.anchor, bundle: [chain.anchor] }));
    const r = await runCli(linkerdArgs(kubeconfig));
    const view = parseLikeLinkerd(r.stdout);
    const failed = view.categories.flatMap((c) => c.checks).filter((k) => k.failed);
    t.same(failed.map((k) => k.id), ['lcg-trust-bundle-issuer-chains', 'lcg-trust-bundle-contains-anchors'], 'what Linkerd would mark ×');
    t.ok(failed.every((k) => k.error.length > 0), 'each failure carries its error');
    t.match(failed[0]!.error, /does not chain to ConfigMap linkerd\/linkerd-identity-trust-roots ca-bundle\.crt/);
    t.equal(r.code, 1);
  });

  t.test('--as and --as-group: the API server judges the impersonated user and groups', async (t) => {
    const rbac = env.cluster.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: 'linkerd', body: { metadata: { name: 'identity-reader' }, rules: [{ apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get'] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: 'linkerd',
      body: { metadata: { name: 'identity-readers' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'identity-reader' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'lcg-readers' }] },
    });
    // alice alone may read nothing: the required read is refused, a failed check naming the refusal
    const refused = parseLikeLinkerd((await runCli(linkerdArgs(kubeconfig, ['--as=alice']))).stdout);
    t.same(refused.categories.map((c) => c.name), ['kubernetes-api']);
    t.match(refused.problems[0], /^can read Linkerd's identity objects from the Kubernetes API: cannot read Secret linkerd\/linkerd-identity-issuer from https:\/\/127\.0\.0\.1:\d+: HTTP 403: secrets "linkerd-identity-issuer" is forbidden: User "alice" cannot get resource "secrets"/);
    // in group lcg-readers, forwarded as linkerd forwards a string array: allowed
    const group = await runCli(['check', '--as=alice', '--as-group=[lcg-readers]', `--kubeconfig=${kubeconfig}`, '--linkerd-namespace=linkerd', '--verbose=false', '--proxy=false', '--wait=5m0s', '--output=json']);
    t.same(parseLikeLinkerd(group.stdout).problems, [], 'alice in lcg-readers reads everything check needs (optional reads RBAC withholds narrow the run)');
    t.equal(group.code, 0, group.stderr);
    // two groups: both Impersonate-Group lines reach the server (the second one grants)
    const two = await runCli(linkerdArgs(kubeconfig, ['--as=bob', '--as-group=other', '--as-group=lcg-readers']));
    t.same(parseLikeLinkerd(two.stdout).problems, [], 'bob in groups other and lcg-readers is allowed');
    const notIn = parseLikeLinkerd((await runCli(linkerdArgs(kubeconfig, ['--as=bob', '--as-group=other']))).stdout);
    t.match(notIn.problems[0], /HTTP 403: secrets "linkerd-identity-issuer" is forbidden: User "bob" cannot get resource/, 'bob in group other only is refused');
  });

  t.test('the API server stopped: still one JSON document, the unreachable cluster a failed check', async (t) => {
    await env.cluster.apiserver.stop();
    const r = await runCli(linkerdArgs(kubeconfig).map((a) => (a === '--verbose=false' ? '--verbose=true' : a)));
    const view = parseLikeLinkerd(r.stdout);
    t.equal(view.problems.length, 1);
    t.match(view.problems[0], /^can read Linkerd's identity objects from the Kubernetes API: cannot read Secret linkerd\/linkerd-identity-issuer from https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    t.notMatch(r.stderr, /retrying/, 'a refused connection is answered at once, not retried for --wait=5m0s');
    t.match(r.stderr, /reading from https:\/\/127\.0\.0\.1:\d+/, '--verbose=true logs to stderr, never stdout');
    t.equal(r.code, 1);
  });
}
