/**
 * `--fix`: apply each object's repair to its yaml Document, so comments and key order
 * survive; documents that need no repair are emitted byte for byte from the source.
 */
import { isMap, isSeq, type Document } from 'yaml';
import type { PatchOp } from '../rules/types.js';
import type { SourceFile } from './input.js';
import type { LintedObject } from './run.js';

function segments(pointer: string): Array<string | number> {
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Apply RFC 6902 ops to a yaml Document in place. */
export function applyToDocument(doc: Document, prefix: Array<string | number>, ops: readonly PatchOp[]): void {
  for (const op of ops) {
    const path = [...prefix, ...segments(op.path)];
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
    let out = doc.toString({ lineWidth: 0, indentSeq: sequencesIndented(file.text) });
    if (i > 0 && !out.startsWith('---')) out = '---\n' + out;
    // keep the blank lines that separated this document from the next
    const trailing = /\n*$/.exec(original)?.[0] ?? '\n';
    out = out.replace(/\n*$/, '') + (trailing.length > 0 ? trailing : '\n');
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
