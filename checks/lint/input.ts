/**
 * Manifests as `lint` reads them: the one manifest reader's documents (manifests.ts), plus each
 * document's comment-keeping yaml Document, built on first use, so findings point at lines and
 * `--fix` rewrites only what it repairs.
 */
import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';
import { decodeManifest, manifestItems, readManifestText, type ManifestItem, type ManifestText, type TextFormat } from '../manifests.js';
import { isRecord } from '../rules/object.js';
import type { K8sObject } from '../rules/types.js';

export interface SourceFile extends ManifestText {
  /** the comment-keeping yaml Document of a slice, built on first use (line numbers, --fix) */
  document(index: number): { doc: Document.Parsed; lineCounter: LineCounter };
  /** drop the built Document of a slice (--fix is done with it), so memory stays flat */
  release(index: number): void;
}

export interface LintEntry extends ManifestItem {
  file: SourceFile;
}

let yamlLib: typeof import('yaml') | undefined;
/** The comment-keeping parser, loaded only when a line number or a repair is wanted (once). */
function yamlModule(): typeof import('yaml') {
  yamlLib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlLib;
}

export function parseSource(path: string, text: string, format?: TextFormat): SourceFile {
  const manifest = decodeManifest(path, text, format);
  const built = new Map<number, { doc: Document.Parsed; lineCounter: LineCounter }>();
  const document = (index: number) => {
    const hit = built.get(index);
    if (hit) return hit;
    const [start, end] = manifest.slices[index] as [number, number];
    const yaml = yamlModule();
    const lineCounter = new yaml.LineCounter();
    const doc = yaml.parseDocument(text.slice(start, end), { lineCounter, keepSourceTokens: true, uniqueKeys: true, merge: true });
    const entry = { doc, lineCounter };
    built.set(index, entry);
    return entry;
  };
  return { ...manifest, document, release: (index) => void built.delete(index) };
}

export function readSource(path: string, cwd: string, stdin?: Uint8Array): SourceFile {
  const { text, format } = readManifestText(path, cwd, stdin);
  return parseSource(path, text, format);
}

/** One entry per object (list documents expand to their items); empty documents are skipped. */
export function entriesOf(file: SourceFile): LintEntry[] {
  return manifestItems(file).map((item) => ({ ...item, file }));
}

export function asObject(value: unknown): K8sObject | undefined {
  return isRecord(value) ? (value as K8sObject) : undefined;
}

/**
 * 1-based line and column of a field path in the document, or of its nearest existing
 * ancestor when the field is absent (e.g. a missing `spec.isCA` points at `spec`).
 */
export function locate(entry: LintEntry, dotted: string): { line: number; column: number } {
  const { doc, lineCounter } = entry.file.document(entry.docIndex);
  const base = entry.file.sliceLines[entry.docIndex] ?? 0;
  const path = [...entry.prefix, ...splitDotted(dotted)];
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && node.range) {
      // For a present key, point at the key line rather than the value's first token.
      const pair = n > 0 ? findPairKeyOffset(doc, path.slice(0, n)) : undefined;
      const pos = lineCounter.linePos(pair ?? node.range[0]);
      return { line: base + pos.line, column: pos.col };
    }
  }
  return { line: base + 1, column: 1 };
}

function findPairKeyOffset(doc: Document.Parsed | undefined, path: Array<string | number>): number | undefined {
  if (!doc) return undefined;
  const parent = doc.getIn(path.slice(0, -1), true) as { items?: Array<{ key?: { value?: unknown; range?: [number, number, number] } }> } | undefined;
  const last = path[path.length - 1];
  if (!parent || !Array.isArray(parent.items) || typeof last !== 'string') return undefined;
  const pair = parent.items.find((p) => p.key?.value === last);
  return pair?.key?.range?.[0];
}

/** `spec.sources[1].secret.key` → ['spec','sources',1,'secret','key'] */
export function splitDotted(dotted: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of dotted.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}
