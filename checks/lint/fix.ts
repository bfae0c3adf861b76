/**
 * `--fix`: apply each object's repair to its yaml Document, so comments and key order
 * survive; documents that need no repair are emitted byte for byte from the source.
 */
import { isAlias, isCollection, isMap, isScalar, isSeq, visit, type Document, type Node, type YAMLMap } from 'yaml';
import { pointerPath } from '../rules/object.js';
import type { PatchOp } from '../rules/types.js';
import type { SourceFile } from './input.js';
import type { LintedObject } from './run.js';

/** A copy of a node with every anchor dropped, so no later alias changes meaning. */
function unanchored(node: Node): Node {
  const copy = node.clone() as Node;
  visit(copy, (_key, n) => {
    if (isCollection(n) || isScalar(n)) delete (n as { anchor?: string }).anchor;
  });
  delete (copy as { anchor?: string }).anchor;
  return copy;
}

/** The value `key` takes from a map's `<<` merge keys (the first source that has it wins). */
function mergedValue(doc: Document, map: YAMLMap, key: string | number): Node | undefined {
  for (const pair of map.items) {
    // with `merge: true` the yaml parser gives a merge key the value Symbol(<<)
    if (!isScalar(pair.key) || (pair.key.value !== '<<' && String(pair.key.value) !== 'Symbol(<<)')) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const src of sources) {
      const resolved = isAlias(src) ? src.resolve(doc) : src;
      if (isMap(resolved)) {
        const hit = resolved.get(key, true) as Node | undefined;
        if (hit !== undefined) return isAlias(hit) ? (hit.resolve(doc) as Node | undefined) : hit;
        const deeper = mergedValue(doc, resolved, key);
        if (deeper !== undefined) return deeper;
      }
    }
  }
  return undefined;
}

/**
 * Make every collection on `path` (but the last step) this document's own: an alias on the way is
 * replaced by a copy of what it points at (editing the anchor would change every other use), and a
 * field that only comes from a `<<` merge is copied in before it is edited, keeping its other fields.
 */
function ownPath(doc: Document, path: Array<string | number>): void {
  let parent: unknown = doc.contents;
  for (let i = 0; i < path.length - 1; i++) {
    if (!isCollection(parent)) return;
    const key = path[i] as string | number;
    let node = parent.get(key, true) as Node | undefined;
    if (node === undefined && isMap(parent)) {
      const merged = mergedValue(doc, parent, key);
      if (merged !== undefined && isCollection(merged)) {
        node = unanchored(merged);
        parent.set(doc.createNode(key), node);
      }
    }
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) return;
      node = unanchored(target as Node);
      parent.set(key, node);
    }
    parent = node;
  }
}

/** Apply RFC 6902 ops to a yaml Document in place. */
export function applyToDocument(doc: Document, prefix: Array<string | number>, ops: readonly PatchOp[]): void {
  for (const op of ops) {
    const path = [...prefix, ...pointerPath(op.path)];
    ownPath(doc, path);
    const last = path[path.length - 1];
    if (op.op === 'remove') {
      doc.deleteIn(path);
      continue;
    }
    if (last === '-') {
      doc.addIn(path.slice(0, -1), doc.createNode(op.value));
      continue;
    }
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    if (op.op === 'add' && isSeq(parent) && typeof last === 'number') {
      parent.items.splice(last, 0, doc.createNode(op.value));
      continue;
    }
    const value = doc.createNode(op.value);
    if (isMap(value)) value.flow = false;
    doc.setIn(path, value);
  }
}

/** The repaired text of one source file; unchanged when no object in it needs a repair. */
export function fixSource(file: SourceFile, results: readonly LintedObject[]): { text: string; changed: boolean } {
  const byDoc = new Map<number, LintedObject[]>();
  for (const r of results) {
    if (r.entry.file !== file || r.patch.length === 0) continue;
    const list = byDoc.get(r.entry.docIndex) ?? [];
    list.push(r);
    byDoc.set(r.entry.docIndex, list);
  }
  if (byDoc.size === 0) return { text: file.text, changed: false };
  // once per file: over every document it made --fix quadratic in the number of documents
  const indentSeq = sequencesIndented(file.text);
  const parts: string[] = [];
  file.slices.forEach(([start, end], i) => {
    const original = file.text.slice(start, end);
    const fixes = byDoc.get(i);
    if (!fixes) {
      parts.push(original);
      return;
    }
    const { doc } = file.document(i);
    for (const r of fixes) applyToDocument(doc, r.entry.prefix, r.patch);
    let out = doc.toString({ lineWidth: 0, indentSeq });
    file.release(i);
    if (i > 0 && !out.startsWith('---')) out = '---\n' + out;
    // keep the blank lines that separated this document from the next
    const trailing = /(?:\r?\n)*$/.exec(original)?.[0] ?? '\n';
    out = out.replace(/\n*$/, '');
    // the yaml printer writes LF; a CRLF document gets CRLF back on every line
    if (original.includes('\r\n')) out = out.replace(/\r?\n/g, '\r\n');
    out += trailing.length > 0 ? trailing : original.includes('\r\n') ? '\r\n' : '\n';
    parts.push(out);
  });
  return { text: parts.join(''), changed: true };
}

/** Keep the file's own list style: `key:\n- item` (kubectl, many guides) or `key:\n  - item`. */
function sequencesIndented(text: string): boolean {
  const flat = /^( *)[^\s#-][^\n]*:[ \t]*\n\1- /m.test(text);
  const indented = /^( *)[^\s#-][^\n]*:[ \t]*\n\1 +- /m.test(text);
  return indented || !flat;
}
