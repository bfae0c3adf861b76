/**
 * File inputs: PEM files (--issuer-cert, --issuer-key, --trust-anchors, --trust-bundle) and YAML
 * (--from PATH, a file or a directory of *.yaml/*.yml/*.json; multi-document; `kind: List` flattened,
 * as `kubectl get -o yaml` writes it). Unreadable input is a GuardError: one line, exit 2.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
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
export function readObjects(paths: readonly string[], cwd: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const p of paths) {
    for (const file of yamlFilesOf(p, cwd)) {
      const text = readText(file, cwd, '--from');
      for (const doc of parseAllDocuments(text)) {
        const err = doc.errors[0];
        if (err) {
          const line = err.linePos?.[0]?.line;
          throw new GuardError('LCG_YAML_SYNTAX', `${file}${line ? `:${line}` : ''}: ${err.message.split('\n')[0]}`);
        }
        push(doc.toJS() as unknown, out);
      }
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
