/**
 * Building, merging and applying the minimal RFC 6902 patches that repairs are made of.
 * Every repair is computed against the ORIGINAL object, so several rules may each want
 * to create the same missing parent (e.g. `spec.privateKey`); `mergeOps` folds those into
 * one `add` whose value carries every field, later rules winning on the same leaf.
 */
import fjp from 'fast-json-patch';
import type { PatchOp } from './types.js';
import { isRecord, pointer } from './object.js';

/** The one op that makes `path` hold `value`, creating missing parents as a nested value. */
export function setOp(root: unknown, path: Array<string | number>, value: unknown): PatchOp {
  let cur: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string | number;
    const isLast = i === path.length - 1;
    if (!isRecord(cur) && !(Array.isArray(cur) && typeof seg === 'number')) {
      // parent is missing, not a container, or a list where a mapping is wanted (`spec: []`):
      // replace it whole, since a field added into a list is a patch the API server cannot apply
      // (i > 0 always holds here: the object itself is a mapping)
      return { op: 'replace', path: pointer(path.slice(0, i)), value: nest(path.slice(i), value) };
    }
    const has = Array.isArray(cur) ? typeof seg === 'number' && seg < cur.length : Object.prototype.hasOwnProperty.call(cur, seg);
    if (!has) return { op: 'add', path: pointer(path.slice(0, i + 1)), value: nest(path.slice(i + 1), value) };
    if (isLast) return { op: 'replace', path: pointer(path), value };
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return { op: 'replace', path: '', value };
}

function nest(rest: Array<string | number>, value: unknown): unknown {
  let v = value;
  for (let i = rest.length - 1; i >= 0; i--) v = { [rest[i] as string]: v };
  return v;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (isRecord(a) && isRecord(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return b;
}

/**
 * Fold ops into a minimal list: identical ops once; `add`/`replace` at the same path with
 * object values merged; array appends (`/-`) deduplicated by value; removals of array
 * elements ordered from the highest index so earlier removals do not shift later ones.
 */
export function mergeOps(ops: readonly PatchOp[]): PatchOp[] {
  const out: PatchOp[] = [];
  const byPath = new Map<string, number>();
  const appended = new Set<string>();
  for (const op of ops) {
    if (op.op !== 'remove' && op.path.endsWith('/-')) {
      const key = op.path + '\u0000' + JSON.stringify(op.value);
      if (appended.has(key)) continue;
      appended.add(key);
      out.push(op);
      continue;
    }
    const prev = byPath.get(op.path);
    if (prev === undefined) {
      byPath.set(op.path, out.length);
      out.push(op);
      continue;
    }
    const p = out[prev] as PatchOp;
    if (p.op === 'remove' || op.op === 'remove') {
      out[prev] = op; // the later rule decides
      continue;
    }
    out[prev] = { op: p.op, path: p.path, value: deepMerge(p.value, op.value) };
  }
  // removals of array elements: descending index at the end, so indices stay valid
  const removals = out.filter((o) => o.op === 'remove' && /\/\d+$/.test(o.path));
  const rest = out.filter((o) => !removals.includes(o));
  removals.sort((x, y) => {
    const ix = Number(x.path.slice(x.path.lastIndexOf('/') + 1));
    const iy = Number(y.path.slice(y.path.lastIndexOf('/') + 1));
    return iy - ix;
  });
  return [...rest, ...removals];
}

/**
 * Apply ops to a deep copy with fast-json-patch, validating each op as the API server would.
 * Throws on a path that does not resolve.
 */
export function applyPatch<T>(object: T, ops: readonly PatchOp[]): T {
  if (ops.some((op) => op.op === 'remove' && op.path === '')) throw new Error('cannot remove the document root');
  try {
    // values are copied too, so the result shares nothing with the ops
    return fjp.applyPatch(structuredClone(object), structuredClone(ops) as fjp.Operation[], true, true).newDocument;
  } catch (e) {
    if (!(e instanceof fjp.JsonPatchError)) throw e;
    const path = (e.operation as PatchOp | undefined)?.path ?? '?';
    throw new Error(`patch path ${path} does not resolve (${e.name})`);
  }
}
