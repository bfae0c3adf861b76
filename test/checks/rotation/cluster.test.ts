import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { RESTARTED_AT, restartCalls, workloadOf } from '../../../checks/rotation/cluster.js';
import type { K8sObject } from '../../../checks/rules/types.js';

const config = resolveConfig();
const at = (min: number) => new Date(Date.UTC(2026, 0, 1, 12, min)).toISOString().replace(/\.\d+Z$/, 'Z');
const pod = (namespace: string, name: string, started: string, owner: { kind: string; name: string }, meshed = true): K8sObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { namespace, name, ...(meshed ? { labels: { 'linkerd.io/control-plane-ns': 'linkerd' } } : {}), ownerReferences: [{ ...owner, controller: true }] },
  status: { startTime: started },
});
const rs = (namespace: string, name: string, deployment: string): K8sObject => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace, name, ownerReferences: [{ kind: 'Deployment', name: deployment, controller: true }] } });
const deploy = (namespace: string, name: string, restartedAt?: string): K8sObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace, name }, spec: { template: { metadata: { annotations: restartedAt ? { [RESTARTED_AT]: restartedAt } : {} } } },
});

t.test('a pod belongs to its Deployment through its ReplicaSet, or to its DaemonSet/StatefulSet', async (t) => {
  const objects = [rs('apps', 'web-abc', 'web')];
  t.strictSame(workloadOf(pod('apps', 'web-abc-1', at(0), { kind: 'ReplicaSet', name: 'web-abc' }), objects), { kind: 'Deployment', namespace: 'apps', name: 'web' });
  t.strictSame(workloadOf(pod('apps', 'agent-1', at(0), { kind: 'DaemonSet', name: 'agent' }), objects), { kind: 'DaemonSet', namespace: 'apps', name: 'agent' });
  t.equal(workloadOf(pod('apps', 'job-1', at(0), { kind: 'Job', name: 'job' }), objects), undefined, 'a Job is not restarted');
});

t.test('restarts: only workloads with pods started before the reference, once each, and not while a rollout is under way', async (t) => {
  const objects = [
    rs('linkerd', 'identity-1', 'linkerd-identity'), deploy('linkerd', 'linkerd-identity'),
    rs('linkerd', 'dest-1', 'linkerd-destination'), deploy('linkerd', 'linkerd-destination', at(30)),
    rs('apps', 'web-1', 'web'), deploy('apps', 'web'),
    rs('apps', 'api-1', 'api'), deploy('apps', 'api'),
    pod('linkerd', 'identity-a', at(0), { kind: 'ReplicaSet', name: 'identity-1' }),
    pod('linkerd', 'identity-b', at(1), { kind: 'ReplicaSet', name: 'identity-1' }),
    pod('linkerd', 'dest-a', at(0), { kind: 'ReplicaSet', name: 'dest-1' }),
    pod('apps', 'web-a', at(0), { kind: 'ReplicaSet', name: 'web-1' }),
    pod('apps', 'api-a', at(40), { kind: 'ReplicaSet', name: 'api-1' }),
    pod('apps', 'plain-a', at(0), { kind: 'ReplicaSet', name: 'web-1' }, false),
  ];
  const ref = { identity: new Date(at(20)), others: new Date(at(20)) };
  const cp = restartCalls('restart-control-plane', objects, config, ref).map((c) => c.what);
  t.strictSame(cp, ['Deployment/linkerd/linkerd-identity'], 'identity once; destination already restarted after the reference');
  const dp = restartCalls('restart-data-plane', objects, config, ref).map((c) => c.what);
  t.strictSame(dp, ['Deployment/apps/web'], 'web only: api started after the reference, plain is not meshed');
  t.match(restartCalls('restart-data-plane', objects, config, ref)[0]?.detail, /kubectl rollout restart/);
});

t.test('restarts: a pod or a restart in the same second as the reference is not known to come after it', async (t) => {
  const changed = new Date(Date.parse(at(20)) + 400); // the change happened 0.4 s into the second
  const ref = { identity: changed, others: changed };
  const objects = [
    rs('apps', 'web-1', 'web'), deploy('apps', 'web'),
    rs('apps', 'api-1', 'api'), deploy('apps', 'api', at(20)),
    rs('apps', 'db-1', 'db'), deploy('apps', 'db'),
    pod('apps', 'web-a', at(20), { kind: 'ReplicaSet', name: 'web-1' }),
    pod('apps', 'api-a', at(19), { kind: 'ReplicaSet', name: 'api-1' }),
    pod('apps', 'db-a', new Date(Date.parse(at(20)) + 1000).toISOString().replace(/\.\d+Z$/, 'Z'), { kind: 'ReplicaSet', name: 'db-1' }),
  ];
  t.strictSame(restartCalls('restart-data-plane-after-issuer', objects, config, ref).map((c) => c.what), ['Deployment/apps/web', 'Deployment/apps/api'],
    'web started in that second; api was restarted in that second; db started a second later');
});

t.test('restarts after the issuer changed: the identity controller first, the rest of the control plane once it runs', async (t) => {
  const identityPod = (name: string, started: string): K8sObject => {
    const p = pod('linkerd', name, started, { kind: 'ReplicaSet', name: 'identity-2' });
    (p.metadata as { labels: Record<string, string> }).labels['linkerd.io/control-plane-component'] = 'identity';
    return p;
  };
  const base = [
    rs('linkerd', 'identity-2', 'linkerd-identity'), deploy('linkerd', 'linkerd-identity'),
    rs('linkerd', 'dest-1', 'linkerd-destination'), deploy('linkerd', 'linkerd-destination', at(5)),
    pod('linkerd', 'dest-a', at(10), { kind: 'ReplicaSet', name: 'dest-1' }),
  ];
  const reissued = new Date(at(20));
  const first = restartCalls('restart-control-plane-after-issuer', [...base, identityPod('identity-a', at(0))], config, { identity: reissued, others: reissued });
  t.strictSame(first.map((c) => c.what), ['Deployment/linkerd/linkerd-identity'], 'only the identity controller while it still has the old issuer');
  const then = restartCalls('restart-control-plane-after-issuer', [...base, identityPod('identity-b', at(25))], config, { identity: reissued, others: new Date(at(25)) });
  t.strictSame(then.map((c) => c.what), ['Deployment/linkerd/linkerd-destination'], 'then the rest');
});
