/**
 * The bounds every input is held to where it enters (files, stdin, admission bodies), in one
 * place so the CLI, the webhook and the README agree. Anything past a bound is refused with one
 * line naming the bound: exit 2 from the CLI, 4xx from the webhook.
 */
import { guardError, type GuardError } from './errors.js';

export const LIMITS = Object.freeze({
  /** bytes read from one file or from stdin (a Kubernetes object is at most 1.5 MiB in etcd) */
  inputBytes: 64 * 1024 * 1024,
  /** YAML documents (and `kind: List` items) in one run */
  documents: 100_000,
  /** nesting depth of any decoded value (the deepest Certificate or Bundle field is about 10) */
  depth: 100,
  /** values in one document once aliases are expanded (stops YAML alias bombs) */
  nodes: 1_000_000,
  /** files and directories one `lint` walk may visit */
  walkEntries: 100_000,
  /** characters of a field value quoted back in a message */
  quotedChars: 64,
});

/** An input (a file, stdin) past LIMITS.inputBytes. */
export function tooLarge(display: string): GuardError {
  return guardError('LCG_INPUT_UNREADABLE', display, `larger than ${LIMITS.inputBytes / (1024 * 1024)} MiB`);
}

/** What a YAML reader adds to a size violation: aliases are what usually makes a small file huge. */
export const ALIAS_HINT = ' once its YAML aliases are expanded';

/**
 * The first bound `value` breaks (depth, or expanded size: a YAML alias is walked every time it
 * is referenced), or undefined. Iterative, so a hostile depth cannot overflow the stack here.
 */
export function boundsViolation(value: unknown, limits: { depth: number; nodes: number } = LIMITS): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: Array<[unknown, number]> = [[value, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (++nodes > limits.nodes) return `more than ${limits.nodes} values`;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limits.depth) return `nested deeper than ${limits.depth} levels`;
    if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'object' && x !== null) stack.push([x, depth + 1]);
      else nodes++;
    } else {
      for (const k in v as Record<string, unknown>) {
        const x = (v as Record<string, unknown>)[k];
        if (typeof x === 'object' && x !== null) stack.push([x, depth + 1]);
        else nodes++;
      }
    }
  }
  return nodes > limits.nodes ? `more than ${limits.nodes} values` : undefined;
}

/**
 * A field value as a message may repeat it: strings JSON-quoted and clipped, other values named by
 * type, so a hostile value can neither bloat a message nor be echoed whole.
 */
export function quote(v: unknown, max: number = LIMITS.quotedChars): string {
  if (typeof v === 'string') {
    const clipped = v.length > max ? v.slice(0, max) : v;
    const q = JSON.stringify(clipped);
    return v.length > max ? `${q.slice(0, -1)}..." (${v.length} characters)` : q;
  }
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (v === undefined) return 'unset';
  return Array.isArray(v) ? `a list` : 'a mapping';
}

/** A field value as a message names it unquoted (a name, a namespace): clipped like `quote`. */
export function clip(v: string | undefined, max: number = LIMITS.quotedChars): string {
  if (v === undefined) return '(unset)';
  return v.length > max ? `${v.slice(0, max)}... (${v.length} characters)` : v;
}
