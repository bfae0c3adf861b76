/**
 * A small HTTPS server speaking the part of the Kubernetes API an informer uses: list (with
 * `limit`/`continue` and `fieldSelector=metadata.name=`) and watch (chunked JSON lines, `ADDED`,
 * `MODIFIED`, `DELETED`, `BOOKMARK`), over an in-memory store the test changes. Kinds can be left
 * unserved (404, a CRD not installed) or forbidden (403, RBAC). Every request is recorded, so a
 * test can assert which calls were made (and that judging made none). The end-to-end tier runs the
 * same cache against the real kube-apiserver.
 */
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { K8sObject } from '../../checks/rules/types.js';
import { makeServingCert } from './helpers.js';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
}

interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ListWatchServer {
  url: string;
  kubeconfigFile: string;
  requests: Recorded[];
  /** resources (the URL path after the group version, e.g. `clusterbundles`) answered 404 */
  unserved: Set<string>;
  /** resources answered 403 */
  forbidden: Set<string>;
  /** create or replace an object; watchers get ADDED or MODIFIED */
  put(o: K8sObject): void;
  remove(o: K8sObject): void;
  /** open watch connections, by resource */
  watchers(resource: string): number;
  close(): Promise<void>;
}

const PATH = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))\/([a-z]+)$/;

export async function startListWatchServer(): Promise<ListWatchServer> {
  const serving = await makeServingCert('listwatch.test');
  let rv = 100;
  const store = new Map<string, Map<string, StoredObject>>();
  const watches = new Map<string, Set<{ res: ServerResponse; name?: string }>>();
  const requests: Recorded[] = [];
  const unserved = new Set<string>();
  const forbidden = new Set<string>();

  const resourceOf = (o: K8sObject): string => `${String(o.kind).toLowerCase()}s`;
  const keyOf = (o: { metadata?: unknown }): string => {
    const m = o.metadata as { name?: string; namespace?: string };
    return `${m.namespace ?? ''}/${m.name ?? ''}`;
  };
  const emit = (resource: string, type: string, object: StoredObject): void => {
    for (const w of watches.get(resource) ?? []) {
      if (w.name !== undefined && object.metadata.name !== w.name) continue;
      w.res.write(JSON.stringify({ type, object }) + '\n');
    }
  };

  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const query = Object.fromEntries(url.searchParams.entries());
    requests.push({ method: req.method ?? '', path: url.pathname, query });
    const m = PATH.exec(url.pathname);
    const resource = m?.[3];
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || resource === undefined) return json(405, { kind: 'Status', code: 405, message: 'only list and watch' });
    if (unserved.has(resource)) return json(404, { kind: 'Status', code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
    if (forbidden.has(resource)) {
      return json(403, { kind: 'Status', code: 403, reason: 'Forbidden', message: `${resource} is forbidden: User "system:serviceaccount:test:webhook" cannot list resource "${resource}"` });
    }
    const name = /^metadata\.name=(.+)$/.exec(query['fieldSelector'] ?? '')?.[1];
    if (query['watch'] === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.write('');
      const w = { res, ...(name !== undefined ? { name } : {}) };
      const set = watches.get(resource) ?? new Set();
      watches.set(resource, set.add(w));
      res.on('close', () => set.delete(w));
      return undefined;
    }
    let items = [...(store.get(resource)?.values() ?? [])].filter((o) => name === undefined || o.metadata.name === name);
    const limit = Number(query['limit'] ?? 0);
    const more = limit > 0 && items.length > limit;
    if (more) items = items.slice(0, limit);
    return json(200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(rv), ...(more ? { continue: 'next-page' } : {}) }, items });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `https://localhost:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'lcg-listwatch-'));
  const kubeconfigFile = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigFile, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server: url, 'certificate-authority-data': Buffer.from(serving.certPem).toString('base64') } }],
    users: [{ name: 'test', user: { token: 'test-token' } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
    'current-context': 'test',
  }));

  return {
    url,
    kubeconfigFile,
    requests,
    unserved,
    forbidden,
    put(o) {
      const resource = resourceOf(o);
      const objects = store.get(resource) ?? new Map<string, StoredObject>();
      store.set(resource, objects);
      const stored = structuredClone(o) as StoredObject;
      stored.metadata.resourceVersion = String(++rv);
      const key = keyOf(stored);
      const type = objects.has(key) ? 'MODIFIED' : 'ADDED';
      objects.set(key, stored);
      emit(resource, type, stored);
    },
    remove(o) {
      const resource = resourceOf(o);
      const key = keyOf(o);
      const stored = store.get(resource)?.get(key);
      if (!stored) return;
      store.get(resource)?.delete(key);
      stored.metadata.resourceVersion = String(++rv);
      emit(resource, 'DELETED', stored);
    },
    watchers: (resource) => watches.get(resource)?.size ?? 0,
    async close() {
      for (const set of watches.values()) for (const w of set) w.res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
