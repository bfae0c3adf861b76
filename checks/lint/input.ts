/**
 * Reading manifests for `lint`: files, directories (recursively *.yaml, *.yml, *.json),
 * stdin `-`, multi-document YAML and `kind: List`. Keeps each document's yaml Document and
 * source slice, so findings point at lines and `--fix` rewrites only what it repairs.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { load as loadYaml, CORE_SCHEMA } from 'js-yaml';
import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';
import { GuardError } from '../errors.js';
import { isRecord } from '../rules/object.js';
import type { K8sObject } from '../rules/types.js';

export interface SourceFile {
  /** path as given / found (or `-` for stdin) */
  path: string;
  text: string;
  /** [start, end) byte offsets of each document's slice of `text`, covering the whole text */
  slices: Array<[number, number]>;
  /** 0-based line of each slice's first character in `text` */
  sliceLines: number[];
  /** decoded value of each document (undefined for an empty document) */
  values: unknown[];
  /** the comment-keeping yaml Document of a slice, built on first use (line numbers, --fix) */
  document(index: number): { doc: Document.Parsed; lineCounter: LineCounter };
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

/**
 * Document boundaries: a `---` or `...` marker at column 0 always ends a document in YAML 1.2
 * (even inside a block scalar), so splitting on them is exact. Comment-only text before the
 * first `---` belongs to that document, as in every YAML parser.
 */
function splitDocuments(text: string): Array<[number, number]> {
  const starts: number[] = [0];
  const marker = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;
  let m: RegExpExecArray | null;
  let pendingEnd = false;
  while ((m = marker.exec(text)) !== null) {
    if (m[0] === '...') {
      // `...` ends a document; whatever follows starts the next one
      const nl = text.indexOf('\n', m.index);
      if (nl >= 0) {
        starts.push(nl + 1);
        pendingEnd = true;
      }
      continue;
    }
    if (pendingEnd && m.index === starts[starts.length - 1]) {
      pendingEnd = false;
      continue; // `...\n---`: the marker opens the document `...` already split off
    }
    pendingEnd = false;
    if (m.index === 0) continue;
    const last = starts[starts.length - 1] as number;
    if (last === 0 && starts.length === 1 && isPreamble(text.slice(0, m.index))) continue;
    starts.push(m.index);
  }
  return starts.map((s, i): [number, number] => [s, i + 1 < starts.length ? (starts[i + 1] as number) : text.length]);
}

/** Only comments, blank lines and directives: part of the document whose `---` follows. */
function isPreamble(chunk: string): boolean {
  return chunk.split('\n').every((l) => /^\s*(#.*)?$/.test(l) || l.startsWith('%'));
}

function countLines(text: string, upTo: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < upTo; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

export function parseSource(path: string, text: string): SourceFile {
  const display = path === '-' ? '<stdin>' : path.split(sep).join('/');
  const slices = splitDocuments(text);
  const sliceLines: number[] = [];
  let line = 0;
  let prev = 0;
  for (const [start] of slices) {
    line += countLines(text.slice(prev, start), start - prev);
    sliceLines.push(line);
    prev = start;
  }
  const values = slices.map(([start, end], i) => {
    try {
      return loadYaml(text.slice(start, end), { schema: CORE_SCHEMA, json: false });
    } catch (e) {
      const err = e as { reason?: string; mark?: { line: number }; message: string };
      const at = (sliceLines[i] as number) + (err.mark?.line ?? 0) + 1;
      throw new GuardError('LCG_YAML_SYNTAX', `${display}:${at}: ${err.reason ?? err.message.split('\n')[0]}`);
    }
  });
  const built = new Map<number, { doc: Document.Parsed; lineCounter: LineCounter }>();
  const document = (index: number) => {
    const hit = built.get(index);
    if (hit) return hit;
    const [start, end] = slices[index] as [number, number];
    // the comment-keeping parser is loaded only when a line number or a repair is wanted
    const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    const lineCounter = new yaml.LineCounter();
    const doc = yaml.parseDocument(text.slice(start, end), { lineCounter, keepSourceTokens: true, uniqueKeys: true });
    const entry = { doc, lineCounter };
    built.set(index, entry);
    return entry;
  };
  return { path, text, slices, sliceLines, values, document };
}

/** One entry per document (List documents expand to their items); empty documents are skipped. */
export function entriesOf(file: SourceFile): LintEntry[] {
  const out: LintEntry[] = [];
  file.values.forEach((value, docIndex) => {
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
