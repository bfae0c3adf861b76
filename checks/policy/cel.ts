/**
 * Building CEL text for the admission policies. Values enter CEL only as literals made here:
 * JSON's string, number, boolean, list and map syntax is also CEL's, so JSON.stringify (with
 * sorted map keys, as Helm's toJson sorts them) yields a literal the API server parses.
 */

/** A CEL literal for a JSON value; map keys sorted so the chart's `toJson` renders the same text. */
export function lit(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/**
 * `has()` for every step of a dotted path below `base`: `present('object', 'spec.privateKey.size')` is
 * `(has(object.spec) && has(object.spec.privateKey) && has(object.spec.privateKey.size))`, so a
 * missing parent never raises "no such key".
 */
export function present(base: string, path: string): string {
  const segs = path.split('.');
  const steps = segs.map((_, i) => `has(${base}.${segs.slice(0, i + 1).join('.')})`);
  return steps.length === 1 ? (steps[0] as string) : `(${steps.join(' && ')})`;
}

/** `base.path` when present, else the CEL `fallback`. */
export function orElse(base: string, path: string, fallback: string): string {
  return `(${present(base, path)} ? ${base}.${path} : ${fallback})`;
}

/**
 * A CEL string expression from text and embedded CEL string expressions:
 * text`spec.secretName must be ${'variables.issuerName'}.` is
 * `"spec.secretName must be " + (variables.issuerName) + "."`.
 */
export function text(strings: TemplateStringsArray, ...exprs: string[]): string {
  const parts: string[] = [];
  strings.forEach((s, i) => {
    if (s !== '') parts.push(lit(s));
    const e = exprs[i];
    if (e !== undefined) parts.push(`(${e})`);
  });
  return parts.length === 0 ? '""' : parts.join(' + ');
}

export const and = (...xs: string[]): string => (xs.length === 1 ? (xs[0] as string) : `(${xs.join(' && ')})`);
export const or = (...xs: string[]): string => (xs.length === 1 ? (xs[0] as string) : `(${xs.join(' || ')})`);
export const not = (x: string): string => `!(${x})`;
