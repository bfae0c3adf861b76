/**
 * Reading manifests for `lint`: files, directories (recursively *.yaml, *.yml, *.json),
 * stdin `-`, multi-document YAML and `kind: List`. Keeps each document's yaml Document and
 * source slice, so findings point at lines and `--fix` rewrites only what it repairs.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { GuardError } from '../errors.js';
import { isRecord } from '../rules/object.js';
import type { K8sObject } from '../rules/types.js';

export interface SourceFile {
  /** path as given / found (or `-` for stdin) */
  path: string;
  text: string;
  lineCounter: LineCounter;
  documents: Document.Parsed[];
  /** [start, end) byte offsets of each document's slice of `text`, covering the whole text */
  slices: Array<[number, number]>;
}

export interface LintEntry {
  /** `<path>#<document index>`, plus `.items[<i>]` for an item of a `kind: List` */
  source: string;
  file: SourceFile;
  docIndex: number;
  /** path inside the document to this object (['items', 3] for a List item, [] otherwise) */
  prefix: Array<string | number>;
  /** the decoded object, or the non-object value a document held */
  value: unknown;
}

const MANIFEST = /\.(ya?ml|json)$/i;

/** Expand the CLI's PATH arguments into files in a stable order. */
export function expandPaths(args: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (arg === '-') {
      out.push('-');
      continue;
    }
    let st;
    try {
      st = statSync(join(cwd, arg) === arg ? arg : resolveFrom(cwd, arg));
    } catch (e) {
      throw new GuardError('LCG_INPUT_UNREADABLE', `cannot read ${arg}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (st.isDirectory()) out.push(...walk(resolveFrom(cwd, arg)).map((f) => (arg.startsWith('/') ? f : relative(cwd, f) || f)));
    else out.push(arg);
  }
  return out;
}

function resolveFrom(cwd: string, p: string): string {
  return p.startsWith('/') ? p : join(cwd, p);
}

function walk(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full));
    else if (e.isFile() && MANIFEST.test(e.name)) out.push(full);
  }
  return out;
}

export function readSource(path: string, cwd: string, stdinText?: string): SourceFile {
  let text: string;
  if (path === '-') {
    text = stdinText ?? '';
  } else {
    try {
      text = readFileSync(resolveFrom(cwd, path), 'utf8');
    } catch (e) {
      throw new GuardError('LCG_INPUT_UNREADABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  return parseSource(path, text);
}

export function parseSource(path: string, text: string): SourceFile {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, keepSourceTokens: true, uniqueKeys: true, prettyErrors: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  for (const d of documents) {
    const err = d.errors[0];
    if (err) {
      const line = lineCounter.linePos(err.pos[0]).line;
      const reason = err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'invalid YAML';
      throw new GuardError('LCG_YAML_SYNTAX', `${path === '-' ? '<stdin>' : path.split(sep).join('/')}:${line}: ${reason}`);
    }
  }
  const starts = documents.map((d, i) => (i === 0 ? 0 : d.range[0]));
  const slices = starts.map((s, i): [number, number] => [s, i + 1 < starts.length ? (starts[i + 1] as number) : text.length]);
  return { path, text, lineCounter, documents, slices };
}

/** One entry per document (List documents expand to their items); empty documents are skipped. */
export function entriesOf(file: SourceFile): LintEntry[] {
  const out: LintEntry[] = [];
  file.documents.forEach((doc, docIndex) => {
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    const source = `${file.path}#${docIndex}`;
    if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) {
      value.items.forEach((item, i) => out.push({ source: `${source}.items[${i}]`, file, docIndex, prefix: ['items', i], value: item }));
      return;
    }
    out.push({ source, file, docIndex, prefix: [], value });
  });
  return out;
}

export function asObject(value: unknown): K8sObject | undefined {
  return isRecord(value) ? (value as K8sObject) : undefined;
}

/**
 * 1-based line and column of a field path in the document, or of its nearest existing
 * ancestor when the field is absent (e.g. a missing `spec.isCA` points at `spec`).
 */
export function locate(entry: LintEntry, dotted: string): { line: number; column: number } {
  const doc = entry.file.documents[entry.docIndex];
  const path = [...entry.prefix, ...splitDotted(dotted)];
  for (let n = path.length; n >= 0; n--) {
    const node = doc?.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && node.range) {
      // For a present key, point at the key line rather than the value's first token.
      const pair = n > 0 ? findPairKeyOffset(doc, path.slice(0, n)) : undefined;
      const pos = entry.file.lineCounter.linePos(pair ?? node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  const start = entry.file.slices[entry.docIndex]?.[0] ?? 0;
  const pos = entry.file.lineCounter.linePos(start);
  return { line: pos.line, column: pos.col };
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
