/**
 * Defensive readers over decoded Kubernetes objects: manifests are user input, so every
 * field may be missing or of the wrong type. Nothing here throws.
 */
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
  return path.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/**
 * Go's time.ParseDuration subset that cert-manager accepts (e.g. `48h0m0s`, `2160h`, `90m`, `1.5h`).
 * Returns milliseconds, or undefined when unparseable.
 */
export function parseGoDuration(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * (unit[m[2] as string] as number);
    pos = re.lastIndex;
  }
  if (pos !== v.length) return v === '0' ? 0 : undefined;
  return total;
}

export function formatDuration(ms: number): string {
  const h = ms / 3_600_000;
  return Number.isInteger(h) ? `${h}h` : `${Math.round(ms / 60_000)}m`;
}
