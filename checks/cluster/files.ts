/**
 * File inputs: PEM files (--issuer-cert, --issuer-key, --trust-anchors, --trust-bundle) and manifests
 * (--from PATH: a file, a directory, or - for stdin), read by the one manifest reader `lint` uses, so
 * both see the same objects. Unreadable input is a GuardError: one line, exit 2.
 */
import type { Sourced } from '../identity/types.js';
import { resolve } from 'node:path';
import { decodeManifest, decodeText, expandPaths, manifestItems, readInputFile, readManifestText, runBounds } from '../manifests.js';
import { isRecord } from '../rules/object.js';
import type { K8sObject } from '../rules/types.js';

export function readPem(path: string, cwd: string, flag: string): Sourced {
  return { text: decodeText(readInputFile(resolve(cwd, path), `${flag} ${path}`)).text, from: path };
}

/** Every object in the manifests of `paths`, in order; list documents flattened to their items. */
export function readObjects(paths: readonly string[], cwd: string, stdin?: Uint8Array): K8sObject[] {
  const out: K8sObject[] = [];
  const bounds = runBounds('--from');
  for (const path of expandPaths(paths, cwd, '--from')) {
    const { text, format } = readManifestText(path, cwd, stdin, '--from');
    const file = decodeManifest(path, text, format);
    bounds.documents(file);
    for (const { value } of manifestItems(file)) {
      bounds.object(file);
      // a document without a kind names no object (a values file, a stray scalar)
      if (isRecord(value) && typeof value.kind === 'string') out.push(value as K8sObject);
    }
  }
  return out;
}
