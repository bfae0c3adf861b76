/**
 * File inputs: PEM files (--issuer-cert, --issuer-key, --trust-anchors, --trust-bundle) and YAML
 * (--from PATH, a file, a directory of *.yaml/*.yml/*.json, or - for stdin; multi-document; `kind: List` flattened,
 * as `kubectl get -o yaml` writes it). Unreadable input is a GuardError: one line, exit 2.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CORE_SCHEMA, loadAll, YAMLException } from 'js-yaml';
import { GuardError } from '../errors.js';
import type { Sourced } from '../identity/types.js';
import { arr, isRecord } from '../rules/object.js';
import type { K8sObject } from '../rules/types.js';

function readText(path: string, cwd: string, what: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code ?? 'unreadable';
    throw new GuardError('LCG_INPUT_UNREADABLE', `cannot read ${what} ${path}: ${why}`);
  }
}

export function readPem(path: string, cwd: string, flag: string): Sourced {
  return { text: readText(path, cwd, flag), from: path };
}

function yamlFilesOf(path: string, cwd: string): string[] {
  const full = resolve(cwd, path);
  let st;
  try {
    st = statSync(full);
  } catch {
    throw new GuardError('LCG_INPUT_UNREADABLE', `cannot read --from ${path}: no such file or directory`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(full)
    .filter((f) => /\.(ya?ml|json)$/i.test(f))
    .sort()
    .map((f) => join(path, f));
}

/** Every object in the YAML documents of `paths`, in order; `List` items flattened. */
export function readObjects(paths: readonly string[], cwd: string, stdinText?: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const p of paths) {
    for (const file of p === '-' ? ['-'] : yamlFilesOf(p, cwd)) {
      const text = file === '-' ? (stdinText ?? '') : readText(file, cwd, '--from');
      let docs: unknown[];
      try {
        // js-yaml: the decoder the rest of the CLI already loaded; comments and positions are not needed here
        docs = [];
        // CORE_SCHEMA: timestamps stay strings, as the API server serves them
        loadAll(text, (d) => docs.push(d), { schema: CORE_SCHEMA });
      } catch (e) {
        const line = e instanceof YAMLException ? e.mark.line + 1 : undefined;
        const reason = e instanceof YAMLException ? e.reason : e instanceof Error ? e.message : String(e);
        throw new GuardError('LCG_YAML_SYNTAX', `${file === '-' ? '<stdin>' : file}${line ? `:${line}` : ''}: ${reason.split('\n')[0]}`);
      }
      for (const d of docs) push(d, out);
    }
  }
  return out;
}

function push(v: unknown, out: K8sObject[]): void {
  if (!isRecord(v)) return;
  if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
    for (const item of arr(v.items)) push(item, out);
    return;
  }
  if (typeof v.kind === 'string') out.push(v as K8sObject);
}
