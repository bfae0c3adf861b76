/**
 * charts/linkerd-cert-guard with the real helm: lint, render for the default values and each
 * option, check the rendered objects, evaluate the rendered CEL matchConditions, and check that
 * the values schema rejects bad values and cannot drift from the CLI's CONFIG_SCHEMA.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCelError, run as celRun } from '@bufbuild/cel';
import type * as k8s from '@kubernetes/client-node';
import { CONFIG_SCHEMA, loadConfigFile, resolveConfig } from '../../checks/config.js';
import { CHART_DIR, FULLNAME, NAMESPACE, findHelm, helmTemplate, kinds, only, parseObjects, renderChart, runHelm, type K8sObject } from './helm.js';

type Json = Record<string, unknown>;
/** A rendered custom resource (cert-manager, Prometheus Operator) with its spec as plain data. */
type Custom<S = Json> = K8sObject & { spec: S };
type RuleSpec = { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
const custom = <S = Json>(o: K8sObject): Custom<S> => o as unknown as Custom<S>;

// ---------------------------------------------------------------------------------------------
// Schema drift: no helm needed.

/** ajv's `nullable` has no JSON Schema equivalent; helm drops null values before validating. */
function withoutNullable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNullable);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'nullable').map(([k, x]) => [k, withoutNullable(x)]));
  }
  return v;
}

const chartSchema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as {
  properties: { config: { properties: Json; additionalProperties: unknown; type: unknown } };
};

t.test('values.schema.json config section has exactly the constraints of CONFIG_SCHEMA', async (t) => {
  const chartConfig = chartSchema.properties.config;
  const cliConfig = withoutNullable(CONFIG_SCHEMA) as { properties: Json; additionalProperties: unknown; type: unknown };
  t.same(Object.keys(chartConfig.properties).sort(), Object.keys(cliConfig.properties).sort(), 'same keys');
  for (const [key, cli] of Object.entries(cliConfig.properties)) {
    t.same(chartConfig.properties[key], cli, `config.${key}: same constraints`);
  }
  t.equal(chartConfig.additionalProperties, false, 'unknown config keys are rejected');
  t.equal(chartConfig.type, cliConfig.type);
});

t.test('values.yaml config is a valid configuration file for the CLI', async (t) => {
  const { parse } = await import('yaml');
  const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as { config: Json };
  const config = resolveConfig(values.config);
  t.equal(config.mode, 'audit', 'the chart starts in audit mode');
  t.equal(config.linkerdNamespace, 'linkerd');
});

// ---------------------------------------------------------------------------------------------
// Everything below runs the real helm.

const helm = findHelm();
if (helm === undefined) {
  const how = 'run `bash test/e2e/provision.sh helm` (or set HELM) to enable it';
  if (process.env['CI']) {
    t.fail(`helm not found: the chart tier cannot run under CI; ${how}`);
  } else {
    t.test('chart tier', { skip: `chart tier skipped: helm not found; ${how}` }, async () => {});
  }
} else {
  chartTier(helm);
}

function deploymentOf(objects: K8sObject[]): k8s.V1Deployment {
  return only(objects, 'Deployment') as unknown as k8s.V1Deployment;
}
function podSpec(objects: K8sObject[]): k8s.V1PodSpec {
  const spec = deploymentOf(objects).spec?.template.spec;
  if (!spec) throw new Error('Deployment has no pod spec');
  return spec;
}
function containerOf(spec: k8s.V1PodSpec): k8s.V1Container {
  const c = spec.containers[0];
  if (!c) throw new Error('no container');
  return c;
}
function mutating(objects: K8sObject[]): k8s.V1MutatingWebhookConfiguration {
  return only(objects, 'MutatingWebhookConfiguration') as unknown as k8s.V1MutatingWebhookConfiguration;
}
function validating(objects: K8sObject[]): k8s.V1ValidatingWebhookConfiguration {
  return only(objects, 'ValidatingWebhookConfiguration') as unknown as k8s.V1ValidatingWebhookConfiguration;
}
type Webhook = k8s.V1MutatingWebhook | k8s.V1ValidatingWebhook;
function allWebhooks(objects: K8sObject[]): Webhook[] {
  return [...(mutating(objects).webhooks ?? []), ...(validating(objects).webhooks ?? [])];
}
function webhookNamed(objects: K8sObject[], name: string): Webhook {
  const w = allWebhooks(objects).find((x) => x.name === name);
  if (!w) throw new Error(`no webhook ${name}`);
  return w;
}

/** JSON objects as CEL maps (plain JS objects are not CEL maps). */
function toCel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

/** Evaluate a matchCondition as the API server would for a CREATE (oldObject null) or UPDATE. */
function matches(expression: string, object: Json, oldObject: Json | null = null): boolean {
  const request = { operation: oldObject === null ? 'CREATE' : 'UPDATE' };
  const result = celRun(expression, { object: toCel(object) as never, oldObject: toCel(oldObject) as never, request: toCel(request) as never });
  if (isCelError(result)) throw new Error(`CEL error: ${result.message}`);
  if (typeof result !== 'boolean') throw new Error(`CEL result is not a boolean: ${String(result)}`);
  return result;
}

function chartTier(helm: string): void {
  t.test('helm lint passes for the default values and every option', async (t) => {
    const sets = [
      [],
      ['--set', 'checkJob.enabled=true', '--set', 'monitoring.serviceMonitor.enabled=true', '--set', 'monitoring.prometheusRule.enabled=true'],
      ['--set', 'tls.source=secret', '--set', 'tls.secretName=my-tls', '--set', 'webhook.caBundle=Zm9v'],
      ['--set', 'webhook.matchConditions.enabled=false'],
    ];
    for (const set of sets) {
      const r = await runHelm(helm, ['lint', CHART_DIR, '--strict', '--namespace', NAMESPACE, ...set]);
      t.equal(r.code, 0, `helm lint --strict ${set.join(' ')}: ${r.stderr.trim() || 'ok'}`);
      t.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  t.test('linkerdExtension.namespace labels the release namespace for linkerd check', async (t) => {
    const objects = await renderChart(helm, { values: { linkerdExtension: { namespace: true } } });
    const ns = only(objects, 'Namespace');
    t.equal(ns.metadata.name, NAMESPACE, 'the release namespace');
    t.equal((ns.metadata as { labels?: Record<string, string> }).labels?.['linkerd.io/extension'], 'cert-guard', 'the label linkerd check looks for');
    t.notOk((await renderChart(helm)).some((o) => o.kind === 'Namespace'), 'not rendered by default (helm install --create-namespace owns it)');
    const bad = await helmTemplate(helm, { values: { linkerdExtension: { namespace: 'yes' } } });
    t.not(bad.code, 0, 'the schema refuses a non-boolean');
  });

  t.test('default values', async (t) => {
    const objects = await renderChart(helm);
    t.same(
      kinds(objects).sort(),
      ['Certificate', 'Certificate', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Issuer', 'Issuer', 'MutatingWebhookConfiguration', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'ValidatingWebhookConfiguration'],
      'renders the webhook, its serving certificate chain, the RBAC of its cache and nothing optional',
    );
    for (const o of objects) {
      if (!o.kind.endsWith('WebhookConfiguration') && !o.kind.startsWith('ClusterRole')) t.equal(o.metadata.namespace, NAMESPACE, `${o.kind} ${o.metadata.name} is in the release namespace`);
    }

    t.test('Deployment: HA, probes, preStop, resources', async (t) => {
      const d = deploymentOf(objects);
      t.equal(d.spec?.replicas, 2, '2 replicas');
      t.same(d.spec?.strategy?.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 }, 'a replica is replaced only after its successor is ready');
      const spec = podSpec(objects);
      const keys = (spec.topologySpreadConstraints ?? []).map((c) => c.topologyKey);
      t.same(keys, ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'], 'spread over nodes and zones');
      for (const c of spec.topologySpreadConstraints ?? []) {
        t.same(c.labelSelector?.matchLabels, d.spec?.selector.matchLabels, 'spread selects the webhook pods');
      }
      const c = containerOf(spec);
      t.same(c.args?.slice(0, 1), ['serve']);
      t.ok(c.args?.includes('--tls-dir=/var/run/linkerd-cert-guard/tls'), 'serves the mounted serving certificate');
      t.ok(c.args?.includes('--config=/etc/linkerd-cert-guard/config.yaml'), 'reads the rendered config');
      t.ok(c.args?.includes('--metrics-listen=0.0.0.0:9090'));
      t.ok(c.args?.includes('--drain-delay=5'));
      t.same(c.readinessProbe?.httpGet, { path: '/readyz', port: 'https', scheme: 'HTTPS' }, 'readiness probe on /readyz');
      t.same(c.livenessProbe?.httpGet, { path: '/healthz', port: 'https', scheme: 'HTTPS' }, 'liveness probe on /healthz');
      t.same(c.lifecycle?.preStop?.exec?.command, ['node', '-e', 'setTimeout(() => {}, 10000)'], 'preStop waits 10 s');
      t.ok((spec.terminationGracePeriodSeconds ?? 0) > 10 + 5, 'grace period covers preStop + drain');
      t.same(c.resources?.requests, { cpu: '50m', memory: '96Mi' }, 'resource requests');
      t.same(c.resources?.limits, { cpu: '500m', memory: '256Mi' }, 'resource limits');
      t.same((c.ports ?? []).map((p) => [p.name, p.containerPort]), [['https', 8443], ['metrics', 9090]]);
      t.equal(d.spec?.template.metadata?.annotations?.['linkerd.io/inject'], 'disabled', 'not meshed: must work while Linkerd identity is broken');
      t.match(d.spec?.template.metadata?.annotations?.['checksum/config'] ?? '', /^[0-9a-f]{64}$/, 'pods roll on config change');
    });

    t.test('Deployment: hardened pod', async (t) => {
      const spec = podSpec(objects);
      t.equal(spec.automountServiceAccountToken, true, 'a service account token, for the informer cache alone (see the cache test)');
      t.equal(spec.securityContext?.runAsNonRoot, true, 'non-root pod');
      t.ok((spec.securityContext?.runAsUser ?? 0) > 0, 'numeric non-root uid');
      t.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', 'seccomp RuntimeDefault (pod)');
      const sc = containerOf(spec).securityContext;
      t.equal(sc?.readOnlyRootFilesystem, true, 'read-only root filesystem');
      t.equal(sc?.allowPrivilegeEscalation, false, 'no privilege escalation');
      t.same(sc?.capabilities?.drop, ['ALL'], 'all capabilities dropped');
      t.notOk(sc?.capabilities?.add, 'no capability added');
      t.equal(sc?.runAsNonRoot, true, 'non-root container');
      t.equal(sc?.seccompProfile?.type, 'RuntimeDefault', 'seccomp RuntimeDefault (container)');
      const sa = only(objects, 'ServiceAccount') as unknown as k8s.V1ServiceAccount;
      t.equal(sa.automountServiceAccountToken, false, 'the ServiceAccount does not mount a token either');
      t.equal(spec.serviceAccountName, sa.metadata?.name);
      const mounts = containerOf(spec).volumeMounts ?? [];
      t.ok(mounts.every((m) => m.readOnly === true || m.mountPath === '/tmp'), 'only /tmp is writable');
      t.ok(mounts.every((m) => m.subPath === undefined), 'no subPath: secret updates (..data swaps) reach the server');
    });

    t.test('PodDisruptionBudget and Service', async (t) => {
      const d = deploymentOf(objects);
      const pdb = only(objects, 'PodDisruptionBudget') as unknown as k8s.V1PodDisruptionBudget;
      t.equal(pdb.spec?.maxUnavailable, 1, 'one replica at a time');
      t.same(pdb.spec?.selector?.matchLabels, d.spec?.selector.matchLabels, 'PDB selects the webhook pods');
      const svc = only(objects, 'Service') as unknown as k8s.V1Service;
      t.same(svc.spec?.selector, d.spec?.selector.matchLabels, 'Service selects the webhook pods');
      t.same((svc.spec?.ports ?? []).map((p) => [p.name, p.port, p.targetPort]), [['https', 443, 'https'], ['metrics', 9090, 'metrics']]);
      t.equal(svc.metadata?.name, FULLNAME);
    });

    t.test('config file from values', async (t) => {
      const cm = only(objects, 'ConfigMap') as unknown as k8s.V1ConfigMap;
      const text = cm.data?.['config.yaml'];
      t.type(text, 'string');
      const dir = mkdtempSync(join(tmpdir(), 'lcg-config-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'config.yaml');
      writeFileSync(file, text ?? '');
      const loaded = loadConfigFile(file);
      t.same(Object.keys(loaded).sort(), Object.keys(CONFIG_SCHEMA.properties).sort(), 'every configuration key is rendered');
      const config = resolveConfig(loaded);
      t.equal(config.mode, 'audit');
      t.same(config.anchorNames, ['linkerd-trust-anchor', 'linkerd-previous-anchor']);
      const vol = podSpec(objects).volumes?.find((v) => v.name === 'config');
      t.equal(vol?.configMap?.name, cm.metadata?.name, 'the Deployment mounts this ConfigMap');
    });

    t.test('serving certificate from cert-manager, CA injected by cainjector', async (t) => {
      const serving = custom(only(objects, 'Certificate', `${FULLNAME}-serving`));
      const dnsNames = serving.spec['dnsNames'] as string[];
      t.ok(dnsNames.includes(`${FULLNAME}.${NAMESPACE}.svc`), 'valid for the Service DNS name the API server uses');
      t.same(serving.spec['privateKey'], { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' });
      const secretVolume = podSpec(objects).volumes?.find((v) => v.name === 'tls');
      t.equal(secretVolume?.secret?.secretName, serving.spec['secretName'], 'the pod mounts the serving certificate Secret');
      const ca = custom(only(objects, 'Certificate', `${FULLNAME}-ca`));
      t.equal(ca.spec['isCA'], true, 'serving certificate is signed by the chart CA (renewals keep the injected CA valid)');
      t.same((serving.spec['issuerRef'] as Json)['name'], `${FULLNAME}-ca`);
      for (const cfg of [mutating(objects), validating(objects)]) {
        t.equal(cfg.metadata?.annotations?.['cert-manager.io/inject-ca-from'], `${NAMESPACE}/${FULLNAME}-serving`, `${cfg.kind}: cainjector annotation names the serving Certificate`);
        for (const w of cfg.webhooks ?? []) {
          t.notOk(w.clientConfig.caBundle, `${w.name}: caBundle left to cainjector`);
          t.same(w.clientConfig.service, { name: FULLNAME, namespace: NAMESPACE, port: 443, path: (cfg.kind ?? '').startsWith('Mutating') ? '/mutate' : '/validate' });
        }
      }
    });

    t.test('webhook configurations', async (t) => {
      t.same(allWebhooks(objects).map((w) => w.name), [
        'certificates.mutating.linkerd-cert-guard.io', 'bundles.mutating.linkerd-cert-guard.io',
        'certificates.validating.linkerd-cert-guard.io', 'bundles.validating.linkerd-cert-guard.io',
      ]);
      for (const w of allWebhooks(objects)) {
        t.same(w.admissionReviewVersions, ['v1'], `${w.name}: admissionReviewVersions v1`);
        t.equal(w.sideEffects, 'None', `${w.name}: no side effects`);
        t.ok((w.timeoutSeconds ?? 10) <= 5, `${w.name}: short timeout`);
        for (const r of w.rules ?? []) {
          t.same(r.operations, ['CREATE', 'UPDATE'], `${w.name}: CREATE and UPDATE only`);
          t.notOk(r.resources?.some((x) => x.includes('/') || x === '*'), `${w.name}: no subresources (status writes are never intercepted)`);
        }
        t.equal(w.matchConditions?.length, 1, `${w.name}: one matchCondition`);
      }
      for (const kind of ['mutating', 'validating']) {
        const certs = webhookNamed(objects, `certificates.${kind}.linkerd-cert-guard.io`);
        t.same(certs.rules, [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['cert-manager.io'], apiVersions: ['v1'], resources: ['certificates'], scope: 'Namespaced' }]);
        t.same(certs.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [NAMESPACE, 'kube-system', 'kube-node-lease'] }] }, 'own namespace excluded');
        const bundles = webhookNamed(objects, `bundles.${kind}.linkerd-cert-guard.io`);
        t.same(bundles.rules?.map((r) => [r.apiGroups, r.resources, r.scope]), [
          [['trust.cert-manager.io'], ['bundles'], 'Cluster'],
          [['trust-manager.io'], ['clusterbundles'], 'Cluster'],
        ]);
        t.notOk(bundles.namespaceSelector, 'no namespaceSelector on cluster-scoped bundles (it would have no effect)');
      }
      for (const w of mutating(objects).webhooks ?? []) {
        t.equal(w.failurePolicy, 'Ignore', `${w.name}: mutating fails open`);
        t.equal(w.reinvocationPolicy, 'IfNeeded');
      }
      for (const w of validating(objects).webhooks ?? []) t.equal(w.failurePolicy, 'Fail', `${w.name}: validating fails closed`);
    });

    t.test('certificate matchCondition admits exactly the Certificates that can be Linkerd\'s', async (t) => {
      const expr = webhookNamed(objects, 'certificates.validating.linkerd-cert-guard.io').matchConditions?.[0]?.expression ?? '';
      t.equal(expr, webhookNamed(objects, 'certificates.mutating.linkerd-cert-guard.io').matchConditions?.[0]?.expression, 'same condition on both');
      const cert = (metadata: Json, spec: Json = {}): Json => ({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata, spec });
      const issuerRef = { name: 'ca', kind: 'Issuer' };
      t.equal(matches(expr, cert({ name: 'linkerd-identity-issuer', namespace: 'linkerd' }, { secretName: 'linkerd-identity-issuer', issuerRef })), true, 'issuer by name');
      t.equal(matches(expr, cert({ name: 'issuer', namespace: 'apps' }, { secretName: 'linkerd-identity-issuer', issuerRef })), true, 'issuer by secretName in any namespace');
      t.equal(matches(expr, cert({ name: 'x', namespace: 'linkerd' }, { commonName: 'identity.linkerd.cluster.local', secretName: 'x' })), true, 'issuer by commonName');
      t.equal(matches(expr, cert({ name: 'x', namespace: 'linkerd' }, { dnsNames: ['a.example', 'identity.linkerd.cluster.local'], secretName: 'x' })), true, 'issuer by dnsNames');
      t.equal(matches(expr, cert({ name: 'linkerd-trust-anchor', namespace: 'cert-manager' }, { secretName: 'linkerd-trust-anchor' })), true, 'anchor by name');
      t.equal(matches(expr, cert({ name: 'root', namespace: 'cert-manager' }, { commonName: 'root.linkerd.cluster.local', secretName: 'root' })), true, 'anchor by commonName');
      t.equal(matches(expr, cert({ name: 'y', namespace: 'apps', labels: { 'linkerd-cert-guard.io/role': 'trust-anchor' } }, { secretName: 'y' })), true, 'by role label');
      t.equal(matches(expr, cert({ name: 'web-tls', namespace: 'apps' }, { secretName: 'web-tls', dnsNames: ['web.example'], commonName: 'web.example', issuerRef })), false, 'unrelated Certificate skipped');
      t.equal(matches(expr, cert({ generateName: 'web-', namespace: 'apps' }, { secretName: 'web-tls', issuerRef })), false, 'generateName without name: no error, skipped');
      t.equal(matches(expr, cert({ generateName: 'issuer-', namespace: 'linkerd' }, { secretName: 'linkerd-identity-issuer' })), true, 'generateName issuer still recognised by secretName');
      t.equal(matches(expr, { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'bare', namespace: 'apps' } }), false, 'no spec: no error, skipped');
      t.equal(matches(expr, cert({ name: 'renamed', namespace: 'linkerd' }, { secretName: 'other' }), cert({ name: 'renamed', namespace: 'linkerd' }, { secretName: 'linkerd-identity-issuer' })), true, 'UPDATE moving away from Linkerd\'s names is still judged');
      t.equal(matches(expr, cert({ name: 'a', namespace: 'apps' }, { secretName: 'a' }), cert({ name: 'a', namespace: 'apps' }, { secretName: 'a' })), false, 'unrelated UPDATE skipped');
    });

    t.test('bundle matchCondition admits exactly the bundles that can be Linkerd\'s', async (t) => {
      const expr = webhookNamed(objects, 'bundles.validating.linkerd-cert-guard.io').matchConditions?.[0]?.expression ?? '';
      const bundle = (metadata: Json, spec?: Json): Json => ({ apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', metadata, ...(spec ? { spec } : {}) });
      const sources = [{ secret: { name: 'linkerd-trust-anchor', key: 'tls.crt' } }];
      t.equal(matches(expr, bundle({ name: 'linkerd-identity-trust-roots' }, { sources, target: { configMap: { key: 'ca.crt' } } })), true, 'by name');
      t.equal(matches(expr, bundle({ name: 'roots' }, { sources, target: { configMap: { key: 'ca-bundle.crt' } } })), true, 'by target key');
      t.equal(matches(expr, bundle({ name: 'roots' }, { sources, target: { secret: { key: 'ca-bundle.crt' } } })), true, 'by Secret target key');
      t.equal(matches(expr, bundle({ name: 'roots' }, { sources, target: { configMap: { key: 'ca.crt' }, namespaceSelector: { matchLabels: { 'linkerd.io/is-control-plane': 'true' } } } })), true, 'by namespaceSelector label');
      t.equal(matches(expr, bundle({ name: 'roots' }, { sources, target: { configMap: { key: 'ca.crt' }, namespaceSelector: { matchExpressions: [{ key: 'linkerd.io/is-control-plane', operator: 'Exists' }] } } })), true, 'by namespaceSelector expression');
      t.equal(matches(expr, bundle({ name: 'roots', labels: { 'linkerd-cert-guard.io/role': 'trust-bundle' } }, { sources, target: { configMap: { key: 'ca.crt' } } })), true, 'by role label');
      const corp = [{ secret: { name: 'corp-root', key: 'tls.crt' } }];
      t.equal(matches(expr, bundle({ name: 'corp-roots' }, { sources: corp, target: { configMap: { key: 'ca.crt' }, namespaceSelector: { matchLabels: { team: 'a' } } } })), false, 'unrelated Bundle skipped');
      t.equal(matches(expr, bundle({ name: 'corp-roots' }, { sources: corp })), false, 'no target: no error, skipped');
      t.equal(matches(expr, bundle({ name: 'corp-roots' }, { sources, target: { configMap: { key: 'ca.crt' } } })), true, "a misnamed Bundle sourcing Linkerd's anchor Secret is Linkerd's");
      t.equal(matches(expr, bundle({ generateName: 'roots-' })), false, 'no name, no spec: no error, skipped');
      const clusterBundle = (name: string, key: string): Json => ({
        apiVersion: 'trust-manager.io/v1alpha2', kind: 'ClusterBundle', metadata: { name },
        spec: { sourceRefs: [{ kind: 'Secret', name: 'a', key: 'tls.crt' }], target: { namespaceSelector: { matchLabels: { team: 'a' } }, configMap: { data: [{ key }] } } },
      });
      t.equal(matches(expr, clusterBundle('roots', 'ca-bundle.crt')), true, 'ClusterBundle by target data key');
      t.equal(matches(expr, clusterBundle('roots', 'ca.crt')), false, 'unrelated ClusterBundle skipped');
    });
  });

  t.test('matchConditions follow the configured names', async (t) => {
    const objects = await renderChart(helm, { values: { config: { trustDomain: 'mesh.example', linkerdNamespace: 'l5d', issuerName: 'my-issuer', bundleKey: 'roots.pem', bundleName: 'my-roots' } } });
    const cert = webhookNamed(objects, 'certificates.validating.linkerd-cert-guard.io').matchConditions?.[0]?.expression ?? '';
    const c = (name: string, spec: Json): Json => ({ metadata: { name, namespace: 'x' }, spec });
    t.equal(matches(cert, c('my-issuer', {})), true);
    t.equal(matches(cert, c('linkerd-identity-issuer', { secretName: 'z' })), false, 'the default name no longer applies');
    t.equal(matches(cert, c('z', { commonName: 'identity.l5d.mesh.example' })), true);
    t.equal(matches(cert, c('z', { commonName: 'root.linkerd.mesh.example' })), true);
    const bundle = webhookNamed(objects, 'bundles.validating.linkerd-cert-guard.io').matchConditions?.[0]?.expression ?? '';
    t.equal(matches(bundle, { metadata: { name: 'my-roots' } }), true);
    t.equal(matches(bundle, { metadata: { name: 'r' }, spec: { target: { configMap: { key: 'roots.pem' } } } }), true);
    t.equal(matches(bundle, { metadata: { name: 'r' }, spec: { target: { configMap: { key: 'ca-bundle.crt' } } } }), false);
  });

  t.test('URL client config for a webhook outside the cluster (end-to-end tier)', async (t) => {
    const caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
    const r = await helmTemplate(helm, { showOnly: ['templates/webhooks.yaml'], args: ['--set', 'webhook.url=https://127.0.0.1:9443', '--set', `webhook.caBundle=${caBundle}`] });
    t.equal(r.code, 0, r.stderr);
    const objects = parseObjects(r.stdout);
    t.same(kinds(objects), ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], '--show-only templates/webhooks.yaml renders only the webhook configurations');
    for (const cfg of [mutating(objects), validating(objects)]) {
      t.notOk(cfg.metadata?.annotations?.['cert-manager.io/inject-ca-from'], 'no cainjector annotation');
      for (const w of cfg.webhooks ?? []) {
        t.same(w.clientConfig, { url: `https://127.0.0.1:9443/${(cfg.kind ?? '').startsWith('Mutating') ? 'mutate' : 'validate'}`, caBundle }, `${w.name}: URL and CA bundle`);
      }
    }
    const missingCa = await helmTemplate(helm, { args: ['--set', 'webhook.url=https://127.0.0.1:9443'] });
    t.not(missingCa.code, 0);
    t.match(missingCa.stderr, /webhook\.url needs webhook\.caBundle/);
    const plainHttp = await helmTemplate(helm, { args: ['--set', 'webhook.url=http://127.0.0.1:9443', '--set', 'webhook.caBundle=Zm9v'] });
    t.not(plainHttp.code, 0, 'the API server only calls webhooks over HTTPS');
  });

  t.test('provided certificate: user Secret and CA bundle, no cert-manager objects', async (t) => {
    const objects = await renderChart(helm, { values: { tls: { source: 'secret', secretName: 'my-webhook-tls' }, webhook: { caBundle: 'Y2E=' } } });
    t.notOk(kinds(objects).includes('Certificate'), 'no Certificate');
    t.notOk(kinds(objects).includes('Issuer'), 'no Issuer');
    t.equal(podSpec(objects).volumes?.find((v) => v.name === 'tls')?.secret?.secretName, 'my-webhook-tls');
    for (const cfg of [mutating(objects), validating(objects)]) {
      t.notOk(cfg.metadata?.annotations?.['cert-manager.io/inject-ca-from'], `${cfg.kind}: no cainjector annotation`);
      for (const w of cfg.webhooks ?? []) {
        t.equal(w.clientConfig.caBundle, 'Y2E=', `${w.name}: the given CA bundle`);
        t.equal(w.clientConfig.service?.name, FULLNAME);
      }
    }
    const noCa = await helmTemplate(helm, { values: { tls: { source: 'secret', secretName: 'my-webhook-tls' } } });
    t.not(noCa.code, 0);
    t.match(noCa.stderr, /tls\.source=secret needs webhook\.caBundle/);
    const noSecret = await helmTemplate(helm, { values: { tls: { source: 'secret' }, webhook: { caBundle: 'Y2E=' } } });
    t.match(noSecret.stderr, /tls\.source=secret needs tls\.secretName/);
  });

  t.test('existing cert-manager issuer for the serving certificate', async (t) => {
    const objects = await renderChart(helm, { values: { tls: { certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } } } } });
    t.same(kinds(objects).filter((k) => k === 'Certificate' || k === 'Issuer'), ['Certificate'], 'only the serving Certificate');
    const serving = custom(only(objects, 'Certificate'));
    t.same(serving.spec['issuerRef'], { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  });

  t.test('no matchConditions, for API servers older than 1.30', async (t) => {
    const objects = await renderChart(helm, { values: { webhook: { matchConditions: { enabled: false } } } });
    for (const w of allWebhooks(objects)) {
      t.notOk('matchConditions' in w, `${w.name}: no matchConditions`);
      t.ok((w.rules ?? []).length > 0, `${w.name}: rules still scope the calls`);
    }
  });

  t.test('failure policies and timeout are configurable', async (t) => {
    const objects = await renderChart(helm, { values: { webhook: { timeoutSeconds: 3, validating: { failurePolicy: 'Ignore' }, mutating: { failurePolicy: 'Fail' } } } });
    for (const w of mutating(objects).webhooks ?? []) t.equal(w.failurePolicy, 'Fail');
    for (const w of validating(objects).webhooks ?? []) t.equal(w.failurePolicy, 'Ignore');
    for (const w of allWebhooks(objects)) t.equal(w.timeoutSeconds, 3);
    const noMutating = await renderChart(helm, { values: { webhook: { mutating: { enabled: false } } } });
    t.notOk(kinds(noMutating).includes('MutatingWebhookConfiguration'), 'the mutating webhook can be left out');
  });

  t.test('rollout path: audit, then repair, then enforce', async (t) => {
    const checksums = new Set<string>();
    for (const mode of ['audit', 'repair', 'enforce']) {
      const objects = await renderChart(helm, { values: { config: { mode } } });
      const cm = only(objects, 'ConfigMap') as unknown as k8s.V1ConfigMap;
      t.match(cm.data?.['config.yaml'] ?? '', new RegExp(`^mode: ${mode}$`, 'm'), `config.mode=${mode} reaches the config file`);
      checksums.add(deploymentOf(objects).spec?.template.metadata?.annotations?.['checksum/config'] ?? '');
    }
    t.equal(checksums.size, 3, 'each step rolls the pods');
  });

  t.test('check CronJob with RBAC limited to the named Secret and ConfigMaps', async (t) => {
    const objects = await renderChart(helm, { values: { checkJob: { enabled: true } } });
    const cron = only(objects, 'CronJob') as unknown as k8s.V1CronJob;
    const pod = cron.spec?.jobTemplate.spec?.template.spec;
    const c = pod?.containers[0];
    t.same(c?.args, ['check', '-o', 'json', '--config=/etc/linkerd-cert-guard/config.yaml', '--fail-on=error'], 'runs check -o json');
    t.equal(cron.spec?.concurrencyPolicy, 'Forbid');
    t.equal(pod?.automountServiceAccountToken, true, 'the check needs a token to read the cluster');
    t.equal(pod?.serviceAccountName, `${FULLNAME}-check`);
    t.equal(c?.securityContext?.readOnlyRootFilesystem, true);
    t.same(c?.securityContext?.capabilities?.drop, ['ALL']);
    t.equal(pod?.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    t.equal(podSpec(objects).serviceAccountName, FULLNAME, 'the webhook keeps its own ServiceAccount (its token reads only what the cache needs)');

    const role = only(objects, 'Role') as unknown as k8s.V1Role;
    t.equal(role.metadata?.namespace, 'linkerd', 'the namespaced Role is in the Linkerd namespace');
    t.same(role.rules, [
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['linkerd-identity-issuer'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['linkerd-identity-trust-roots', 'linkerd-config'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ], 'only the issuer Secret and the two ConfigMaps by name, and the control-plane pods');
    const clusterRole = only(objects, 'ClusterRole', `${FULLNAME}-check`) as unknown as k8s.V1ClusterRole;
    t.same(clusterRole.rules, [
      { apiGroups: [''], resources: ['namespaces'], resourceNames: ['linkerd'], verbs: ['get'] },
      { apiGroups: ['cert-manager.io'], resources: ['certificates', 'issuers', 'clusterissuers'], verbs: ['get', 'list'] },
      { apiGroups: ['trust.cert-manager.io'], resources: ['bundles'], verbs: ['get', 'list'] },
    ], 'cluster-wide: the Linkerd namespace by name and the cert-manager objects, read-only');
    for (const rule of [...(role.rules ?? []), ...(clusterRole.rules ?? [])]) {
      t.notOk(rule.verbs.some((v) => !['get', 'list'].includes(v)), `${rule.resources?.join(',')}: read-only`);
      t.notOk(rule.resources?.includes('*') || rule.apiGroups?.includes('*'), 'no wildcards');
    }
    for (const b of objects.filter((o) => (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') && o.metadata.name === `${FULLNAME}-check`) as unknown as k8s.V1RoleBinding[]) {
      t.same(b.subjects, [{ kind: 'ServiceAccount', name: `${FULLNAME}-check`, namespace: NAMESPACE }], `${b.metadata?.name}: bound to the check ServiceAccount only`);
    }
    const minimal = await renderChart(helm, { values: { checkJob: { enabled: true, certManagerStatus: false } } });
    t.same((only(minimal, 'ClusterRole', `${FULLNAME}-check`) as unknown as k8s.V1ClusterRole).rules?.map((r) => r.resources), [['namespaces']], 'without certManagerStatus: no cert-manager reads');

    const proxy = await renderChart(helm, { values: { checkJob: { enabled: true, proxy: true, failOn: 'warning' } } });
    const proxyCron = only(proxy, 'CronJob') as unknown as k8s.V1CronJob;
    t.same(proxyCron.spec?.jobTemplate.spec?.template.spec?.containers[0]?.args?.slice(-2), ['--fail-on=warning', '--proxy']);
    const proxyRole = only(proxy, 'ClusterRole', `${FULLNAME}-check`) as unknown as k8s.V1ClusterRole;
    t.ok(proxyRole.rules?.some((r) => r.resources?.includes('pods') && r.verbs.join() === 'list'), 'pods list with --proxy');
  });

  t.test('the informer cache: list and watch on exactly the kinds the rules read, the token only for it', async (t) => {
    const objects = await renderChart(helm, { values: { config: { linkerdNamespace: 'mesh' }, cache: { maxObjectsPerKind: 200 } } });
    const role = only(objects, 'ClusterRole', `${FULLNAME}-cache`) as unknown as k8s.V1ClusterRole;
    t.same(role.rules, [
      { apiGroups: ['cert-manager.io'], resources: ['certificates', 'issuers', 'clusterissuers'], verbs: ['list', 'watch'] },
      { apiGroups: ['trust.cert-manager.io'], resources: ['bundles'], verbs: ['list', 'watch'] },
      { apiGroups: ['trust-manager.io'], resources: ['clusterbundles'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['namespaces'], resourceNames: ['mesh'], verbs: ['list', 'watch'] },
    ], 'list and watch only (no get, no Secret), the Namespace by the configured name');
    const binding = only(objects, 'ClusterRoleBinding', `${FULLNAME}-cache`) as unknown as k8s.V1ClusterRoleBinding;
    t.same(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${FULLNAME}-cache` });
    t.same(binding.subjects, [{ kind: 'ServiceAccount', name: FULLNAME, namespace: NAMESPACE }], 'bound to the webhook ServiceAccount only');
    const spec = podSpec(objects);
    t.equal(spec.automountServiceAccountToken, true, 'the pod mounts a token for the cache');
    const sa = only(objects, 'ServiceAccount') as unknown as k8s.V1ServiceAccount;
    t.equal(sa.automountServiceAccountToken, false, 'the ServiceAccount itself does not mount one into other pods');
    const c = containerOf(spec);
    t.ok(c.args?.includes('--cache-max-objects=200'), 'the cap from values');
    t.notOk(c.args?.includes('--no-cache'));
    t.same(c.readinessProbe?.httpGet, { path: '/readyz', port: 'https', scheme: 'HTTPS' }, 'readiness waits for the first sync (/readyz)');

    const off = await renderChart(helm, { values: { cache: { enabled: false } } });
    t.notOk(off.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'), 'cache off: no RBAC');
    t.equal(podSpec(off).automountServiceAccountToken, false, 'cache off: no token');
    t.ok(containerOf(podSpec(off)).args?.includes('--no-cache'), 'cache off: serve --no-cache');
  });

  t.test('monitoring: ServiceMonitor and PrometheusRule', async (t) => {
    const objects = await renderChart(helm, { values: { monitoring: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } } } });
    const sm = custom<{ endpoints: Json[]; selector: { matchLabels: Json } }>(only(objects, 'ServiceMonitor'));
    t.equal(sm.spec.endpoints[0]?.['port'], 'metrics', 'scrapes the metrics port');
    const svc = only(objects, 'Service') as unknown as k8s.V1Service;
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) t.equal(svc.metadata?.labels?.[k], v, `ServiceMonitor selects the Service (${k})`);
    const rule = custom<RuleSpec>(only(objects, 'PrometheusRule'));
    const alerts = new Map(rule.spec.groups.flatMap((g) => g.rules).map((r) => [r.alert, r.expr]));
    t.match(alerts.get('LinkerdCertGuardWebhookErrors') ?? '', /linkerd_cert_guard_admission_requests_total\{.*decision=~"error\|invalid"/, 'webhook errors');
    t.match(alerts.get('LinkerdCertGuardWebhookCallsFailing') ?? '', /apiserver_admission_webhook_rejection_count/, 'failed calls seen by the API server');
    t.match(alerts.get('LinkerdCertGuardWebhookSlow') ?? '', /linkerd_cert_guard_admission_duration_seconds_bucket/);
    t.match(alerts.get('LinkerdCertGuardServingCertificateExpiringSoon') ?? '', /linkerd_cert_guard_serving_certificate_expiry_timestamp_seconds.* < 604800$/);
    t.match(alerts.get('LinkerdIdentityIssuerExpiringSoon') ?? '', /certmanager_certificate_expiration_timestamp_seconds\{namespace="linkerd", name="linkerd-identity-issuer"\} - time\(\) < 43200/, 'issuer close to expiry');
    t.match(alerts.get('LinkerdTrustAnchorExpiringSoon') ?? '', /certmanager_certificate_expiration_timestamp_seconds\{namespace="cert-manager", name=~"linkerd-trust-anchor\|linkerd-previous-anchor"\} - time\(\) < 5184000$/, 'anchor close to expiry');
    t.ok(alerts.has('LinkerdIdentityIssuerRenewalOverdue'));
    t.match(alerts.get('LinkerdCertGuardCacheNotSynced') ?? '', /^max by \(pod, kind\) \(linkerd_cert_guard_cache_state\{namespace="linkerd-cert-guard", service="lcg-linkerd-cert-guard", state="syncing"\}\) == 1$/, 'a cache that never synced');
    t.match(alerts.get('LinkerdCertGuardCacheTruncated') ?? '', /linkerd_cert_guard_cache_truncated\{namespace="linkerd-cert-guard", service="lcg-linkerd-cert-guard"\}\) == 1$/, 'a full cache');
    const noCache = await renderChart(helm, { values: { cache: { enabled: false }, monitoring: { prometheusRule: { enabled: true } } } });
    t.notOk(custom<RuleSpec>(only(noCache, 'PrometheusRule')).spec.groups.flatMap((g) => g.rules).some((r) => r.alert.startsWith('LinkerdCertGuardCache')), 'no cache alerts without the cache');
    t.notOk(alerts.has('LinkerdCertGuardCheckFailing'), 'no CronJob alert without the CronJob');
    const withJob = await renderChart(helm, { values: { checkJob: { enabled: true }, monitoring: { prometheusRule: { enabled: true } } } });
    const jobRule = custom<RuleSpec>(only(withJob, 'PrometheusRule'));
    t.ok(jobRule.spec.groups.flatMap((g) => g.rules).some((r) => r.alert === 'LinkerdCertGuardCheckFailing' && r.expr.includes('kube_cronjob_status_last_successful_time{namespace="linkerd-cert-guard", cronjob="lcg-linkerd-cert-guard-check"}')));
  });

  t.test('single replica: no PodDisruptionBudget (it would block node drains)', async (t) => {
    const objects = await renderChart(helm, { values: { replicaCount: 1 } });
    t.notOk(kinds(objects).includes('PodDisruptionBudget'));
  });

  t.test('refuses installs that would deadlock or blind the webhook', async (t) => {
    const inLinkerd = await helmTemplate(helm, { namespace: 'linkerd' });
    t.not(inLinkerd.code, 0);
    t.match(inLinkerd.stderr, /install linkerd-cert-guard in its own namespace, not "linkerd"/);
    const inTrust = await helmTemplate(helm, { namespace: 'cert-manager' });
    t.match(inTrust.stderr, /not "cert-manager"/);
    const excluded = await helmTemplate(helm, { values: { webhook: { excludeNamespaces: ['kube-system', 'linkerd'] } } });
    t.match(excluded.stderr, /webhook\.excludeNamespaces must not contain "linkerd"/);
    const grace = await helmTemplate(helm, { values: { terminationGracePeriodSeconds: 12 } });
    t.match(grace.stderr, /terminationGracePeriodSeconds \(12\) must exceed server\.preStopDelaySeconds \+ server\.drainDelaySeconds \(15\)/);
  });

  t.test('the schema rejects bad values with a message naming the value', async (t) => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['mode: block', { config: { mode: 'block' } }, /at '\/config\/mode': value must be one of 'enforce', 'repair', 'audit'/],
      ['replicas as a string', { replicaCount: '2' }, /at '\/replicaCount': got string, want integer/],
      ['unknown top-level key', { replica: 2 }, /additional properties 'replica' not allowed/],
      ['unknown config key', { config: { trustDomian: 'x' } }, /at '\/config': additional properties 'trustDomian' not allowed/],
      ['bad trust domain', { config: { trustDomain: 'Cluster_Local' } }, /at '\/config\/trustDomain': 'Cluster_Local' does not match pattern/],
      ['bad rule severity', { config: { rules: { 'certificate/is-ca': { severity: 'fatal' } } } }, /at '\/config\/rules\/certificate~1is-ca\/severity': value must be one of 'error', 'warning', 'off'/],
      ['empty anchor list', { config: { anchorNames: [] } }, /at '\/config\/anchorNames': minItems: got 0, want 1/],
      ['failure policy', { webhook: { validating: { failurePolicy: 'Open' } } }, /at '\/webhook\/validating\/failurePolicy': value must be one of 'Fail', 'Ignore'/],
      ['timeout above 30 s', { webhook: { timeoutSeconds: 60 } }, /at '\/webhook\/timeoutSeconds': maximum: got 60, want 30/],
      ['tls source', { tls: { source: 'vault' } }, /at '\/tls\/source': value must be one of 'certManager', 'secret'/],
      ['zero replicas', { replicaCount: 0 }, /at '\/replicaCount': minimum: got 0, want 1/],
      ['an empty cache', { cache: { maxObjectsPerKind: 0 } }, /at '\/cache\/maxObjectsPerKind': minimum: got 0, want 1/],
      ['unknown cache key', { cache: { size: 10 } }, /at '\/cache': additional properties 'size' not allowed/],
    ];
    for (const [what, values, message] of cases) {
      const r = await helmTemplate(helm, { values });
      t.not(r.code, 0, `${what}: rejected`);
      t.match(r.stderr, /values don't meet the specifications of the schema/, `${what}: by the schema`);
      t.match(r.stderr, message, `${what}: clear message`);
    }
  });
}
