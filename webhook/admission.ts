/**
 * The admission decision, a pure function of the review request, the
 * configuration and the endpoint. The HTTP server is a thin adapter around `admit`.
 *
 * - /mutate repairs: the merged JSON Patch of every fixable finding (enforce and repair
 *   modes), one warning per repair; nothing in audit mode.
 * - /validate judges: enforce denies remaining errors (403) and warns the rest, repair warns
 *   everything, audit returns every finding as a warning.
 * - DELETE/CONNECT and objects that are not Linkerd's: allowed, untouched, silent.
 * - UPDATE: a violation oldObject already had is a warning, not a denial, unless `strict`.
 * - With `cluster` (the informer cache's snapshot), cross-object rules judge against it; an object
 *   they look for and do not find is a warning, never a denial.
 */
import type { Config } from '../checks/config.js';
import { findingKey, judge, repairPatch } from '../checks/rules/engine.js';
import type { Finding, JudgeOptions, K8sObject, PatchOp, Role } from '../checks/rules/types.js';
import type { AdmissionRequest, AdmissionResponse } from './review.js';
import { clip } from '../checks/limits.js';
import { dotted, pointerPath } from '../checks/rules/object.js';

export type Endpoint = 'mutate' | 'validate';

/**
 * What happened, for metrics and logs: `ignored` (not judged: DELETE/CONNECT or not
 * Linkerd's), `allowed` (judged, nothing to say), `warned`, `patched`, `denied`.
 */
export type Decision = 'ignored' | 'allowed' | 'warned' | 'patched' | 'denied';

export interface Admission {
  response: AdmissionResponse;
  decision: Decision;
  role: Role | null;
  /** rule ids the patch repairs */
  repaired: string[];
  /** rule ids that caused the denial */
  denied: string[];
  /** rule ids returned as warnings */
  warned: string[];
}

/** Kubernetes truncates a warning past 256 bytes and drops warnings past 4096 bytes in total. */
export const WARNING_MAX_BYTES = 256;
export const WARNINGS_TOTAL_MAX_BYTES = 4096;
/**
 * A denial's status.message: each reason clipped like a warning, the whole at most this many bytes
 * (the API server shows it to the user whole; `lint` gives every finding).
 */
export const DENIAL_MESSAGE_MAX_BYTES = 4096;
/** The API conventions ask for warnings of about 120 characters; repair notes keep to that. */
export const REPAIR_WARNING_TARGET = 120;

/** Without a cluster view the webhook judges one object alone, with the admission rules only (no lint-only rules). */
const ALONE = Object.freeze({ lint: false });

/**
 * `cluster`: the objects the webhook's informer cache holds (its whole view of the kinds the rules
 * read), or undefined to judge the object alone (serve --no-cache, or the cache not synced yet).
 */
export function admit(request: AdmissionRequest, config: Config, endpoint: Endpoint, cluster?: readonly K8sObject[]): Admission {
  const uid = request.uid;
  const judged = request.operation === 'CREATE' || request.operation === 'UPDATE';
  const object = request.object;
  if (!judged || !isObject(object)) return quiet(uid, null);
  const options = cluster === undefined ? ALONE : { lint: false, related: cluster, complete: true };
  const { role, findings } = judge(withRequestNamespace(object, request.namespace), config, options);
  if (role === null) return quiet(uid, null);
  return endpoint === 'mutate' ? mutate(uid, role, findings, config) : validate(request, role, findings, config, options);
}

function mutate(uid: string, role: Role, findings: Finding[], config: Config): Admission {
  if (config.mode === 'audit') return { ...quiet(uid, role), decision: 'allowed' };
  const fixable = findings.filter((f) => f.fixable);
  const ops = repairPatch(fixable);
  if (ops.length === 0) return { ...quiet(uid, role), decision: 'allowed' };
  const warnings = budget(fixable.map(repairWarning));
  const response: AdmissionResponse = {
    uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(ops)).toString('base64'),
  };
  if (warnings.length > 0) response.warnings = warnings;
  return { response, decision: 'patched', role, repaired: unique(fixable.map((f) => f.rule)), denied: [], warned: [] };
}

function validate(request: AdmissionRequest, role: Role, findings: Finding[], config: Config, options: JudgeOptions): Admission {
  const uid = request.uid;
  if (findings.length === 0) return { ...quiet(uid, role), decision: 'allowed' };
  const denying: Finding[] = [];
  const warning: Array<{ finding: Finding; note?: string }> = [];
  if (config.mode === 'enforce') {
    // oldObject is judged only when there is an error it could excuse.
    const before = findings.some((f) => f.severity === 'error') ? preexisting(request, config, options) : new Set<string>();
    for (const f of findings) {
      if (f.severity !== 'error') warning.push({ finding: f });
      else if (before.has(findingKey(f))) warning.push({ finding: f, note: 'already present before this update' });
      else denying.push(f);
    }
  } else {
    for (const f of findings) warning.push({ finding: f });
  }
  const warnings = budget(warning.map(({ finding, note }) => findingWarning(finding, note)));
  const response: AdmissionResponse = { uid, allowed: denying.length === 0 };
  if (denying.length > 0) {
    response.status = { code: 403, reason: 'Forbidden', message: denialMessage(request, denying) };
  }
  if (warnings.length > 0) response.warnings = warnings;
  return {
    response,
    decision: denying.length > 0 ? 'denied' : 'warned',
    role,
    repaired: [],
    denied: unique(denying.map((f) => f.rule)),
    warned: unique(warning.map((w) => w.finding.rule)),
  };
}

/** Keys of the violations oldObject already had; empty unless this is a non-strict UPDATE. */
function preexisting(request: AdmissionRequest, config: Config, options: JudgeOptions): Set<string> {
  if (request.operation !== 'UPDATE' || config.strict || !isObject(request.oldObject)) return new Set();
  return new Set(judge(request.oldObject, config, options).findings.map(findingKey));
}

/**
 * The namespace the object is created in is the request's; the API server normally copies it into
 * metadata, but certificate/namespace must not depend on that.
 */
function withRequestNamespace(object: K8sObject, namespace: string | undefined): K8sObject {
  const meta = isObject(object.metadata) ? object.metadata : undefined;
  if (!namespace || (meta && typeof meta.namespace === 'string' && meta.namespace !== '')) return object;
  return { ...object, metadata: { ...meta, namespace } };
}

function quiet(uid: string, role: Role | null): Admission {
  return { response: { uid, allowed: true }, decision: 'ignored', role, repaired: [], denied: [], warned: [] };
}

function isObject(v: unknown): v is K8sObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function denialMessage(request: AdmissionRequest, denying: Finding[]): string {
  const meta = isObject(request.object) && isObject(request.object.metadata) ? request.object.metadata : {};
  const name = request.name || (typeof meta.name === 'string' ? meta.name : '') || '(unnamed)';
  const where = request.namespace ? `${clip(request.namespace)}/${clip(name)}` : clip(name);
  let message = `linkerd-cert-guard denied ${clip(request.kind.kind)} ${where}: `;
  const more = (n: number): string => `; ... and ${n} more; run linkerd-cert-guard lint for all`;
  for (let i = 0; i < denying.length; i++) {
    const f = denying[i] as Finding;
    const reason = fit(withPath(f.path, oneLine(f.message)), ` (${f.rule})`, WARNING_MAX_BYTES);
    const next = (i === 0 ? '' : '; ') + reason;
    const room = DENIAL_MESSAGE_MAX_BYTES - (i === denying.length - 1 ? 0 : Buffer.byteLength(more(denying.length)));
    if (Buffer.byteLength(message) + Buffer.byteLength(next) > room) {
      message += more(denying.length - i);
      break;
    }
    message += next;
  }
  return message;
}

/** `<path>: <what was repaired> (<rule>)`, kept near 120 characters. */
export function repairWarning(f: Finding): string {
  const what = (f.patch ?? []).map((op) => describeOp(op, f.path)).join(', ') || 'repaired';
  return fit(`${f.path}: ${what}`, ` (${f.rule})`, REPAIR_WARNING_TARGET);
}

/** `<path>: <message> (<rule>)`, the message clipped so the whole fits one Kubernetes warning. */
export function findingWarning(f: Finding, note?: string): string {
  const suffix = note ? ` (${f.rule}; ${note})` : ` (${f.rule})`;
  return fit(withPath(f.path, oneLine(f.message)), suffix, WARNING_MAX_BYTES);
}

function withPath(path: string, message: string): string {
  return path === '' || message.startsWith(path) ? message : `${path}: ${message}`;
}

/** What one op did, naming the field only when it is not the finding's own path. */
function describeOp(op: PatchOp, findingPath: string): string {
  const where = pointerToDotted(op.path);
  const field = where === findingPath ? '' : ` ${where}`;
  if (op.op === 'remove') return `removed${field || ' it'}`;
  const value = JSON.stringify(op.value) ?? 'null';
  if (op.op === 'add' && op.path.endsWith('/-')) return `added ${value}${field ? ` to${field}` : ''}`;
  return `set${field} to ${value}`;
}

/** `/spec/privateKey/algorithm` -> `spec.privateKey.algorithm`; `/spec/usages/-` -> `spec.usages`. */
export function pointerToDotted(pointer: string): string {
  return dotted(pointerPath(pointer).filter((s) => s !== '-'));
}

/** Control characters would break the Warning header; Kubernetes would mangle them anyway. */
function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

const ELLIPSIS = '...';

/** head + tail in at most `max` UTF-8 bytes, clipping the head (the tail names the rule). */
function fit(head: string, tail: string, max: number): string {
  const whole = head + tail;
  if (Buffer.byteLength(whole) <= max) return whole;
  const room = Math.max(0, max - Buffer.byteLength(tail) - ELLIPSIS.length);
  let clipped = head.slice(0, room);
  while (Buffer.byteLength(clipped) > room) clipped = clipped.slice(0, -1);
  return clipped.trimEnd() + ELLIPSIS + tail;
}

/** Keep the total under Kubernetes' 4096-byte limit, saying how many were left out. */
export function budget(warnings: string[]): string[] {
  const out: string[] = [];
  let used = 0;
  const reserve = 64; // room for the "N more" note
  for (let i = 0; i < warnings.length; i++) {
    const w = warnings[i] as string;
    const size = Buffer.byteLength(w);
    const last = i === warnings.length - 1;
    if (used + size <= WARNINGS_TOTAL_MAX_BYTES - (last ? 0 : reserve)) {
      out.push(w);
      used += size;
      continue;
    }
    out.push(`... and ${warnings.length - i} more finding(s); run linkerd-cert-guard lint for all`);
    break;
  }
  return out;
}
