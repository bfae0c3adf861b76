/**
 * Pod lists for `check --proxy` and `rotate`, read without decoding what the checks never look at. A cluster with
 * 15,000 meshed pods answers about 180 MB of JSON (managedFields, probes, volumes...), more than one
 * response may carry and slow to parse; `check --proxy` and `rotate` read only a pod's name, namespace,
 * uid, labels, owners, deletion mark, each container's name and its trust anchors variable, its phase,
 * its start time and its Ready condition.
 *
 * So the list is read in pages (`limit`/`continue`, as kubectl does), asked for in the API server's
 * protobuf encoding, and each pod is decoded straight into that slim shape, skipping every other field
 * by its length without looking inside. A server that answers JSON instead (an aggregated API, a proxy,
 * a test double) gets the same slim shape from the parsed JSON.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
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

/** An owner reference reduced to what `rotate` reads to find a pod's workload. */
function slimOwner(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['kind', 'name', 'uid', 'controller'] as const) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** A pod as JSON reduced to what the checks read (see the file comment). */
export function slimJsonPod(p: Record<string, unknown>): K8sObject {
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Pod' };
  const m = p.metadata;
  if (isObj(m)) {
    const meta: Record<string, unknown> = {};
    if (m.name !== undefined) meta.name = m.name;
    if (m.namespace !== undefined) meta.namespace = m.namespace;
    if (m.uid !== undefined) meta.uid = m.uid;
    if (m.labels !== undefined) meta.labels = m.labels;
    if (m.deletionTimestamp !== undefined && m.deletionTimestamp !== null) meta.deletionTimestamp = m.deletionTimestamp;
    if (Array.isArray(m.ownerReferences)) meta.ownerReferences = m.ownerReferences.filter(isObj).map(slimOwner);
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
    if (st.phase !== undefined) status.phase = st.phase;
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
 * ObjectMeta{name=1, namespace=3, uid=5, deletionTimestamp=9, labels=11, ownerReferences=13};
 * OwnerReference{kind=1, name=3, uid=4, controller=6}; PodSpec{containers=2, initContainers=20};
 * Container{name=1, env=7}; EnvVar{name=1, value=2}; PodStatus{phase=1, conditions=2, startTime=7};
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
  metaUid: 5,
  metaDeletionTimestamp: 9,
  metaLabels: 11,
  metaOwnerReferences: 13,
  ownerKind: 1,
  ownerName: 3,
  ownerUid: 4,
  ownerController: 6,
  statusPhase: 1,
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

/**
 * A protobuf reader over one message: @bufbuild/protobuf's wire reader, shared by a message and all
 * the messages inside it (a nested message is the bounds [pos, end) of the same reader, never a copy
 * or a new reader per field), with its errors (a truncated field, a bad varint) reported as a bad pod list.
 */
class Reader {
  constructor(readonly r: BinaryReader, readonly end: number) {}

  static of(buf: Uint8Array): Reader {
    // a plain Uint8Array view: the views taken of it are then plain too, cheaper than a Buffer's
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    return new Reader(new BinaryReader(bytes, utf8), bytes.length);
  }

  more(): boolean {
    if (this.r.pos > this.end) throw new PodListDecodeError('truncated protobuf field');
    return this.r.pos < this.end;
  }

  /** this reader's last tag, reused: a pod has hundreds of fields, and an object (or the wire reader's
   * array) per field was a large share of what the decode left for the garbage collector */
  private readonly last = { field: 0, wire: WireType.Varint };

  /** the next field's number and wire type (read before the next tag() of this reader) */
  tag(): { readonly field: number; readonly wire: WireType } {
    const tag = this.r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field <= 0 || wire > WireType.Bit32) throw new PodListDecodeError(`illegal protobuf tag: field ${field}, wire type ${wire}`);
    this.last.field = field;
    this.last.wire = wire;
    return this.last;
  }

  varint(): number {
    return Number(this.r.int64());
  }

  /** a length-delimited field's bytes (a view into the page, not a copy) */
  bytes(): Uint8Array {
    return this.r.bytes();
  }

  string(): string {
    return this.r.string();
  }

  /** the nested message in the next length-delimited field */
  sub(): Reader {
    const len = this.r.uint32();
    const end = this.r.pos + len;
    if (end > this.end) throw new PodListDecodeError('truncated protobuf field');
    return new Reader(this.r, end);
  }

  /** Most of a pod is skipped: a length-delimited field is stepped over without taking a view of it. */
  skip(wire: WireType): void {
    if (wire !== WireType.LengthDelimited) {
      this.r.skip(wire);
      return;
    }
    const len = this.r.uint32();
    this.r.pos += len;
    if (this.r.pos > this.r.len) throw new PodListDecodeError('truncated protobuf field');
  }
}

/** UTF-8 through Buffer: faster than a TextDecoder call for the many short strings of a pod. */
const utf8 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

/**
 * The anchors PEM, decoded once per distinct value: every proxy of a mesh carries the same one, and
 * 15,000 copies of it (9 MB of strings) were most of what the decode left for the garbage collector
 * (and for the checks to hash again). A few distinct values are kept, copied out of the page.
 */
const INTERNED_MAX = 16;
const interned: Array<{ bytes: Buffer; text: string }> = [];

function internedUtf8(b: Uint8Array): string {
  for (const e of interned) if (e.bytes.length === b.byteLength && e.bytes.equals(b)) return e.text;
  const text = utf8(b);
  if (interned.length >= INTERNED_MAX) interned.shift();
  interned.push({ bytes: Buffer.from(b), text });
  return text;
}

/** Whether a field's bytes are exactly `want` (compared without decoding them). */
const sameBytes = (b: Uint8Array, want: Buffer): boolean => b.byteLength === want.length && want.equals(b);

function setNonEmpty(o: Record<string, unknown>, key: string, v: string): void {
  if (v !== '') o[key] = v;
  else delete o[key];
}

function expectWire(wire: WireType, want: WireType): void {
  if (wire !== want) throw new PodListDecodeError(`unexpected protobuf wire type ${wire}`);
}

/** RFC 3339 in UTC at second precision, as metav1.Time marshals to JSON. */
function timeOf(r: Reader): string | undefined {
  let seconds = 0;
  let any = false;
  while (r.more()) {
    const { field, wire } = r.tag();
    any = true;
    if (field === F.timeSeconds && wire === WireType.Varint) seconds = r.varint();
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
  let valueAt: Uint8Array | undefined;
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === F.containerName && wire === WireType.LengthDelimited) out.name = r.string();
    else if (field === F.containerEnv && wire === WireType.LengthDelimited) {
      const e = r.sub();
      const v: Record<string, unknown> = {};
      let wanted = false;
      while (e.more()) {
        const t = e.tag();
        if (t.field === F.envName && t.wire === WireType.LengthDelimited) {
          // only the variable the checks read is decoded; the others are compared by their bytes
          wanted = sameBytes(e.bytes(), ENV_BYTES);
          if (wanted) v.name = TRUST_ANCHORS_ENV;
        } else if (t.field === F.envValue && t.wire === WireType.LengthDelimited) valueAt = e.bytes();
        else e.skip(t.wire);
      }
      if (wanted) {
        // JSON omits an empty value (omitempty); protobuf always carries it
        if (valueAt && valueAt.byteLength > 0) v.value = internedUtf8(valueAt);
        (env ??= []).push(v);
      }
      valueAt = undefined;
    } else r.skip(wire);
  }
  if (env) out.env = env;
  out.name ??= ''; // never omitted in JSON
  return out;
}

function ownerOf(r: Reader): Record<string, unknown> {
  // kind, name and uid are never omitted in JSON; controller is a pointer, absent unless set
  const out: Record<string, unknown> = { kind: '', name: '', uid: '' };
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === F.ownerKind && wire === WireType.LengthDelimited) out.kind = r.string();
    else if (field === F.ownerName && wire === WireType.LengthDelimited) out.name = r.string();
    else if (field === F.ownerUid && wire === WireType.LengthDelimited) out.uid = r.string();
    else if (field === F.ownerController && wire === WireType.Varint) out.controller = r.varint() !== 0;
    else r.skip(wire);
  }
  return out;
}

function podOf(r: Reader): K8sObject {
  const pod: Record<string, unknown> = { apiVersion: 'v1', kind: 'Pod' };
  while (r.more()) {
    const { field, wire } = r.tag();
    if (wire !== WireType.LengthDelimited) {
      r.skip(wire);
      continue;
    }
    if (field === F.podMeta) {
      const m = r.sub();
      const meta: Record<string, unknown> = {};
      while (m.more()) {
        const t = m.tag();
        // name and namespace are omitempty in JSON
        if (t.field === F.metaName && t.wire === WireType.LengthDelimited) setNonEmpty(meta, 'name', m.string());
        else if (t.field === F.metaNamespace && t.wire === WireType.LengthDelimited) setNonEmpty(meta, 'namespace', m.string());
        else if (t.field === F.metaUid && t.wire === WireType.LengthDelimited) setNonEmpty(meta, 'uid', m.string());
        else if (t.field === F.metaDeletionTimestamp && t.wire === WireType.LengthDelimited) {
          const time = timeOf(m.sub());
          if (time !== undefined) meta.deletionTimestamp = time;
        } else if (t.field === F.metaOwnerReferences && t.wire === WireType.LengthDelimited) ((meta.ownerReferences ??= []) as unknown[]).push(ownerOf(m.sub()));
        else if (t.field === F.metaLabels && t.wire === WireType.LengthDelimited) {
          const entry = m.sub();
          let key = '';
          let value = '';
          while (entry.more()) {
            const e = entry.tag();
            if (e.field === 1 && e.wire === WireType.LengthDelimited) key = entry.string();
            else if (e.field === 2 && e.wire === WireType.LengthDelimited) value = entry.string();
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
        if (t.field === F.specContainers && t.wire === WireType.LengthDelimited) ((spec.containers ??= []) as unknown[]).push(containerOf(s.sub()));
        else if (t.field === F.specInitContainers && t.wire === WireType.LengthDelimited) ((spec.initContainers ??= []) as unknown[]).push(containerOf(s.sub()));
        else s.skip(t.wire);
      }
      pod.spec = spec;
    } else if (field === F.podStatus) {
      const s = r.sub();
      const status: Record<string, unknown> = {};
      while (s.more()) {
        const t = s.tag();
        if (t.field === F.statusPhase && t.wire === WireType.LengthDelimited) setNonEmpty(status, 'phase', s.string());
        else if (t.field === F.statusStartTime && t.wire === WireType.LengthDelimited) {
          const time = timeOf(s.sub());
          if (time !== undefined) status.startTime = time;
        } else if (t.field === F.statusConditions && t.wire === WireType.LengthDelimited) {
          const c = s.sub();
          const cond: Record<string, unknown> = { type: '', status: '' }; // never omitted in JSON
          while (c.more()) {
            const u = c.tag();
            if (u.field === F.conditionType && u.wire === WireType.LengthDelimited) cond.type = c.string();
            else if (u.field === F.conditionStatus && u.wire === WireType.LengthDelimited) cond.status = c.string();
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
  if (body.byteLength < 4 || MAGIC.some((b, i) => body[i] !== b)) throw new PodListDecodeError('the pod list is not a Kubernetes protobuf message');
  try {
    return protobufPodList(body.subarray(4));
  } catch (e) {
    if (e instanceof PodListDecodeError) throw e;
    // the wire reader's own errors: a truncated field, a bad varint, an unknown wire type
    throw new PodListDecodeError(`the protobuf pod list is malformed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function protobufPodList(unknown: Uint8Array): PodPage {
  // runtime.Unknown: the PodList is its raw bytes
  const envelope = Reader.of(unknown);
  let raw: Reader | undefined;
  while (envelope.more()) {
    const { field, wire } = envelope.tag();
    if (field === F.unknownRaw) {
      expectWire(wire, WireType.LengthDelimited);
      raw = Reader.of(envelope.bytes()); // read after the envelope, so its own reader
    } else envelope.skip(wire);
  }
  if (!raw) throw new PodListDecodeError('the protobuf pod list has no body');
  const pods: K8sObject[] = [];
  let continueToken: string | undefined;
  while (raw.more()) {
    const { field, wire } = raw.tag();
    if (field === F.listItems && wire === WireType.LengthDelimited) pods.push(podOf(raw.sub()));
    else if (field === F.listMeta && wire === WireType.LengthDelimited) {
      const m = raw.sub();
      while (m.more()) {
        const t = m.tag();
        if (t.field === F.listContinue && t.wire === WireType.LengthDelimited) continueToken = m.string();
        else m.skip(t.wire);
      }
    } else raw.skip(wire);
  }
  return { pods, ...(continueToken ? { continueToken } : {}) };
}
