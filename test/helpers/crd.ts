/** The real CRDs (test/fixtures/crds, or $LCG_CRD_DIR) and validators compiled from their openAPIV3Schema with ajv. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
export const CRD_DIR = process.env['LCG_CRD_DIR'] ?? join(here, '..', 'fixtures', 'crds');

interface Crd {
  spec: { group: string; names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> };
}

const cache = new Map<string, ValidateFunction>();

/** Validator for `group/version` + kind from the CRD file, e.g. ('cert-manager.io_certificates.yaml', 'v1'). */
export function crdValidator(file: string, version: string): ValidateFunction {
  const key = `${file}@${version}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const crd = parse(readFileSync(join(CRD_DIR, file), 'utf8')) as Crd;
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`${file} has no version ${version}`);
  // Kubernetes structural schemas carry x-kubernetes-* keywords and int32/int64 formats ajv does not know.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const fn = ajv.compile(v.schema.openAPIV3Schema);
  cache.set(key, fn);
  return fn;
}

export const validateCertificate = (): ValidateFunction => crdValidator('cert-manager.io_certificates.yaml', 'v1');
export const validateBundle = (): ValidateFunction => crdValidator('trust.cert-manager.io_bundles.yaml', 'v1alpha1');
