/**
 * Seeded, structure-aware mutations of admission reviews and manifests, shared by the fuzz tests
 * (bounded in count, part of `npm test`) and the long run (`npm run fuzz`, test/bench/fuzz.bench.ts).
 * Every case is reproducible from (seed, index). Mutations follow the shapes the rules read
 * (spec, privateKey, sources, issuerRef...) and the hostile inputs of issue 12: deep nesting,
 * wrong container types, huge strings and lists, private keys in inLine sources, unbounded kinds,
 * YAML aliases, merge keys, encodings and line endings. A few are byte-level (truncation, a flipped
 * byte) so the parsers' own error paths are reached too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { K8sObject } from '../../checks/rules/types.js';
import { SEEDS_DIR } from '../webhook/helpers.js';

/** mulberry32: small, fast, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** The Linkerd objects of every seed fixture (Certificates, Bundles, Issuers...). */
export function seedCorpus(): K8sObject[] {
  const out: K8sObject[] = [];
  for (const f of readdirSync(SEEDS_DIR).filter((n) => n.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(join(SEEDS_DIR, f), 'utf8'))) {
      const v = d.toJS() as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push(v as K8sObject);
    }
  }
  return out;
}

/** Text spliced in after JSON.stringify: a value nested `n` deep (JSON.stringify cannot write one). */
const DEEP = (n: number, open: string, close: string, leaf: string): string => `${open.repeat(n)}${leaf}${close.repeat(n)}`;

// a throwaway key-shaped block: it is not a real key (the tests make real ones where they need them)
const KEY_LIKE = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIP7fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzoAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n';

const FIELDS = [
  ['spec'], ['spec', 'isCA'], ['spec', 'secretName'], ['spec', 'duration'], ['spec', 'renewBefore'], ['spec', 'commonName'],
  ['spec', 'dnsNames'], ['spec', 'usages'], ['spec', 'privateKey'], ['spec', 'privateKey', 'algorithm'], ['spec', 'privateKey', 'size'],
  ['spec', 'privateKey', 'rotationPolicy'], ['spec', 'issuerRef'], ['spec', 'issuerRef', 'kind'], ['spec', 'signatureAlgorithm'],
  ['spec', 'sources'], ['spec', 'target'], ['spec', 'target', 'configMap', 'key'], ['spec', 'target', 'namespaceSelector'],
  ['metadata'], ['metadata', 'name'], ['metadata', 'namespace'], ['metadata', 'labels'], ['apiVersion'], ['kind'],
] as const;

/** A hostile value for a field, or a placeholder to splice deep nesting into the serialized text. */
function hostile(r: Rand, deep: string[]): unknown {
  switch (int(r, 0, 13)) {
    case 0: {
      const n = pick(r, [50, 101, 1000, 5000, 20000]);
      deep.push(pick(r, [DEEP(n, '[', ']', '"x"'), DEEP(n, '{"a":', '}', '1')]));
      return `\u0000deep${deep.length - 1}`;
    }
    case 1:
      return [];
    case 2:
      return {};
    case 3:
      return pick(r, [null, true, false, 0, -1, 1e308, 256, 384, 4096]);
    case 4:
      return 'x'.repeat(pick(r, [300, 5000, 200_000]));
    case 5:
      return pick(r, ['Always', 'Never', 'ECDSA', 'RSA', 'Ed25519', '48h', '0', '1.5h', 'h', 'tls.key', 'ca.crt', '']);
    case 6:
      return '\u0000\u001b[31m\r\n\u2028\ud800 é ' + 'ü'.repeat(int(r, 1, 300));
    case 7:
      return Array.from({ length: pick(r, [10, 1000, 5000]) }, (_, i) => ({ secret: { name: `s${i}`, key: 'tls.key' } }));
    case 8:
      return [{ inLine: KEY_LIKE }, { secret: { name: 'linkerd-trust-anchor', key: 'tls.crt' } }];
    case 9:
      return Array.from({ length: pick(r, [3, 500]) }, (_, i) => `n${i}.${'d'.repeat(int(r, 1, 60))}`);
    case 10:
      return { kind: pick(r, ['Issuer', 'ClusterIssuer', 'Vault', 7]), name: pick(r, ['linkerd-identity-issuer', '', 'x'.repeat(1000)]) };
    case 11:
      return [[[[]]], { '': { '': [] } }];
    case 12:
      return { matchLabels: { 'linkerd.io/is-control-plane': pick(r, ['true', true, 1, null]) } };
    default:
      return 'A'.repeat(int(r, 1, 64));
  }
}

function setPath(o: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur: Record<string, unknown> = o;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i] as string;
    if (typeof cur[k] !== 'object' || cur[k] === null || Array.isArray(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

export interface FuzzCase {
  /** what was done, for a failure message */
  note: string;
  body: Buffer;
}

const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;

/** Case `index` of the review fuzz for `seed`. */
export function reviewCase(corpus: readonly K8sObject[], seed: number, index: number): FuzzCase {
  const r = rng(seed * 1_000_003 + index);
  const object = structuredClone(pick(r, corpus)) as Record<string, unknown>;
  const deep: string[] = [];
  const notes: string[] = [];
  const mutations = int(r, 1, 4);
  for (let m = 0; m < mutations; m++) {
    const path = pick(r, FIELDS);
    const value = r() < 0.12 ? undefined : hostile(r, deep);
    setPath(object, path, value);
    notes.push(`${path.join('.')}=${value === undefined ? 'deleted' : typeof value === 'string' ? `string(${value.length})` : Array.isArray(value) ? `list(${value.length})` : typeof value}`);
  }
  const meta = (typeof object.metadata === 'object' && object.metadata !== null ? object.metadata : {}) as Record<string, unknown>;
  const operation = r() < 0.85 ? pick(r, ['CREATE', 'UPDATE'] as const) : pick(r, OPERATIONS);
  const kind = r() < 0.15 ? `Kind${index}${'k'.repeat(int(r, 0, 200))}` : String(object.kind ?? 'Certificate');
  const review: Record<string, unknown> = {
    apiVersion: r() < 0.97 ? 'admission.k8s.io/v1' : pick(r, ['admission.k8s.io/v2', 7, '']),
    kind: 'AdmissionReview',
    request: {
      uid: `fuzz-${seed}-${index}`,
      kind: { group: 'cert-manager.io', version: 'v1', kind },
      resource: { group: 'cert-manager.io', version: 'v1', resource: 'certificates' },
      ...(typeof meta.name === 'string' ? { name: meta.name } : {}),
      ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : r() < 0.3 ? { namespace: 'linkerd' } : {}),
      operation,
      object: operation === 'DELETE' ? null : r() < 0.03 ? pick(r, [[], 'x', 1]) : object,
      oldObject: operation === 'UPDATE' ? (r() < 0.5 ? structuredClone(object) : pick(r, corpus)) : null,
      dryRun: r() < 0.1,
    },
  };
  if (kind !== object.kind) notes.push(`kind=${kind.slice(0, 12)}...`);
  let text = JSON.stringify(review);
  deep.forEach((d, i) => (text = text.split(JSON.stringify(`\u0000deep${i}`)).join(d)));
  let body = Buffer.from(text);
  // byte-level damage now and then: the JSON parser's paths
  const damage = r();
  if (damage < 0.03) {
    body = body.subarray(0, int(r, 0, body.length - 1));
    notes.push('truncated');
  } else if (damage < 0.05) {
    body = Buffer.from(body);
    body[int(r, 0, body.length - 1)] = int(r, 0, 255);
    notes.push('flipped byte');
  } else if (damage < 0.06) {
    body = Buffer.from(`[${text},${text}]`);
    notes.push('array of reviews');
  }
  return { note: notes.join(', '), body };
}

/** Case `index` of the manifest fuzz for `seed`: YAML (or JSON) bytes for `lint`. */
export function manifestCase(corpus: readonly K8sObject[], seed: number, index: number): { note: string; bytes: Buffer } {
  const r = rng(seed * 7_000_003 + index);
  const docs = Array.from({ length: int(r, 1, 4) }, () => structuredClone(pick(r, corpus)) as Record<string, unknown>);
  const notes: string[] = [];
  const deep: string[] = [];
  for (const doc of docs) {
    for (let m = int(r, 0, 3); m > 0; m--) {
      const path = pick(r, FIELDS);
      const value = r() < 0.12 ? undefined : hostile(r, deep);
      // deep values are spliced as flow YAML; keep them shallow enough to be worth reading
      setPath(doc, path, value);
      notes.push(path.join('.'));
    }
  }
  let text = docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
  deep.forEach((d, i) => (text = text.split(JSON.stringify(`\u0000deep${i}`)).join(d).split(`"\\0deep${i}"`).join(d)));
  switch (int(r, 0, 11)) {
    case 0: {
      // an alias bomb in a field the rules read
      let bomb = 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: linkerd-identity-issuer, namespace: linkerd}\nspec:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
      for (let i = 1; i < 10; i++) bomb += `  a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
      text += `---\n${bomb}  dnsNames: *a9\n`;
      notes.push('alias bomb');
      break;
    }
    case 1: {
      // a List whose items share a spec by alias and merge key
      text = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: cert-manager.io/v1\n  kind: Certificate\n  metadata: {name: linkerd-trust-anchor, namespace: cert-manager}\n  spec: &spec\n    isCA: ${pick(r, ['true', 'false'])}\n    secretName: linkerd-trust-anchor\n    privateKey: {algorithm: ECDSA}\n- apiVersion: cert-manager.io/v1\n  kind: Certificate\n  metadata: {name: linkerd-previous-anchor, namespace: cert-manager}\n  spec: *spec\n- apiVersion: cert-manager.io/v1\n  kind: Certificate\n  metadata: {name: linkerd-identity-issuer, namespace: linkerd}\n  spec:\n    <<: *spec\n    secretName: linkerd-identity-issuer\n---\n${text}`;
      notes.push('aliases and merge keys');
      break;
    }
    case 2:
      text = text.replace(/\n/g, '\r\n');
      notes.push('CRLF');
      break;
    case 3:
      text = `# caf\u00e9 propri\u00e9taire\n${text}`;
      notes.push('latin-1');
      return { note: notes.join(', '), bytes: Buffer.from(text, 'latin1') };
    case 4:
      notes.push('BOM');
      return { note: notes.join(', '), bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]) };
    case 5:
      text = text.slice(0, int(r, 0, text.length));
      notes.push('truncated');
      break;
    case 6:
      text = text.replace(/^( +)/m, '\t$1');
      notes.push('tab indent');
      break;
    case 7:
      text += `---\n${'---\n'.repeat(int(r, 1, 2000))}`;
      notes.push('many empty documents');
      break;
    case 8:
      text = text.replace(/^spec:/m, 'spec:\n  isCA: true\n  isCA: false');
      notes.push('duplicate key');
      break;
    default:
      break;
  }
  return { note: notes.join(', ') || 'seed objects', bytes: Buffer.from(text) };
}
