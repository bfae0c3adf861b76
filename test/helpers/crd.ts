/**
 * The real CRDs and validators compiled from their openAPIV3Schema with ajv. The CRDs are those of
 * the cert-manager and trust-manager versions the end-to-end tier runs, which
 * `bash test/e2e/provision.sh crds` (part of `npm test`'s pretest) copies from their Go modules
 * into the tools cache; nothing of them is committed. $LCG_CRD_DIR points at another copy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

/** Where provision.sh keeps its tools (and the CRDs, in crds/). */
export function toolsDir(): string {
  return process.env['LCG_TOOLS_DIR'] ?? join(homedir(), '.cache', 'linkerd-cert-guard', 'tools');
}

/** The directory the CRDs are read from ($LCG_CRD_DIR, else the provisioned copy). */
export const CRD_DIR_CANDIDATE = process.env['LCG_CRD_DIR'] ?? join(toolsDir(), 'crds');
/** That directory when it holds the CRDs, else null. */
export const CRD_DIR: string | null = existsSync(join(CRD_DIR_CANDIDATE, 'cert-manager.io_certificates.yaml')) ? CRD_DIR_CANDIDATE : null;
export const CRD_MISSING = `the cert-manager and trust-manager CRDs are not in ${CRD_DIR_CANDIDATE}: run \`bash test/e2e/provision.sh crds\` (needs Go; npm test's pretest runs it) or set LCG_CRD_DIR`;

/** The CRD directory, or a clear error when it was not provisioned. */
export function crdDir(): string {
  if (CRD_DIR === null) throw new Error(CRD_MISSING);
  return CRD_DIR;
}

interface Crd {
  spec: { group: string; names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> };
}

const cache = new Map<string, ValidateFunction>();

/** Validator for `group/version` + kind from the CRD file, e.g. ('cert-manager.io_certificates.yaml', 'v1'). */
export function crdValidator(file: string, version: string): ValidateFunction {
  const key = `${file}@${version}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const crd = parse(readFileSync(join(crdDir(), file), 'utf8')) as Crd;
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
export const validateIssuer = (): ValidateFunction => crdValidator('cert-manager.io_issuers.yaml', 'v1');
export const validateClusterIssuer = (): ValidateFunction => crdValidator('cert-manager.io_clusterissuers.yaml', 'v1');

type Schema = { properties?: Record<string, Schema>; items?: Schema; additionalProperties?: boolean | Schema; 'x-kubernetes-preserve-unknown-fields'?: boolean };

/**
 * The fields of `value` the API server would prune as unknown under a CRD version's structural schema
 * (ajv cannot say: a structural schema lists properties but does not forbid others), as dotted paths.
 */
export function prunedFields(file: string, version: string, value: unknown): string[] {
  const crd = parse(readFileSync(join(crdDir(), file), 'utf8')) as Crd;
  const schema = crd.spec.versions.find((x) => x.name === version)?.schema.openAPIV3Schema as Schema | undefined;
  if (!schema) throw new Error(`${file} has no version ${version}`);
  const out: string[] = [];
  const walk = (s: Schema, v: unknown, path: string): void => {
    if (s['x-kubernetes-preserve-unknown-fields']) return;
    if (Array.isArray(v)) {
      if (s.items) v.forEach((x, i) => walk(s.items as Schema, x, `${path}[${i}]`));
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (path === '' && k === 'metadata') continue; // the API server's own, never pruned by the CRD
      const at = path === '' ? k : `${path}.${k}`;
      const sub = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      if (sub) walk(sub, x, at);
      else if (s.additionalProperties !== true) out.push(at);
    }
  };
  walk(schema, value, '');
  return out;
}
