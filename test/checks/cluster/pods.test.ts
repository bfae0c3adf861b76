import t from 'tap';
import { decodePodListPage, decodeProtobufPodList, slimJsonPod, TRUST_ANCHORS_ENV } from '../../../checks/cluster/pods.js';
import { podInfo } from '../../../checks/cluster/snapshot.js';
import { at } from '../../../checks/rules/object.js';
import { workloadOf } from '../../../checks/rotation/cluster.js';

// A minimal protobuf writer, enough to encode pods as the API server does (field numbers from
// k8s.io/api/core/v1 generated.proto), with fields the decoder must skip of every wire type.
const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const key = (field: number, wire: number) => varint(field * 8 + wire);
const bytes = (field: number, b: number[] | Buffer) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, Buffer.from(s, 'utf8'));
const int = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const fixed64 = (field: number) => [...key(field, 1), 1, 2, 3, 4, 5, 6, 7, 8];
const fixed32 = (field: number) => [...key(field, 5), 1, 2, 3, 4];

interface Env {
  name: string;
  value?: string;
}
interface Container {
  name: string;
  env?: Env[];
}
interface TestPod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  containers: Container[];
  initContainers?: Container[];
  startTime?: string;
  conditions?: Array<{ type: string; status: string }>;
  owners?: Array<{ kind: string; name: string; uid: string; controller?: boolean }>;
  deletionTimestamp?: string;
}

function container(c: Container): number[] {
  return [
    ...str(1, c.name),
    ...str(2, 'registry.example/image:1'), // image, skipped
    ...(c.env ?? []).flatMap((e) => bytes(7, [...str(1, e.name), ...str(2, e.value ?? '')])), // gogo always writes value
    ...bytes(6, [...int(3, 8080), ...str(4, 'TCP')]), // ports, skipped
  ];
}

function podProto(p: TestPod): number[] {
  const meta = [
    ...str(1, p.name),
    ...str(3, p.namespace),
    ...str(5, 'uid-1'),
    ...int(7, 3), // generation
    ...(p.deletionTimestamp ? bytes(9, int(1, Date.parse(p.deletionTimestamp) / 1000)) : []),
    ...Object.entries(p.labels).flatMap(([k, v]) => bytes(11, [...str(1, k), ...str(2, v)])),
    ...(p.owners ?? []).flatMap((o) => bytes(13, [...str(1, o.kind), ...str(3, o.name), ...str(4, o.uid), ...str(5, 'apps/v1'), ...(o.controller !== undefined ? int(6, o.controller ? 1 : 0) : []), ...int(7, 1)])),
    ...bytes(12, [...str(1, 'linkerd.io/inject'), ...str(2, 'enabled')]), // annotations, skipped
    ...bytes(17, [...str(1, 'kubectl'), ...bytes(7, Buffer.from('{"f:metadata":{}}'))]), // managedFields, skipped
  ];
  const spec = [...bytes(1, str(1, 'vol')), ...p.containers.flatMap((c) => bytes(2, container(c))), ...(p.initContainers ?? []).flatMap((c) => bytes(20, container(c))), ...fixed64(4), ...fixed32(99)];
  const seconds = p.startTime ? Date.parse(p.startTime) / 1000 : undefined;
  const status = [
    ...str(1, 'Running'),
    ...(p.conditions ?? []).flatMap((c) => bytes(2, [...str(1, c.type), ...str(2, c.status), ...bytes(4, int(1, 1))])),
    ...(seconds !== undefined ? bytes(7, [...int(1, seconds), ...int(2, 0)]) : []),
  ];
  return [...bytes(1, meta), ...bytes(2, spec), ...bytes(3, status)];
}

function listProto(pods: TestPod[], continueToken?: string): Buffer {
  const list = [...bytes(1, [...str(2, '12345'), ...(continueToken ? str(3, continueToken) : [])]), ...pods.flatMap((p) => bytes(2, podProto(p)))];
  const unknown = [...bytes(1, [...str(1, 'v1'), ...str(2, 'PodList')]), ...bytes(2, list), ...str(3, ''), ...str(4, '')];
  return Buffer.from([0x6b, 0x38, 0x73, 0x00, ...unknown]);
}

/** The same pod as the API server's JSON (omitempty where the Go types say so). */
function podJson(p: TestPod): Record<string, unknown> {
  const c = (x: Container) => ({ name: x.name, image: 'registry.example/image:1', ...(x.env ? { env: x.env.map((e) => (e.value ? e : { name: e.name })) } : {}), ports: [{ containerPort: 8080, protocol: 'TCP' }] });
  return {
    metadata: {
      name: p.name, namespace: p.namespace, uid: 'uid-1', generation: 3, ...(p.deletionTimestamp ? { deletionTimestamp: p.deletionTimestamp } : {}), labels: p.labels, annotations: { 'linkerd.io/inject': 'enabled' },
      ...(p.owners ? { ownerReferences: p.owners.map((o) => ({ apiVersion: 'apps/v1', ...o, blockOwnerDeletion: true })) } : {}), managedFields: [{ manager: 'kubectl' }],
    },
    spec: { volumes: [{ name: 'vol' }], containers: p.containers.map(c), ...(p.initContainers ? { initContainers: p.initContainers.map(c) } : {}) },
    status: { phase: 'Running', ...(p.conditions ? { conditions: p.conditions.map((x) => ({ ...x, lastTransitionTime: '1970-01-01T00:00:01Z' })) } : {}), ...(p.startTime ? { startTime: p.startTime } : {}) },
  };
}

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const pods: TestPod[] = [
  {
    name: 'web-1',
    namespace: 'apps',
    labels: { app: 'web', 'linkerd.io/control-plane-ns': 'linkerd', empty: '' },
    containers: [
      { name: 'linkerd-proxy', env: [{ name: 'LINKERD2_PROXY_LOG', value: 'warn' }, { name: TRUST_ANCHORS_ENV, value: PEM }] },
      { name: 'web', env: [{ name: 'PORT', value: '8080' }] },
    ],
    initContainers: [{ name: 'linkerd-init' }],
    startTime: '2026-01-02T03:04:05Z',
    conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }],
    owners: [{ kind: 'Node', name: 'n1', uid: 'n-1' }, { kind: 'ReplicaSet', name: 'web-6d4f', uid: 'rs-1', controller: true }],
  },
  // an empty anchors value: JSON omits it, protobuf carries "" and must read as absent
  { name: 'api-2', namespace: 'apps', labels: { 'linkerd.io/control-plane-ns': 'linkerd' }, containers: [{ name: 'linkerd-proxy', env: [{ name: TRUST_ANCHORS_ENV, value: '' }] }] },
  // the proxy as a native sidecar (an init container)
  { name: 'job-3', namespace: 'batch', labels: { 'linkerd.io/control-plane-ns': 'linkerd' }, containers: [{ name: 'job' }], initContainers: [{ name: 'linkerd-proxy', env: [{ name: TRUST_ANCHORS_ENV, value: PEM }] }], conditions: [{ type: 'Ready', status: 'False' }], owners: [{ kind: 'Job', name: 'job', uid: 'j-1', controller: false }], deletionTimestamp: '2026-01-02T04:00:00Z' },
];

t.test('protobuf and JSON pages decode to the same slim pods, and the same PodInfo as the full pods', async (t) => {
  const pb = decodePodListPage(listProto(pods, 'next-token'), 'application/vnd.kubernetes.protobuf');
  const json = decodePodListPage(Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '12345', continue: 'next-token' }, items: pods.map(podJson) })), 'application/json');
  t.same(pb, json);
  t.strictSame(pb.pods, json.pods);
  t.equal(pb.continueToken, 'next-token');
  // what the checks see is what they saw from the whole pod
  const full = pods.map((p) => ({ apiVersion: 'v1', kind: 'Pod', ...podJson(p) }));
  t.strictSame(pb.pods.map(podInfo), full.map(podInfo));
  t.same(pb.pods[0]!.spec, { containers: [{ name: 'linkerd-proxy', env: [{ name: TRUST_ANCHORS_ENV, value: PEM }] }, { name: 'web' }], initContainers: [{ name: 'linkerd-init' }] }, 'only the trust anchors variable is kept');
  t.equal(podInfo(pb.pods[0]!).ready, true);
  t.equal(podInfo(pb.pods[0]!).startTime, '2026-01-02T03:04:05Z');
  t.same(podInfo(pb.pods[1]!).trustAnchors, [], 'an empty value is no value, as in JSON');
  t.same(podInfo(pb.pods[2]!).trustAnchors, [PEM]);
  // what rotate reads: the uid, the phase, the deletion mark, and the owner that leads to the workload
  t.same(pb.pods[0]!.metadata, { name: 'web-1', namespace: 'apps', uid: 'uid-1', labels: pods[0]!.labels, ownerReferences: [{ kind: 'Node', name: 'n1', uid: 'n-1' }, { kind: 'ReplicaSet', name: 'web-6d4f', uid: 'rs-1', controller: true }] });
  t.equal(at(pb.pods[0], 'status', 'phase'), 'Running');
  t.equal(at(pb.pods[2], 'metadata', 'deletionTimestamp'), '2026-01-02T04:00:00Z');
  t.equal(at(pb.pods[1], 'metadata', 'deletionTimestamp'), undefined);
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-6d4f', namespace: 'apps', ownerReferences: [{ kind: 'Deployment', name: 'web' }] } };
  t.same(workloadOf(pb.pods[0]!, [rs]), workloadOf(full[0]!, [rs]));
  t.same(workloadOf(pb.pods[0]!, [rs]), { kind: 'Deployment', namespace: 'apps', name: 'web' });
});

t.test('the last page has no continue token; a JSON list without items is empty', async (t) => {
  t.equal(decodeProtobufPodList(listProto(pods)).continueToken, undefined);
  t.same(decodePodListPage(Buffer.from('{"kind":"PodList","metadata":{"continue":""}}'), 'application/json; charset=utf-8'), { pods: [] });
  t.same(decodePodListPage(Buffer.from('{"kind":"PodList","items":[]}'), undefined), { pods: [] });
});

t.test('a malformed page is an error, never a partial list', async (t) => {
  const good = listProto(pods);
  t.throws(() => decodeProtobufPodList(good.subarray(0, good.length - 3)), { name: 'PodListDecodeError' });
  t.throws(() => decodeProtobufPodList(Buffer.from('{"items":[]}')), { name: 'PodListDecodeError' }, 'no k8s magic');
  t.throws(() => decodeProtobufPodList(Buffer.from([0x6b, 0x38, 0x73, 0x00])), { name: 'PodListDecodeError' }, 'no body');
  t.throws(() => decodeProtobufPodList(Buffer.from([0x6b, 0x38, 0x73, 0x00, ...key(2, 3)])), { name: 'PodListDecodeError' }, 'group wire type');
  // a pod's metadata claiming more bytes than the pod has, though the page has them: never read into the next pod
  const overrun = [...bytes(2, [...key(1, 2), ...varint(40), ...str(1, 'x')]), ...bytes(2, podProto(pods[0]!))];
  t.throws(() => decodeProtobufPodList(Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytes(2, overrun)])), { name: 'PodListDecodeError', message: /truncated/ }, 'a nested message past its parent');
  // a field the reader steps over, claiming more bytes than the page holds
  t.throws(() => decodeProtobufPodList(Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytes(2, [...key(15, 2), ...varint(1000), 1, 2, 3])])), { name: 'PodListDecodeError', message: /truncated/ }, 'a skipped field past the page');
  t.throws(() => decodeProtobufPodList(Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytes(2, [...bytes(2, [...key(15, 2), ...varint(5), 1]), ...bytes(2, podProto(pods[0]!))])])), { name: 'PodListDecodeError', message: /truncated/ }, 'a skipped field past its pod');
  t.throws(() => decodePodListPage(Buffer.from('{"items":'), 'application/json'), { name: 'PodListDecodeError' });
  t.throws(() => decodePodListPage(Buffer.from('{"items":{}}'), 'application/json'), { name: 'PodListDecodeError' });
});

t.test('slimJsonPod keeps what podInfo reads, whatever the shape', async (t) => {
  t.same(slimJsonPod({}), { apiVersion: 'v1', kind: 'Pod' });
  t.same(slimJsonPod({ metadata: 'x', spec: { containers: 'nope' }, status: { conditions: [1, { type: 'Ready' }] } }), { apiVersion: 'v1', kind: 'Pod', spec: {}, status: { conditions: [{ type: 'Ready' }] } });
});

t.test('anchors values are decoded once per distinct value, and every pod still gets its own', async (t) => {
  // more distinct values than are kept, then the first ones again
  const values = Array.from({ length: 20 }, (_, i) => `${PEM}# ${i}\n`);
  const many = [...values, ...values.slice(0, 3)].map((value, i) => ({ name: `p-${i}`, namespace: 'apps', labels: { 'linkerd.io/control-plane-ns': 'linkerd' }, containers: [{ name: 'linkerd-proxy', env: [{ name: TRUST_ANCHORS_ENV, value }] }] }));
  const decoded = decodeProtobufPodList(listProto(many)).pods.map((p) => podInfo(p).trustAnchors);
  t.same(decoded, [...values, ...values.slice(0, 3)].map((v) => [v]));
});
