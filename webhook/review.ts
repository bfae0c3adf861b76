/**
 * The AdmissionReview edge: the JSON Schema that a request body must satisfy before any
 * rule sees it, and the types derived from (and checked against) that schema.
 * Only the envelope is validated; the embedded objects are judged by the rules, which read
 * every field defensively.
 */
import { guardError, type GuardError } from '../checks/errors.js';
import { Ajv, type JSONSchemaType } from 'ajv';
import type { K8sObject } from '../checks/rules/types.js';

export const ADMISSION_API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof ADMISSION_API_VERSIONS)[number];
export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: GroupVersionResource;
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo?: { username?: string; uid?: string; groups?: string[] };
  /** null on DELETE (and CONNECT) */
  object?: K8sObject | null;
  /** null on CREATE (and CONNECT) */
  oldObject?: K8sObject | null;
  dryRun?: boolean;
}

export interface AdmissionReview {
  apiVersion: AdmissionApiVersion;
  kind: 'AdmissionReview';
  request: AdmissionRequest;
}

export interface AdmissionStatus {
  code: number;
  reason: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  patchType?: 'JSONPatch';
  /** base64 of an RFC 6902 JSON Patch */
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: AdmissionApiVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export const ADMISSION_REVIEW_SCHEMA: JSONSchemaType<AdmissionReview> = {
  $id: 'https://linkerd-cert-guard.io/schemas/admission-review.json',
  type: 'object',
  required: ['apiVersion', 'kind', 'request'],
  properties: {
    apiVersion: { type: 'string', enum: [...ADMISSION_API_VERSIONS] },
    kind: { type: 'string', const: 'AdmissionReview' },
    request: {
      type: 'object',
      required: ['uid', 'kind', 'operation'],
      properties: {
        uid: { type: 'string', minLength: 1, maxLength: 128 },
        kind: {
          type: 'object',
          required: ['group', 'version', 'kind'],
          properties: { group: { type: 'string' }, version: { type: 'string' }, kind: { type: 'string' } },
        },
        resource: {
          type: 'object',
          nullable: true,
          required: ['group', 'version', 'resource'],
          properties: { group: { type: 'string' }, version: { type: 'string' }, resource: { type: 'string' } },
        },
        subResource: { type: 'string', nullable: true },
        name: { type: 'string', nullable: true },
        namespace: { type: 'string', nullable: true },
        operation: { type: 'string', enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] },
        userInfo: {
          type: 'object',
          nullable: true,
          required: [],
          properties: {
            username: { type: 'string', nullable: true },
            uid: { type: 'string', nullable: true },
            groups: { type: 'array', items: { type: 'string' }, nullable: true },
          },
        },
        // any mapping: the object's fields are the rules' business, not the envelope's
        object: { type: 'object', nullable: true, required: [] },
        oldObject: { type: 'object', nullable: true, required: [] },
        dryRun: { type: 'boolean', nullable: true },
      },
    },
  },
};

// strict: false because the envelope deliberately leaves unknown keys (options, requestKind, ...) alone.
const ajv = new Ajv({ allErrors: false, strict: false });
const validateReview = ajv.compile(ADMISSION_REVIEW_SCHEMA);

export type ReviewCheck = { ok: true; review: AdmissionReview } | { ok: false; error: GuardError };

/**
 * Check that a decoded body is an AdmissionReview with a request. The error is one line,
 * names the offending field, and never echoes the body.
 */
export function checkReview(body: unknown): ReviewCheck {
  if (validateReview(body)) return { ok: true, review: body };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: guardError('LCG_NOT_A_REVIEW', 'a JSON object') };
  }
  const o = body as Record<string, unknown>;
  if (o.kind !== 'AdmissionReview' || typeof o.apiVersion !== 'string' || !(ADMISSION_API_VERSIONS as readonly string[]).includes(o.apiVersion)) {
    return { ok: false, error: guardError('LCG_NOT_A_REVIEW', `apiVersion ${ADMISSION_API_VERSIONS[0]} and kind AdmissionReview`) };
  }
  if (o.request === undefined || o.request === null) {
    return { ok: false, error: guardError('LCG_REVIEW_INVALID', 'request', 'required') };
  }
  const e = validateReview.errors?.[0];
  const where = e?.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'request';
  if (e?.keyword === 'required') return { ok: false, error: guardError('LCG_REVIEW_INVALID', `${where}.${(e.params as { missingProperty: string }).missingProperty}`, 'required') };
  const problem = e?.keyword === 'enum' ? `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : (e?.message ?? 'invalid');
  return { ok: false, error: guardError('LCG_REVIEW_INVALID', where, problem) };
}
