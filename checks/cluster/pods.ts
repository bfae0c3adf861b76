/**
 * Pod lists for `check --proxy`, read without decoding what the checks never look at. A cluster with
 * 15,000 meshed pods answers about 180 MB of JSON (managedFields, probes, volumes...), more than one
 * response may carry and slow to parse; the checks read only a pod's name, namespace, labels, each
 * container's name and its trust anchors variable, its start time and its Ready condition.
 *
 * So the list is read in pages (`limit`/`continue`, as kubectl does), asked for in the API server's
 * protobuf encoding, and each pod is decoded straight into that slim shape, skipping every other field
 * by its length without looking inside. A server that answers JSON instead (an aggregated API, a proxy,
 * a test double) gets the same slim shape from the parsed JSON.
 */
import type { K8sObject } from '../rules/types.js';

/**
 * The one environment variable of a container the checks read (snapshot.ts `podInfo`, from the
 * linkerd-proxy container); the others are dropped when a pod is slimmed.
 */
export const TRUST_ANCHORS_ENV = 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS';
const ENV_BYTES = Buffer.from(TRUST_ANCHORS_ENV, 'utf8');

/** What the pod list asks for: protobuf, else JSON. */
export const POD_LIST_ACCEPT = 'application/vnd.kubernetes.protobuf, application/json';
/** Pods per page (kubectl's default chunk size). */
export const POD_PAGE_SIZE = 500;
/** Pages one list may take: far above any real cluster (5 million pods at the page size). */
export const MAX_POD_PAGES = 10_000;

export interface PodPage {
  pods: K8sObject[];
  /** the continue token of the next page; undefined on the last page */
  continueToken?: string;
}

export class PodListDecodeError extends Error {
  override name = 'PodListDecodeError';
}

/** Decode one page of a PodList answer by its Content-Type. */
export function decodePodListPage(body: Uint8Array, contentType: string | undefined): PodPage {
  if (/^application\/vnd\.kubernetes\.protobuf\b/i.test(contentType ?? '')) return decodeProtobufPodList(body);
  let list: unknown;
  try {
    list = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    throw new PodListDecodeError(`the pod list is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return slimJsonPodList(list);
}

// ------------------------------------------------------------------------------------ JSON

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function slimContainers(v: unknown): Array<Record<string, unknown>> | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter(isObj).map((c) => {
    const out: Record<string, unknown> = {};
    if (c.name !== undefined) out.name = c.name;
    if (Array.isArray(c.env)) {
      const env = c.env.filter((e): e is Record<string, unknown> => isObj(e) && e.name === TRUST_ANCHORS_ENV);
      if (env.length > 0) out.env = env.map((e) => (e.value !== undefined ? { name: e.name, value: e.value } : { name: e.name }));
    }
    return out;
  });
}

/** A pod as JSON reduced to what the checks read (see the file comment). */
export function slimJsonPod(p: Record<string, unknown>): K8sObject {
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Pod' };
  const m = p.metadata;
  if (isObj(m)) {
    const meta: Record<string, unknown> = {};
    if (m.name !== undefined) meta.name = m.name;
    if (m.namespace !== undefined) meta.namespace = m.namespace;
    if (m.labels !== undefined) meta.labels = m.labels;
    out.metadata = meta;
  }
  const s = p.spec;
  if (isObj(s)) {
    const spec: Record<string, unknown> = {};
    const containers = slimContainers(s.containers);
    if (containers) spec.containers = containers;
    const init = slimContainers(s.initContainers);
    if (init) spec.initContainers = init;
    out.spec = spec;
  }
  const st = p.status;
  if (isObj(st)) {
    const status: Record<string, unknown> = {};
    if (st.startTime !== undefined) status.startTime = st.startTime;
    if (Array.isArray(st.conditions)) {
      status.conditions = st.conditions.filter(isObj).map((c) => {
        const cond: Record<string, unknown> = {};
        if (c.type !== undefined) cond.type = c.type;
        if (c.status !== undefined) cond.status = c.status;
        return cond;
      });
    }
    out.status = status;
  }
  return out as K8sObject;
}

function slimJsonPodList(list: unknown): PodPage {
  if (!isObj(list)) throw new PodListDecodeError('the pod list is not an object');
  const items = list.items ?? [];
  if (!Array.isArray(items)) throw new PodListDecodeError('the pod list has no items array');
  const token = isObj(list.metadata) ? list.metadata.continue : undefined;
  return { pods: items.filter(isObj).map(slimJsonPod), ...(typeof token === 'string' && token !== '' ? { continueToken: token } : {}) };
}

// ------------------------------------------------------------------------------------ protobuf

/**
 * The fields read, by number, from k8s.io/api/core/v1 and apimachinery's generated.proto:
 * runtime.Unknown{raw=2} > PodList{metadata=1 ListMeta{continue=3}, items=2 Pod{metadata=1, spec=2, status=3}};
 * ObjectMeta{name=1, namespace=3, labels=11}; PodSpec{containers=2, initContainers=20};
 * Container{name=1, env=7}; EnvVar{name=1, value=2}; PodStatus{conditions=2, startTime=7};
 * PodCondition{type=1, status=2}; Time{seconds=1}.
 */
const F = {
  unknownRaw: 2,
  listMeta: 1,
  listContinue: 3,
  listItems: 2,
  podMeta: 1,
  podSpec: 2,
  podStatus: 3,
  metaName: 1,
  metaNamespace: 3,
  metaLabels: 11,
  specContainers: 2,
  specInitContainers: 20,
  containerName: 1,
  containerEnv: 7,
  envName: 1,
  envValue: 2,
  statusConditions: 2,
  statusStartTime: 7,
  conditionType: 1,
  conditionStatus: 2,
  timeSeconds: 1,
} as const;

/** The 4-byte prefix of every Kubernetes protobuf message ("k8s\0"). */
const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** A protobuf reader over [pos, end) of one buffer. */
class Reader {
  constructor(readonly buf: Buffer, public pos: number, readonly end: number) {}

  more(): boolean {
    return this.pos < this.end;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new PodListDecodeError('truncated protobuf varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new PodListDecodeError('malformed protobuf varint');
  }

  /** the next field's number and wire type */
  tag(): { field: number; wire: number } {
    const t = this.varint();
    return { field: Math.floor(t / 8), wire: t % 8 };
  }

  /** a length-delimited field's bounds; advances past it */
  bytes(): { start: number; end: number } {
    const len = this.varint();
    const start = this.pos;
    const end = start + len;
    if (end > this.end) throw new PodListDecodeError('truncated protobuf field');
    this.pos = end;
    return { start, end };
  }

  string(): string {
    const { start, end } = this.bytes();
    return this.buf.toString('utf8', start, end);
  }

  sub(): Reader {
    const { start, end } = this.bytes();
    return new Reader(this.buf, start, end);
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.bytes();
    else if (wire === 1) this.advance(8);
    else if (wire === 5) this.advance(4);
    else throw new PodListDecodeError(`unsupported protobuf wire type ${wire}`);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new PodListDecodeError('truncated protobuf field');
    this.pos += n;
  }
}

function setNonEmpty(o: Record<string, unknown>, key: string, v: string): void {
  if (v !== '') o[key] = v;
  else delete o[key];
}

function expectWire(wire: number, want: number): void {
  if (wire !== want) throw new PodListDecodeError(`unexpected protobuf wire type ${wire}`);
}

/** RFC 3339 in UTC at second precision, as metav1.Time marshals to JSON. */
function timeOf(r: Reader): string | undefined {
  let seconds = 0;
  let any = false;
  while (r.more()) {
    const { field, wire } = r.tag();
    any = true;
    if (field === F.timeSeconds && wire === 0) seconds = r.varint();
    else r.skip(wire);
  }
  // the zero time is an empty message here and null in JSON: no start time either way
  if (!any) return undefined;
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function containerOf(r: Reader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let env: Array<Record<string, unknown>> | undefined;
  let valueAt: { start: number; end: number } | undefined;
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === F.containerName && wire === 2) out.name = r.string();
    else if (field === F.containerEnv && wire === 2) {
      const e = r.sub();
      const v: Record<string, unknown> = {};
      let wanted = false;
      while (e.more()) {
        const t = e.tag();
        if (t.field === F.envName && t.wire === 2) {
          // only the variable the checks read is decoded; the others are compared by their bytes
          const { start, end } = e.bytes();
          wanted = end - start === ENV_BYTES.length && r.buf.compare(ENV_BYTES, 0, ENV_BYTES.length, start, end) === 0;
          if (wanted) v.name = TRUST_ANCHORS_ENV;
        } else if (t.field === F.envValue && t.wire === 2) {
          const { start, end } = e.bytes();
          valueAt = { start, end };
        } else e.skip(t.wire);
      }
      if (wanted) {
        // JSON omits an empty value (omitempty); protobuf always carries it
        if (valueAt && valueAt.end > valueAt.start) v.value = r.buf.toString('utf8', valueAt.start, valueAt.end);
        (env ??= []).push(v);
      }
      valueAt = undefined;
    } else r.skip(wire);
  }
  if (env) out.env = env;
  out.name ??= ''; // never omitted in JSON
  return out;
}

function podOf(r: Reader): K8sObject {
  const pod: Record<string, unknown> = { apiVersion: 'v1', kind: 'Pod' };
  while (r.more()) {
    const { field, wire } = r.tag();
    if (wire !== 2) {
      r.skip(wire);
      continue;
    }
    if (field === F.podMeta) {
      const m = r.sub();
      const meta: Record<string, unknown> = {};
      while (m.more()) {
        const t = m.tag();
        // name and namespace are omitempty in JSON
        if (t.field === F.metaName && t.wire === 2) setNonEmpty(meta, 'name', m.string());
        else if (t.field === F.metaNamespace && t.wire === 2) setNonEmpty(meta, 'namespace', m.string());
        else if (t.field === F.metaLabels && t.wire === 2) {
          const entry = m.sub();
          let key = '';
          let value = '';
          while (entry.more()) {
            const e = entry.tag();
            if (e.field === 1 && e.wire === 2) key = entry.string();
            else if (e.field === 2 && e.wire === 2) value = entry.string();
            else entry.skip(e.wire);
          }
          ((meta.labels ??= {}) as Record<string, string>)[key] = value;
        } else m.skip(t.wire);
      }
      pod.metadata = meta;
    } else if (field === F.podSpec) {
      const s = r.sub();
      const spec: Record<string, unknown> = {};
      while (s.more()) {
        const t = s.tag();
        if (t.field === F.specContainers && t.wire === 2) ((spec.containers ??= []) as unknown[]).push(containerOf(s.sub()));
        else if (t.field === F.specInitContainers && t.wire === 2) ((spec.initContainers ??= []) as unknown[]).push(containerOf(s.sub()));
        else s.skip(t.wire);
      }
      pod.spec = spec;
    } else if (field === F.podStatus) {
      const s = r.sub();
      const status: Record<string, unknown> = {};
      while (s.more()) {
        const t = s.tag();
        if (t.field === F.statusStartTime && t.wire === 2) {
          const time = timeOf(s.sub());
          if (time !== undefined) status.startTime = time;
        } else if (t.field === F.statusConditions && t.wire === 2) {
          const c = s.sub();
          const cond: Record<string, unknown> = { type: '', status: '' }; // never omitted in JSON
          while (c.more()) {
            const u = c.tag();
            if (u.field === F.conditionType && u.wire === 2) cond.type = c.string();
            else if (u.field === F.conditionStatus && u.wire === 2) cond.status = c.string();
            else c.skip(u.wire);
          }
          ((status.conditions ??= []) as unknown[]).push(cond);
        } else s.skip(t.wire);
      }
      pod.status = status;
    } else r.skip(wire);
  }
  return pod as K8sObject;
}

/** One page of a PodList in the Kubernetes protobuf envelope. */
export function decodeProtobufPodList(body: Uint8Array): PodPage {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (buf.length < 4 || MAGIC.some((b, i) => buf[i] !== b)) throw new PodListDecodeError('the pod list is not a Kubernetes protobuf message');
  // runtime.Unknown: the PodList is its raw bytes
  const envelope = new Reader(buf, 4, buf.length);
  let raw: Reader | undefined;
  while (envelope.more()) {
    const { field, wire } = envelope.tag();
    if (field === F.unknownRaw) {
      expectWire(wire, 2);
      raw = envelope.sub();
    } else envelope.skip(wire);
  }
  if (!raw) throw new PodListDecodeError('the protobuf pod list has no body');
  const pods: K8sObject[] = [];
  let continueToken: string | undefined;
  while (raw.more()) {
    const { field, wire } = raw.tag();
    if (field === F.listItems && wire === 2) pods.push(podOf(raw.sub()));
    else if (field === F.listMeta && wire === 2) {
      const m = raw.sub();
      while (m.more()) {
        const t = m.tag();
        if (t.field === F.listContinue && t.wire === 2) continueToken = m.string();
        else m.skip(t.wire);
      }
    } else raw.skip(wire);
  }
  return { pods, ...(continueToken ? { continueToken } : {}) };
}
