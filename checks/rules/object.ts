/**
 * Defensive readers over decoded Kubernetes objects: manifests are user input, so every
 * field may be missing or of the wrong type. Nothing here throws.
 */
import fjp from 'fast-json-patch';
import type { K8sObject } from './types.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Read a nested field by path segments; undefined when any step is missing. */
export function at(root: unknown, ...path: Array<string | number>): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg];
    } else {
      if (!isRecord(cur)) return undefined;
      cur = cur[seg];
    }
  }
  return cur;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function strings(v: unknown): string[] {
  return arr(v).filter((x): x is string => typeof x === 'string');
}

export function apiGroup(o: K8sObject): string {
  const av = str(o.apiVersion) ?? '';
  const i = av.indexOf('/');
  return i < 0 ? '' : av.slice(0, i);
}

export function apiVersionOnly(o: K8sObject): string {
  const av = str(o.apiVersion) ?? '';
  const i = av.indexOf('/');
  return i < 0 ? av : av.slice(i + 1);
}

export function kindOf(o: K8sObject): string | undefined {
  return str(o.kind);
}

export function nameOf(o: K8sObject): string | undefined {
  return str(at(o, 'metadata', 'name'));
}

export function namespaceOf(o: K8sObject): string | undefined {
  return str(at(o, 'metadata', 'namespace'));
}

export function labelsOf(o: K8sObject): Record<string, unknown> {
  const l = at(o, 'metadata', 'labels');
  return isRecord(l) ? l : {};
}

/** cert-manager's groups, current and legacy (certmanager.k8s.io before v0.11). */
export const CERT_MANAGER_GROUPS = new Set(['cert-manager.io', 'certmanager.k8s.io']);

export function isCertificate(o: K8sObject): boolean {
  return kindOf(o) === 'Certificate' && CERT_MANAGER_GROUPS.has(apiGroup(o));
}

export function isIssuer(o: K8sObject): boolean {
  return kindOf(o) === 'Issuer' && CERT_MANAGER_GROUPS.has(apiGroup(o));
}

export function isClusterIssuer(o: K8sObject): boolean {
  return kindOf(o) === 'ClusterIssuer' && CERT_MANAGER_GROUPS.has(apiGroup(o));
}

/** An issuerRef to cert-manager's own issuers (group cert-manager.io, or none); external issuers resolve their own way. */
export function refersToCertManager(cert: unknown): boolean {
  const group = str(at(cert, 'spec', 'issuerRef', 'group'));
  return group === undefined || group === '' || group === 'cert-manager.io';
}

/** trust-manager's Bundle (trust.cert-manager.io/v1alpha1). */
export function isBundle(o: K8sObject): boolean {
  return kindOf(o) === 'Bundle' && apiGroup(o) === 'trust.cert-manager.io';
}

/** trust-manager's successor API (trust-manager.io/v1alpha2), defined but not yet served by default. */
export function isClusterBundle(o: K8sObject): boolean {
  return kindOf(o) === 'ClusterBundle' && apiGroup(o) === 'trust-manager.io';
}

export function isNamespace(o: K8sObject): boolean {
  return kindOf(o) === 'Namespace' && (str(o.apiVersion) ?? '') === 'v1';
}

export interface BundleSource {
  index: number;
  kind: 'secret' | 'configMap' | 'inLine' | 'defaultCAs';
  name?: string;
  key?: string;
  includeAllKeys: boolean;
  /** field path of this source, e.g. ['spec','sources',1,'secret'] */
  path: Array<string | number>;
}

/** Sources of a Bundle or ClusterBundle, in one shape. */
export function bundleSources(o: K8sObject): BundleSource[] {
  const out: BundleSource[] = [];
  if (isClusterBundle(o)) {
    arr(at(o, 'spec', 'sourceRefs')).forEach((s, index) => {
      if (!isRecord(s)) return;
      const kind = s.kind === 'Secret' ? 'secret' : 'configMap';
      const key = str(s.key);
      out.push({ index, kind, ...(str(s.name) !== undefined ? { name: str(s.name) as string } : {}), ...(key !== undefined ? { key } : {}), includeAllKeys: key === '*', path: ['spec', 'sourceRefs', index] });
    });
    if (str(at(o, 'spec', 'defaultCAs', 'provider')) === 'System') out.push({ index: -1, kind: 'defaultCAs', includeAllKeys: false, path: ['spec', 'defaultCAs', 'provider'] });
    if (at(o, 'spec', 'inLineCAs') !== undefined) out.push({ index: -1, kind: 'inLine', includeAllKeys: false, path: ['spec', 'inLineCAs'] });
    return out;
  }
  arr(at(o, 'spec', 'sources')).forEach((s, index) => {
    if (!isRecord(s)) return;
    for (const kind of ['secret', 'configMap'] as const) {
      const ref = s[kind];
      if (!isRecord(ref)) continue;
      const name = str(ref.name);
      const key = str(ref.key);
      out.push({ index, kind, ...(name !== undefined ? { name } : {}), ...(key !== undefined ? { key } : {}), includeAllKeys: ref.includeAllKeys === true, path: ['spec', 'sources', index, kind] });
    }
    if (s.inLine !== undefined) out.push({ index, kind: 'inLine', includeAllKeys: false, path: ['spec', 'sources', index, 'inLine'] });
    if (s.useDefaultCAs === true) out.push({ index, kind: 'defaultCAs', includeAllKeys: false, path: ['spec', 'sources', index, 'useDefaultCAs'] });
  });
  return out;
}

/** ConfigMap target keys of a Bundle (`target.configMap.key`) or ClusterBundle (`target.configMap.data[].key`). */
export function bundleTargetKeys(object: K8sObject): string[] {
  const cm = at(object, 'spec', 'target', 'configMap');
  if (!isRecord(cm)) return [];
  const keys: string[] = [];
  if (typeof cm.key === 'string') keys.push(cm.key);
  for (const d of arr(cm.data)) if (isRecord(d) && typeof d.key === 'string') keys.push(d.key);
  return keys;
}

/** `spec.sources[1].secret.key` from segments. */
export function dotted(path: Array<string | number>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** RFC 6901 pointer from segments. */
export function pointer(path: Array<string | number>): string {
  return path.map((s) => '/' + fjp.escapePathComponent(String(s))).join('');
}

/**
 * Segments from an RFC 6901 pointer, unescaped, array indices as numbers
 * (`/metadata/labels/a~1b` -> metadata, labels, a/b; `/spec/usages/0` -> spec, usages, 0); `''` is the root.
 */
export function pointerPath(ptr: string): Array<string | number> {
  if (ptr === '') return [];
  return ptr.slice(1).split('/').map((s) => (/^\d+$/.test(s) ? Number(s) : s.includes('~') ? fjp.unescapePathComponent(s) : s));
}

/**
 * Go's time.ParseDuration subset that cert-manager accepts (e.g. `48h0m0s`, `2160h`, `90m`, `1.5h`).
 * Returns milliseconds, or undefined when unparseable.
 */
export function parseGoDuration(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  return parseGoDurationText(v);
}
const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseGoDurationText(v: string): number | undefined {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    pos = re.lastIndex;
  }
  if (pos !== v.length) return v === '0' ? 0 : undefined;
  return total;
}

export function formatDuration(ms: number): string {
  const h = ms / 3_600_000;
  return Number.isInteger(h) ? `${h}h` : `${Math.round(ms / 60_000)}m`;
}
