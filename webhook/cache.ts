/**
 * The webhook's view of the cluster for the cross-object rules: one informer (client-node's
 * ListWatch: list once, then watch) per kind the rules read. Certificates, Issuers, ClusterIssuers,
 * Bundles, ClusterBundles and the Linkerd Namespace alone (field selector metadata.name). The request
 * path only reads `snapshot()`; it never calls the API server.
 *
 * Bounded: at most `maxObjectsPerKind` objects per kind (objects beyond are left out and the kind is
 * marked truncated), each at most `maxObjectBytes` of labels and spec, and of each object only what
 * the rules read (name, namespace, labels, spec): no status, managedFields or annotations (kubectl's
 * last-applied copy). No Secret is ever read. A status-only change (cert-manager updates status
 * often) does not change the snapshot, so judging stays cheap between real changes.
 *
 * A kind whose CRD is not installed (404) does not hold the webhook back: it is logged once and
 * treated as unknown (looked for again every minute). Other errors are retried with backoff; a kind
 * that listed once keeps its last view meanwhile.
 */
import type * as K8s from '@kubernetes/client-node';
import { apiMessage, requestJson, statusOf, type Connection } from '../checks/cluster/live.js';
import { ListWatch, Watch } from '../checks/cluster/kube.js';
import { isRecord } from '../checks/rules/object.js';
import type { Config } from '../checks/config.js';
import type { K8sObject } from '../checks/rules/types.js';
import { clip } from '../checks/limits.js';
import type { Logger } from './log.js';

/** One kind the rules read, as the API serves it. */
export interface CachedKind {
  kind: string;
  /** '' for the core group */
  group: string;
  version: string;
  plural: string;
  /** cache only the object of this name (field selector metadata.name) */
  name?: string;
}

/** The kinds the cross-object rules read; the Namespace is Linkerd's only. */
export function cachedKinds(config: Config): CachedKind[] {
  return [
    { kind: 'Certificate', group: 'cert-manager.io', version: 'v1', plural: 'certificates' },
    { kind: 'Issuer', group: 'cert-manager.io', version: 'v1', plural: 'issuers' },
    { kind: 'ClusterIssuer', group: 'cert-manager.io', version: 'v1', plural: 'clusterissuers' },
    { kind: 'Bundle', group: 'trust.cert-manager.io', version: 'v1alpha1', plural: 'bundles' },
    { kind: 'ClusterBundle', group: 'trust-manager.io', version: 'v1alpha2', plural: 'clusterbundles' },
    { kind: 'Namespace', group: '', version: 'v1', plural: 'namespaces', name: config.linkerdNamespace },
  ];
}

/** `syncing`: not listed yet; `synced`: listed once (and watched since); `absent`: not served (no CRD). */
export type KindState = 'syncing' | 'synced' | 'absent';

export interface KindStatus {
  kind: string;
  /** plural.group, as RBAC and `kubectl get` name it */
  resource: string;
  state: KindState;
  objects: number;
  /** objects were left out (the count cap or the size bound) */
  truncated: boolean;
  /** the last list/watch error while it lasts, one line */
  error?: string;
}

/** What the webhook server needs of the cache. */
export interface ClusterView {
  /** every kind has listed once or was found not served */
  synced(): boolean;
  /** why not synced yet, one line; undefined once synced */
  waitingFor(): string | undefined;
  /** the cached objects of every served kind; the same array until something changes */
  snapshot(): readonly K8sObject[];
  status(): KindStatus[];
}

export interface CacheOptions {
  logger: Logger;
  maxObjectsPerKind?: number;
  maxObjectBytes?: number;
  /** the API server ends each watch after this long (plus jitter); the informer then watches again */
  watchTimeoutSeconds?: number;
  /** first and longest delay between retries after an error */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** how often a kind that is not served is looked for again */
  absentRetryMs?: number;
}

export const CACHE_DEFAULTS = {
  maxObjectsPerKind: 5000,
  maxObjectBytes: 32 * 1024,
  watchTimeoutSeconds: 300,
  retryMinMs: 1000,
  retryMaxMs: 30_000,
  absentRetryMs: 60_000,
} as const;

/** What the informer stores: the fields the rules read. */
interface Slim {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
  spec?: unknown;
}

type Store = K8s.ListWatch<K8s.KubernetesObject>;

function describe(e: unknown): string {
  const status = statusOf(e);
  if (status !== undefined) {
    const said = apiMessage(e);
    return clip(`HTTP ${status}${said ? `: ${said}` : ''}`, 300);
  }
  const message = e instanceof Error ? e.message : String(e);
  return clip(message.split('\n')[0] ?? '', 300);
}

class KindInformer {
  state: KindState = 'syncing';
  truncated = false;
  count = 0;
  error: string | undefined;
  readonly resource: string;
  readonly store: Store;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private truncationLogged = false;
  private readonly apiVersion: string;
  private readonly path: string;
  private readonly fieldSelector: string | undefined;

  constructor(
    private readonly conn: Connection,
    readonly def: CachedKind,
    private readonly o: Required<Omit<CacheOptions, 'logger'>> & { logger: Logger },
    private readonly changed: () => void,
  ) {
    this.resource = def.group === '' ? def.plural : `${def.plural}.${def.group}`;
    this.apiVersion = def.group === '' ? def.version : `${def.group}/${def.version}`;
    this.path = def.group === '' ? `/api/${def.version}/${def.plural}` : `/apis/${def.group}/${def.version}/${def.plural}`;
    this.fieldSelector = def.name === undefined ? undefined : `metadata.name=${def.name}`;
    this.store = new ListWatch(this.path, this.watcher(), () => this.list(), false, undefined, this.fieldSelector);
    this.store.on('add', () => {
      this.count++;
      this.changed();
    });
    this.store.on('update', () => this.changed());
    this.store.on('delete', () => {
      this.count--;
      this.changed();
    });
    this.store.on('error', (e: unknown) => this.failed(e));
  }

  start(): void {
    this.stopped = false;
    this.store.start().catch((e: unknown) => this.failed(e));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.store.stop();
  }

  /** A list with the cap as its page size: the first page is all the cache keeps. */
  private async list(): Promise<K8s.KubernetesListObject<K8s.KubernetesObject>> {
    const max = this.o.maxObjectsPerKind;
    const answer = await requestJson(this.conn, 'GET', this.path, { query: { limit: String(max), fieldSelector: this.fieldSelector } });
    const raw = (isRecord(answer) ? answer : {}) as { metadata?: { resourceVersion?: string; continue?: string; _continue?: string }; items?: unknown[] };
    const all = Array.isArray(raw.items) ? raw.items : [];
    const items: Slim[] = [];
    let left = all.length > max || Boolean(raw.metadata?.continue ?? raw.metadata?._continue);
    for (const item of all.slice(0, max)) {
      const s = this.slim(item);
      if (s === undefined || this.tooLarge(s)) left = true;
      else items.push(s);
    }
    this.setTruncated(left);
    return { metadata: { resourceVersion: raw.metadata?.resourceVersion ?? '' }, items: items as K8s.KubernetesObject[] };
  }

  /** client-node's Watch, asking for bookmarks and a bounded watch, with each event slimmed and bounded. */
  private watcher(): K8s.Watch {
    const self = this;
    class SlimWatch extends Watch {
      override async watch(
        path: string,
        query: Record<string, string | number | boolean | undefined>,
        callback: (phase: string, obj: unknown, raw?: unknown) => void,
        done: (err: unknown) => void,
      ): Promise<AbortController> {
        let refused = false;
        const controller = await super.watch(
          path,
          { ...query, allowWatchBookmarks: true, timeoutSeconds: self.o.watchTimeoutSeconds },
          (phase, obj) => self.event(phase, obj, callback),
          (err: unknown) => {
            if (err) refused = true;
            done(err);
          },
        );
        // ListWatch watches right after a successful list (or to resume one): once the watch is
        // accepted, the store is current and stays so.
        if (!refused) self.synced();
        return controller;
      }
    }
    return new SlimWatch(this.conn.kubeConfig);
  }

  private event(phase: string, obj: unknown, forward: (phase: string, obj: unknown) => void): void {
    if (phase !== 'ADDED' && phase !== 'MODIFIED' && phase !== 'DELETED') {
      forward(phase, obj); // BOOKMARK, ERROR (410 Gone: ListWatch lists again)
      return;
    }
    const s = this.slim(obj);
    if (s === undefined) return;
    const bookmark = (): void => forward('BOOKMARK', { metadata: { resourceVersion: s.metadata.resourceVersion } });
    const existing = this.store.get(s.metadata.name, s.metadata.namespace) as Slim | undefined;
    if (phase === 'DELETED') {
      if (existing) forward(phase, s);
      else bookmark();
      return;
    }
    if (this.tooLarge(s)) {
      this.setTruncated(true);
      if (existing) forward('DELETED', s);
      else bookmark();
      return;
    }
    if (!existing && this.count >= this.o.maxObjectsPerKind) {
      this.setTruncated(true);
      bookmark();
      return;
    }
    // a status-only change: the rules would see the same object
    if (existing && contentOf(existing) === contentOf(s)) bookmark();
    else forward(phase, s);
  }

  private slim(o: unknown): Slim | undefined {
    if (!isRecord(o) || !isRecord(o.metadata) || typeof o.metadata.name !== 'string') return undefined;
    const m = o.metadata;
    const metadata: Slim['metadata'] = { name: m.name as string };
    if (typeof m.namespace === 'string' && m.namespace !== '') metadata.namespace = m.namespace;
    if (isRecord(m.labels)) metadata.labels = m.labels as Record<string, string>;
    if (typeof m.resourceVersion === 'string') metadata.resourceVersion = m.resourceVersion;
    const s: Slim = { apiVersion: this.apiVersion, kind: this.def.kind, metadata };
    if (this.def.group !== '' && o.spec !== undefined) s.spec = o.spec;
    return s;
  }

  private tooLarge(s: Slim): boolean {
    return Buffer.byteLength(contentOf(s)) > this.o.maxObjectBytes;
  }

  private setTruncated(truncated: boolean): void {
    this.truncated = truncated;
    if (!truncated) {
      this.truncationLogged = false;
      return;
    }
    if (this.truncationLogged) return;
    this.truncationLogged = true;
    this.o.logger.warn(
      { resource: this.resource, maxObjectsPerKind: this.o.maxObjectsPerKind, maxObjectBytes: this.o.maxObjectBytes },
      `cache: some ${this.resource} are not cached (more than the cap, or larger than the size bound); cross-object rules may warn that they are not found`,
    );
  }

  private synced(): void {
    const was = this.state;
    this.state = 'synced';
    this.failures = 0;
    if (this.error !== undefined) this.o.logger.info({ resource: this.resource }, 'cache: watching again');
    this.error = undefined;
    if (was !== 'synced') {
      this.o.logger.info({ resource: this.resource, objects: this.count, truncated: this.truncated }, 'cache: synced');
      this.changed();
    }
  }

  private failed(e: unknown): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (statusOf(e) === 404) {
      if (this.state !== 'absent') {
        this.o.logger.warn({ resource: this.resource }, `cache: ${this.resource} is not served (its CRD is not installed): rules treat ${this.def.kind}s as unknown`);
        this.state = 'absent';
        this.changed();
      }
      this.error = undefined;
      this.retry(this.o.absentRetryMs);
      return;
    }
    const message = describe(e);
    if (message !== this.error) this.o.logger.warn({ resource: this.resource, error: message }, 'cache: list/watch failed; retrying');
    this.error = message;
    this.failures++;
    this.retry(Math.min(this.o.retryMaxMs, this.o.retryMinMs * 2 ** (this.failures - 1)));
  }

  private retry(ms: number): void {
    this.timer = setTimeout(() => {
      if (!this.stopped) this.start();
    }, ms);
    this.timer.unref();
  }
}

/** What a rule reads of a cached object, as one comparable string. */
function contentOf(s: Slim): string {
  return JSON.stringify([s.metadata.labels ?? null, s.spec ?? null]);
}

export class InformerCache implements ClusterView {
  private readonly kinds: KindInformer[];
  private generation = 0;
  private built: { generation: number; objects: readonly K8sObject[] } | undefined;

  constructor(conn: Connection, config: Config, options: CacheOptions) {
    const o = { ...CACHE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<CacheOptions>;
    this.kinds = cachedKinds(config).map((def) => new KindInformer(conn, def, o, () => this.generation++));
  }

  start(): this {
    for (const k of this.kinds) k.start();
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all(this.kinds.map((k) => k.stop()));
  }

  synced(): boolean {
    return this.kinds.every((k) => k.state !== 'syncing');
  }

  waitingFor(): string | undefined {
    const waiting = this.kinds.filter((k) => k.state === 'syncing');
    if (waiting.length === 0) return undefined;
    return `cache not synced: ${waiting.map((k) => `${k.resource} (${k.error ?? 'listing'})`).join('; ')}`;
  }

  snapshot(): readonly K8sObject[] {
    if (this.built?.generation === this.generation) return this.built.objects;
    const generation = this.generation;
    const objects: K8sObject[] = [];
    for (const k of this.kinds) if (k.state === 'synced') for (const o of k.store.list()) objects.push(o as unknown as K8sObject);
    this.built = { generation, objects: Object.freeze(objects) };
    return this.built.objects;
  }

  status(): KindStatus[] {
    return this.kinds.map((k) => ({
      kind: k.def.kind,
      resource: k.resource,
      state: k.state,
      objects: k.state === 'synced' ? k.count : 0,
      truncated: k.truncated,
      ...(k.error !== undefined ? { error: k.error } : {}),
    }));
  }
}

/** The cache over a connection from `connect()`, started: informers list and watch in the background. */
export function startInformerCache(conn: Connection, config: Config, options: CacheOptions): InformerCache {
  return new InformerCache(conn, config, options).start();
}
