/**
 * File inputs: PEM files (--issuer-cert, --issuer-key, --trust-anchors, --trust-bundle) and YAML
 * (--from PATH, a file, a directory of *.yaml/*.yml/*.json, or - for stdin; multi-document; `kind: List` flattened,
 * as `kubectl get -o yaml` writes it). Unreadable input is a GuardError: one line, exit 2.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAll, YAMLException } from 'js-yaml';
import { GuardError } from '../errors.js';
import { ALIAS_HINT, boundsViolation, LIMITS } from '../limits.js';
import { decodeText, MANIFEST_LOAD_OPTIONS, readInputFile, splitDocuments } from '../lint/input.js';
import type { Sourced } from '../identity/types.js';
import { arr, isRecord } from '../rules/object.js';
import type { K8sObject } from '../rules/types.js';

/** The one bounded reader every input goes through (no FIFO hang, no device read forever). */
function readText(path: string, cwd: string, what: string): string {
  return decodeText(readInputFile(resolve(cwd, path), `${what} ${path}`)).text;
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
export function readObjects(paths: readonly string[], cwd: string, stdin?: Uint8Array): K8sObject[] {
  const out: K8sObject[] = [];
  for (const p of paths) {
    for (const file of p === '-' ? ['-'] : yamlFilesOf(p, cwd)) {
      const text = file === '-' ? decodeText(stdin ?? new Uint8Array()).text : readText(file, cwd, '--from');
      const display = file === '-' ? '<stdin>' : file;
      if (splitDocuments(text).length > LIMITS.documents) {
        throw new GuardError('LCG_INPUT_UNREADABLE', `${display}: more than ${LIMITS.documents} YAML documents`);
      }
      let docs: unknown[];
      try {
        // js-yaml: the decoder the rest of the CLI already loaded; comments and positions are not needed here
        docs = [];
        // the manifest schema: timestamps stay strings, as the API server serves them; merge keys apply
        loadAll(
          text,
          (d) => {
            if (docs.length >= LIMITS.documents) throw new GuardError('LCG_INPUT_UNREADABLE', `${display}: more than ${LIMITS.documents} YAML documents`);
            const broken = boundsViolation(d);
            if (broken) throw new GuardError('LCG_INPUT_UNREADABLE', `${display}: document ${docs.length} is ${broken}${broken.startsWith('more') ? ALIAS_HINT : ''}`);
            docs.push(d);
          },
          MANIFEST_LOAD_OPTIONS,
        );
      } catch (e) {
        if (e instanceof GuardError) throw e;
        const line = e instanceof YAMLException ? e.mark.line + 1 : undefined;
        const reason = e instanceof YAMLException ? e.reason : e instanceof Error ? e.message : String(e);
        throw new GuardError('LCG_YAML_SYNTAX', `${display}${line ? `:${line}` : ''}: ${reason.split('\n')[0]}`);
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
