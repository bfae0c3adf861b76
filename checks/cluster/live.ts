/**
 * Live input: reads the objects Linkerd, cert-manager and trust-manager keep in the cluster through
 * @kubernetes/client-node (kubeconfig, --kubeconfig, --context, or in-cluster), and returns them as plain
 * objects for buildSnapshot. The client is imported lazily so file mode never pays for loading it.
 */
import { guardError, type GuardError } from '../errors.js';
import { httpLibrary } from './transport.js';
import { decodePodListPage, MAX_POD_PAGES, POD_LIST_ACCEPT, POD_PAGE_SIZE } from './pods.js';
import type { Config } from '../config.js';
import type { K8sObject } from '../rules/types.js';
import { isRecord, namespaceOf } from '../rules/object.js';

export interface LiveOptions {
  kubeconfig?: string;
  context?: string;
  proxy: boolean;
  config: Config;
  /** --api-addr: talk to this API server instead of the kubeconfig cluster's (same credentials) */
  apiAddr?: string;
  /** --as / --as-group: impersonate this user and these groups */
  as?: string;
  asGroups?: readonly string[];
  /** --wait: how long transient API errors are retried, milliseconds (default 0: no retry) */
  waitMs?: number;
  /** --namespace: the namespace whose meshed pods --proxy compares (default: all) */
  podNamespace?: string;
  /** --verbose: progress lines */
  log?: (line: string) => void;
  /** called once the first requests are on their way: the caller may load what it needs meanwhile */
  onReading?: () => void;
}

export interface LiveObjects {
  objects: K8sObject[];
  notFound: Record<string, string>;
  certManagerAvailable: boolean;
  /** the cluster server, for messages */
  server: string;
}

/** HTTP status of a failed list or get (client-node's ApiException.code) or watch (Error.statusCode). */
export function statusOf(e: unknown): number | undefined {
  const x = e as { code?: unknown; statusCode?: unknown } | null;
  const s = typeof x?.code === 'number' ? x.code : x?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The Status message the API server gave with an error (`secrets "x" is forbidden: User ...`), bounded. */
export function apiMessage(e: unknown): string | undefined {
  const body: unknown = (e as { body?: unknown }).body;
  let m: unknown;
  if (typeof body === 'string') {
    try {
      m = (JSON.parse(body) as { message?: unknown }).message;
    } catch {
      return undefined;
    }
  } else if (body && typeof body === 'object') m = (body as { message?: unknown }).message;
  return typeof m === 'string' && m.length > 0 ? m.split('\n')[0]!.slice(0, 300) : undefined;
}

/** --api-addr host:port (or a URL) as the https URL of an API server. */
export function apiServerUrl(addr: string): string {
  const url = /^https?:\/\//.test(addr) ? addr : `https://${addr}`;
  try {
    const u = new URL(url);
    if (!u.hostname || u.pathname.length > 1 || u.search || u.hash) throw new Error('not an address');
    return `${u.protocol}//${u.host}`;
  } catch {
    throw guardError('LCG_FLAG_INVALID', '--api-addr', 'a host:port or https URL', addr);
  }
}

/** What every live command connects with: the kubeconfig (or --api-addr) and our transport. */
export type ConnectOptions = Pick<LiveOptions, 'kubeconfig' | 'context' | 'apiAddr' | 'as' | 'asGroups' | 'waitMs' | 'log'> & {
  /** how to do without a cluster, for the no-kubeconfig message */
  offline?: string;
};

export interface Connection {
  k8s: typeof import('./kube.js');
  configuration: import('@kubernetes/client-node').Configuration;
  server: string;
  /** the context's name */
  name: string;
  /** the loaded kubeconfig (watches stream through it, not through the bounded transport) */
  kubeConfig: import('@kubernetes/client-node').KubeConfig;
}

/**
 * Load the kubeconfig (or in-cluster config), pick the context, and build the client configuration
 * over our transport (impersonation, bounded retries and bodies). The client is imported lazily.
 */
export async function connect(opts: ConnectOptions): Promise<Connection> {
  const k8s = await import('./kube.js');
  const kc = new k8s.KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw guardError('LCG_KUBECONFIG', `cannot load kubeconfig${opts.kubeconfig ? ` ${opts.kubeconfig}` : ''}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw guardError('LCG_KUBECONFIG', `context "${opts.context}" not found in kubeconfig`);
    kc.setCurrentContext(opts.context);
  }
  const offline = opts.offline ?? 'check files with --from or --issuer-cert/--issuer-key/--trust-anchors';
  let cluster = kc.getCurrentCluster();
  // client-node falls back to an unauthenticated http://localhost:8080 when it finds no configuration at all
  if (!opts.kubeconfig && cluster?.name === 'cluster' && cluster.server === 'http://localhost:8080') {
    throw guardError('LCG_KUBECONFIG', `no kubeconfig found (KUBECONFIG, ~/.kube/config, in-cluster): pass --kubeconfig, or ${offline}`);
  }
  if (!cluster) throw guardError('LCG_KUBECONFIG', `no Kubernetes cluster configured: pass --kubeconfig/--context, or ${offline}`);
  if (opts.apiAddr) {
    const server = apiServerUrl(opts.apiAddr);
    kc.clusters = kc.clusters.map((c) => (c.name === cluster?.name ? { ...c, server } : c));
    cluster = kc.getCurrentCluster() ?? cluster;
  }
  const server = cluster.server;
  opts.log?.(`reading from ${server}${opts.as ? ` as ${opts.as}` : ''}${opts.asGroups?.length ? ` (groups ${opts.asGroups.join(', ')})` : ''}`);
  const configuration = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(server, {}),
    authMethods: { default: kc },
    httpApi: httpLibrary(k8s, { as: opts.as, asGroups: opts.asGroups, waitMs: opts.waitMs ?? 0, log: opts.log }),
  });
  return { k8s, configuration, server, name: opts.context ?? kc.getCurrentContext(), kubeConfig: kc };
}

export type Method = 'GET' | 'PUT' | 'POST' | 'PATCH';

/** The API path of a core (v1) resource in a namespace, or of one object of it. */
export function corePath(namespace: string, resource: 'secrets' | 'configmaps' | 'pods', name?: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  accept?: string;
  /** sent as JSON (or as `contentType`, e.g. a merge patch) */
  body?: unknown;
  contentType?: string;
}

/**
 * One request through the connection: client-node's request context (the kubeconfig's
 * authentication) over our transport. Every live command reads and writes through here rather than
 * through client-node's generated API clients, whose modules are most of its load time. An HTTP error
 * throws client-node's ApiException, as those clients do (statusOf and apiMessage read it).
 */
export async function request(conn: Pick<Connection, 'k8s' | 'configuration'>, method: Method, path: string, o: RequestOptions = {}): Promise<{ body: Buffer; contentType: string | undefined }> {
  const { k8s, configuration } = conn;
  const ctx = configuration.baseServer.makeRequestContext(path, k8s.HttpMethod[method]);
  for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, v);
  ctx.setHeaderParam('Accept', o.accept ?? 'application/json');
  if (o.body !== undefined) {
    ctx.setHeaderParam('Content-Type', o.contentType ?? 'application/json');
    ctx.setBody(JSON.stringify(o.body));
  }
  await configuration.authMethods.default?.applySecurityAuthentication(ctx);
  const res = await configuration.httpApi.send(ctx).toPromise();
  const body = await res.body.binary();
  if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
    const text = body.toString('utf8');
    throw new k8s.ApiException(res.httpStatusCode, `HTTP-Code: ${res.httpStatusCode}\nMessage: ${text.slice(0, 300)}`, text, res.headers);
  }
  return { body, contentType: res.headers['content-type'] };
}

/** A request's answer as JSON. */
export async function requestJson(conn: Pick<Connection, 'k8s' | 'configuration'>, method: Method, path: string, o: RequestOptions = {}): Promise<unknown> {
  const { body } = await request(conn, method, path, o);
  return JSON.parse(body.toString('utf8')) as unknown;
}

/** One object, with the kind and apiVersion it is read as. */
export async function getObject(conn: Pick<Connection, 'k8s' | 'configuration'>, path: string, kind: string, apiVersion: string): Promise<K8sObject> {
  const o = await requestJson(conn, 'GET', path);
  return withKind(isRecord(o) ? (o as K8sObject) : {}, kind, apiVersion);
}

/** A list's items, with the kind and apiVersion the API server leaves out of them. */
export async function listObjects(conn: Pick<Connection, 'k8s' | 'configuration'>, path: string, kind: string, apiVersion: string): Promise<K8sObject[]> {
  const list = await requestJson(conn, 'GET', path);
  const items = isRecord(list) && Array.isArray(list.items) ? list.items : [];
  return items.filter(isRecord).map((o) => withKind(o as K8sObject, kind, apiVersion));
}

function withKind(o: K8sObject, kind: string, apiVersion: string): K8sObject {
  return { ...o, kind: typeof o.kind === 'string' ? o.kind : kind, apiVersion: typeof o.apiVersion === 'string' ? o.apiVersion : apiVersion };
}

/**
 * Every pod matching `labelSelector` under `path` (`/api/v1/pods` or a namespace's), page by page, each
 * pod reduced to what the checks read (pods.ts). Protobuf when the server offers it. While one page is
 * decoded the next is already asked for, so the API server encodes while we decode.
 */
export async function listPodsSlim(conn: Pick<Connection, 'k8s' | 'configuration'>, path: string, labelSelector?: string): Promise<K8sObject[]> {
  const fetchPage = async (continueToken: string | undefined) => {
    const { body, contentType } = await request(conn, 'GET', path, { query: { labelSelector, limit: String(POD_PAGE_SIZE), continue: continueToken }, accept: POD_LIST_ACCEPT });
    return decodePodListPage(body, contentType);
  };
  const pods: K8sObject[] = [];
  let page = await fetchPage(undefined);
  for (let n = 1; ; n++) {
    const token = page.continueToken;
    if (token === undefined) {
      pods.push(...page.pods);
      return pods;
    }
    if (n >= MAX_POD_PAGES) throw new Error(`more than ${MAX_POD_PAGES} pages of ${POD_PAGE_SIZE} pods`);
    const next = fetchPage(token);
    // keep a rejection of the next page from going unhandled while this one is copied
    next.catch(() => undefined);
    for (const p of page.pods) pods.push(p);
    page = await next;
  }
}

export async function loadLive(opts: LiveOptions): Promise<LiveObjects> {
  const conn = await connect(opts);
  const { server } = conn;
  const c = opts.config;
  const ns = c.linkerdNamespace;
  const out: LiveObjects = { objects: [], notFound: {}, certManagerAvailable: false, server };
  // --proxy: the meshed pods are by far the largest read; ask for them first, so the API server
  // encodes them while the small reads below are made (the pods are added where they always were).
  const podNamespace = opts.podNamespace;
  const meshedPath = podNamespace ? corePath(podNamespace, 'pods') : '/api/v1/pods';
  const meshed = opts.proxy ? listPodsSlim(conn, meshedPath, 'linkerd.io/control-plane-ns') : undefined;
  // an earlier read that fails ends the run first; this one's failure must not go unhandled meanwhile
  meshed?.catch(() => undefined);
  opts.onReading?.();

  const unreachable = (what: string, e: unknown): GuardError => {
    const status = statusOf(e);
    const msg = e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
    const said = status ? apiMessage(e) : undefined;
    return guardError('LCG_CLUSTER_UNREACHABLE', what, server, status ? `HTTP ${status}${said ? `: ${said}` : ''}` : msg);
  };
  /** A read where 404 is an answer (recorded) and anything else stops the run. */
  const read = async (what: string, key: string, url: string, kind: string, notFoundText: string): Promise<void> => {
    try {
      out.objects.push(await getObject(conn, url, kind, 'v1'));
    } catch (e) {
      if (statusOf(e) === 404) out.notFound[key] = notFoundText;
      else throw unreachable(what, e);
    }
  };
  await read(`Secret ${ns}/${c.issuerName}`, `Secret/${c.issuerName}`, corePath(ns, 'secrets', c.issuerName), 'Secret', `secrets "${c.issuerName}" not found`);
  await read(`ConfigMap ${ns}/linkerd-config`, 'ConfigMap/linkerd-config', corePath(ns, 'configmaps', 'linkerd-config'), 'ConfigMap', 'configmaps "linkerd-config" not found');
  await read(`ConfigMap ${ns}/${c.bundleName}`, `ConfigMap/${c.bundleName}`, corePath(ns, 'configmaps', c.bundleName), 'ConfigMap', `configmaps "${c.bundleName}" not found`);
  // Optional reads: RBAC may withhold them (the anchor Secrets by design); each only hides one detail
  // (the namespace label, the rotation phase's current anchor), so an HTTP error skips it.
  const optional = async (what: string, url: string, kind: string): Promise<void> => {
    try {
      out.objects.push(await getObject(conn, url, kind, 'v1'));
    } catch (e) {
      if (statusOf(e) === undefined) throw unreachable(what, e);
    }
  };
  await optional(`Namespace ${ns}`, `/api/v1/namespaces/${encodeURIComponent(ns)}`, 'Namespace');
  for (const name of c.anchorNames) await optional(`Secret ${c.trustNamespace}/${name}`, corePath(c.trustNamespace, 'secrets', name), 'Secret');
  const listCustom = async (group: string, version: string, plural: string, kind: string): Promise<boolean> => {
    try {
      for (const item of await listObjects(conn, `/apis/${group}/${version}/${plural}`, kind, `${group}/${version}`)) out.objects.push(item);
      return true;
    } catch (e) {
      const s = statusOf(e);
      if (s === 404 || s === 403) return false; // CRD not installed, or not allowed: the category is skipped
      throw unreachable(`${plural}.${group}`, e);
    }
  };
  out.certManagerAvailable = await listCustom('cert-manager.io', 'v1', 'certificates', 'Certificate');
  if (out.certManagerAvailable) {
    await listCustom('cert-manager.io', 'v1', 'issuers', 'Issuer');
    await listCustom('cert-manager.io', 'v1', 'clusterissuers', 'ClusterIssuer');
  }
  await listCustom('trust.cert-manager.io', 'v1alpha1', 'bundles', 'Bundle');

  try {
    // control-plane pods only date restarts for the rotation phase: optional
    for (const p of await listPodsSlim(conn, corePath(ns, 'pods'))) out.objects.push(p);
  } catch (e) {
    if (statusOf(e) === undefined) throw unreachable(`pods in ${ns}`, e);
  }
  if (opts.proxy) {
    try {
      for (const p of (await meshed)!) if (namespaceOf(p) !== ns) out.objects.push(p);
    } catch (e) {
      throw unreachable(`meshed pods${opts.podNamespace ? ` in ${opts.podNamespace}` : ''} (--proxy)`, e);
    }
  }
  return out;
}
