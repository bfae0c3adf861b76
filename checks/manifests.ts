/**
 * The one manifest reader, for `lint` and for `check`/`rotate --from`: files, directories (walked
 * recursively for *.yaml, *.yml, *.json), stdin `-`, multi-document YAML, and list documents
 * flattened as kubectl flattens them. Every bound of limits.ts is held here: bytes per file,
 * documents per file, depth and expanded values per document, entries per directory walk.
 */
import { closeSync, constants, fstatSync, opendirSync, openSync, readSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';
import * as jsYaml from 'js-yaml';
import { CORE_SCHEMA, load as loadYaml, type Type } from 'js-yaml';
import { GuardError, guardError } from './errors.js';
import { ALIAS_HINT, boundsViolation, LIMITS, tooLarge } from './limits.js';
import { isRecord } from './rules/object.js';

/** How a file's bytes became `text`, so a rewrite gives back the same kind of bytes. */
export interface TextFormat {
  /** UTF-8, or Latin-1 when the bytes are not valid UTF-8 (each byte is one character, kept as is) */
  encoding: 'utf8' | 'latin1';
  /** a UTF-8 byte order mark preceded the text (it is not part of `text`) */
  bom: boolean;
}

const MANIFEST = /\.(ya?ml|json)$/i;

/**
 * Expand the CLI's PATH arguments into files in a stable order. Symbolic links to files and
 * directories are followed; a directory or file reached twice (a link loop, or a link next to its
 * target) is read once, and the walk is bounded in entries.
 */
export function expandPaths(args: readonly string[], cwd: string, flag?: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const budget = { entries: 0 };
  for (const arg of args) {
    if (arg === '-') {
      out.push('-');
      continue;
    }
    let st;
    try {
      st = statSync(resolveFrom(cwd, arg));
    } catch (e) {
      throw unreadable(flag ? `${flag} ${arg}` : arg, e);
    }
    if (st.isDirectory()) {
      out.push(...walk(resolveFrom(cwd, arg), seen, budget).map((f) => (arg.startsWith('/') ? f : relative(cwd, f) || f)));
    } else {
      // a file named twice, or named and also inside a directory named, is read (and rewritten) once
      const real = safeRealpath(resolveFrom(cwd, arg));
      if (seen.has(real)) continue;
      seen.add(real);
      out.push(arg);
    }
  }
  return out;
}

function resolveFrom(cwd: string, p: string): string {
  return p.startsWith('/') ? p : join(cwd, p);
}

function unreadable(path: string, e: unknown, missing = 'no such file or directory'): GuardError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? missing : code === 'EACCES' ? 'permission denied' : code === 'ELOOP' ? 'too many levels of symbolic links' : code ?? String(e);
  return guardError('LCG_INPUT_UNREADABLE', path, why);
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function walk(dir: string, seen: Set<string>, budget: { entries: number }): string[] {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (e) {
    throw unreadable(dir, e);
  }
  if (seen.has(real)) return [];
  seen.add(real);
  // read entry by entry, each one counted as it is read (skipped ones too), so a huge directory is
  // refused before it is held in memory
  const entries: Dirent[] = [];
  let handle;
  try {
    handle = opendirSync(dir);
  } catch (e) {
    throw unreadable(dir, e);
  }
  try {
    for (let e = handle.readSync(); e !== null; e = handle.readSync()) {
      if (++budget.entries > LIMITS.walkEntries) {
        throw guardError('LCG_INPUT_UNREADABLE', dir, `more than ${LIMITS.walkEntries} directory entries to walk`);
      }
      entries.push(e);
    }
  } catch (e) {
    throw e instanceof GuardError ? e : unreadable(dir, e);
  } finally {
    handle.closeSync();
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const st = statSync(full);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        continue; // a dangling link names nothing to lint
      }
    }
    if (isDir) out.push(...walk(full, seen, budget));
    else if (isFile && MANIFEST.test(e.name)) {
      // one file reached by two names (a link next to its target) is linted once
      const realFile = e.isSymbolicLink() ? safeRealpath(full) : join(real, e.name);
      if (seen.has(realFile)) continue;
      seen.add(realFile);
      out.push(full);
    }
  }
  return out;
}

/**
 * The bytes of one input file, bounded: opened without blocking (a FIFO would otherwise hang the
 * open), refused unless it is a regular file (or /dev/null, which is empty), and never read past
 * LIMITS.inputBytes (a file that grows while it is read). A FIFO, a socket or a device such as
 * /dev/zero is refused before any read that could block or not end.
 */
export function readInputFile(full: string, display: string): Buffer {
  let fd: number;
  try {
    fd = openSync(full, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw unreadable(display, e, 'no such file');
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw guardError('LCG_INPUT_UNREADABLE', display, 'is a directory');
    if (!st.isFile()) {
      // /dev/null (`--config /dev/null`) is the one device that is read: it is empty at once
      if (st.isCharacterDevice() && readsNothing(fd)) return Buffer.alloc(0);
      throw guardError('LCG_INPUT_UNREADABLE', display, 'not a regular file (a FIFO, socket or device); pipe it to - instead');
    }
    if (st.size > LIMITS.inputBytes) throw tooLarge(display);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, LIMITS.inputBytes + 1 - total) || 1);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > LIMITS.inputBytes) throw tooLarge(display);
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof GuardError) throw e;
    throw unreadable(display, e, 'no such file');
  } finally {
    closeSync(fd);
  }
}

/** A non-blocking read of one byte finds the end at once (/dev/null), not data or a wait. */
function readsNothing(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(1), 0, 1, null) === 0;
  } catch {
    return false; // EAGAIN: a terminal or another device that would block
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode input bytes, remembering how, so untouched bytes can be written back as they were. */
export function decodeText(bytes: Uint8Array): { text: string; format: TextFormat } {
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  try {
    return { text: UTF8.decode(body), format: { encoding: 'utf8', bom } };
  } catch {
    return { text: Buffer.from(body).toString('latin1'), format: { encoding: 'latin1', bom: false } };
  }
}

/** The bytes of `text` in the file's own encoding, BOM included. */
export function encodeText(text: string, format: TextFormat): Buffer {
  if (format.encoding === 'latin1') return Buffer.from(text, 'latin1');
  const body = Buffer.from(text, 'utf8');
  return format.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}

/**
 * Document boundaries: a `---` or `...` marker at column 0 always ends a document in YAML 1.2
 * (even inside a block scalar), so splitting on them is exact. Comment-only text before the
 * first `---` belongs to that document, as in every YAML parser.
 */
export function splitDocuments(text: string): Array<[number, number]> {
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

/** Newlines in text[from, upTo). */
function countLines(text: string, from: number, upTo: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < upTo; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The schema manifests are decoded with: YAML 1.2 core (timestamps stay strings, as the API server
 * serves them) plus `<<` merge keys, which kubectl applies, so a merged field counts as present.
 */
// js-yaml exports its built-in types at runtime; its type declarations omit them
const mergeType = (jsYaml as unknown as { types: { merge: Type } }).types.merge;
export const MANIFEST_SCHEMA = CORE_SCHEMA.extend({ implicit: [mergeType] });

/** js-yaml options shared by every manifest reader: the schema above and the depth bound. */
export const MANIFEST_LOAD_OPTIONS = Object.freeze({ schema: MANIFEST_SCHEMA, json: false, maxDepth: LIMITS.depth });

/** A manifest file decoded: its text and, per document, where it stands and what it holds. */
export interface ManifestText {
  /** path as given / found (or `-` for stdin) */
  path: string;
  text: string;
  format: TextFormat;
  /** [start, end) offsets of each document's slice of `text`, covering the whole text */
  slices: Array<[number, number]>;
  /** 0-based line of each slice's first character in `text` */
  sliceLines: number[];
  /** decoded value of each document (undefined for an empty document) */
  values: unknown[];
}

/** How a path is named in messages: stdin as `<stdin>`, separators as `/`. */
export function displayPath(path: string): string {
  return path === '-' ? '<stdin>' : path.split(sep).join('/');
}

/**
 * Decode every document of `text` with the manifest schema, refusing more documents than the bound
 * (before any is decoded) and any document past the depth or expanded-size bound.
 */
export function decodeManifest(path: string, text: string, format: TextFormat = { encoding: 'utf8', bom: false }): ManifestText {
  const display = displayPath(path);
  const slices = splitDocuments(text);
  if (slices.length > LIMITS.documents) {
    throw guardError('LCG_INPUT_TOO_LARGE', display, `more than ${LIMITS.documents} YAML documents`);
  }
  const sliceLines: number[] = [];
  let line = 0;
  let prev = 0;
  for (const [start] of slices) {
    line += countLines(text, prev, start);
    sliceLines.push(line);
    prev = start;
  }
  const values = slices.map(([start, end], i) => {
    const doc = text.slice(start, end);
    let value: unknown;
    try {
      value = loadYaml(doc, MANIFEST_LOAD_OPTIONS);
    } catch (e) {
      const err = e as { reason?: string; mark?: { line: number }; message: string };
      const at = (sliceLines[i] as number) + (err.mark?.line ?? 0) + 1;
      throw guardError('LCG_YAML_SYNTAX', `${display}:${at}`, err.reason ?? err.message.split('\n')[0] ?? '');
    }
    const broken = mayBreakBounds(doc) ? boundsViolation(value) : undefined;
    if (broken) throw guardError('LCG_INPUT_TOO_LARGE', `${display}:${(sliceLines[i] as number) + 1}`, `document ${i} is ${broken}${broken.startsWith('more') ? ALIAS_HINT : ''}`);
    return value;
  });
  return { path, text, format, slices, sliceLines, values };
}

/**
 * Whether a decoded document could break the depth or size bound. Without an alias (`*`) every value
 * takes at least one character of the text and js-yaml's maxDepth (LIMITS.depth, counting scalars
 * too, so stricter than boundsViolation) has held the depth: only a document with an alias, or one
 * longer than the value bound, needs walking.
 */
function mayBreakBounds(doc: string): boolean {
  return doc.length > LIMITS.nodes || doc.includes('*');
}

/** The text of one input (`-` is the stdin bytes given), read through the bounded reader. */
export function readManifestText(path: string, cwd: string, stdin?: Uint8Array, flag?: string): { text: string; format: TextFormat } {
  const bytes = path === '-' ? (stdin ?? new Uint8Array()) : readInputFile(resolveFrom(cwd, path), flag ? `${flag} ${path}` : path);
  return decodeText(bytes);
}

/** One object of a manifest: a document, or an item of a list document. */
export interface ManifestItem {
  /** `<path>#<document index>`, plus `.items[<i>]` for each list the object sits in */
  source: string;
  docIndex: number;
  /** path inside the document to this object (['items', 3] for a list item, [] otherwise) */
  prefix: Array<string | number>;
  /** the decoded object, or the non-object value a document held */
  value: unknown;
}

/**
 * A list document as kubectl reads one: `v1/List`, or any kind ending in `List` (`SecretList`, what
 * `kubectl get` writes for one kind), with an `items` array. Its items are the objects, lists in lists
 * flattened too, as kubectl's FlattenListVisitor does.
 */
export function isListDocument(v: unknown): v is { kind: string; items: unknown[] } {
  return isRecord(v) && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
}

/** Every object of the file in order, list documents expanded to their items; empty documents skipped. */
export function manifestItems(file: ManifestText): ManifestItem[] {
  const out: ManifestItem[] = [];
  const visit = (value: unknown, docIndex: number, source: string, prefix: Array<string | number>): void => {
    if (!isListDocument(value)) {
      out.push({ source, docIndex, prefix, value });
      return;
    }
    // the depth bound already held on the document bounds how deep lists nest
    value.items.forEach((item, i) => visit(item, docIndex, `${source}.items[${i}]`, [...prefix, 'items', i]));
  };
  file.values.forEach((value, docIndex) => {
    if (value !== null && value !== undefined) visit(value, docIndex, `${file.path}#${docIndex}`, []);
  });
  return out;
}

/**
 * The documents and objects of one run, bounded across its files (each file is bounded on its own
 * too); `reader` names who reads them in the message (`lint`, `--from`).
 */
export function runBounds(reader: string): { documents(file: ManifestText): void; object(file: ManifestText): void } {
  let documents = 0;
  let objects = 0;
  return {
    documents(file) {
      documents += file.slices.length;
      if (documents > LIMITS.documents) throw guardError('LCG_INPUT_TOO_LARGE', displayPath(file.path), `goes past the ${LIMITS.documents} YAML documents ${reader} reads in one run`);
    },
    object(file) {
      if (++objects > LIMITS.documents) throw guardError('LCG_INPUT_TOO_LARGE', displayPath(file.path), `goes past the ${LIMITS.documents} objects ${reader} reads in one run`);
    },
  };
}
