/**
 * Prometheus metrics on a private registry (the Helm chart's PrometheusRule uses these names).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KindState, KindStatus } from './cache.js';

export const METRIC_PREFIX = 'linkerd_cert_guard_';

/**
 * The `kind` label takes one of these values or `other`: the kind comes from the request, and
 * one series per distinct string would let any client grow /metrics without bound.
 */
export const KIND_LABELS: ReadonlySet<string> = new Set(['Certificate', 'Bundle', 'ClusterBundle', 'Issuer', 'ClusterIssuer', 'Namespace']);

export function kindLabel(kind: string): string {
  return KIND_LABELS.has(kind) ? kind : 'other';
}

export class WebhookMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'endpoint' | 'kind' | 'operation' | 'decision'>;
  readonly duration: Histogram<'endpoint'>;
  readonly repairs: Counter<'rule'>;
  readonly denials: Counter<'rule'>;
  readonly reloads: Counter<'result'>;
  readonly certificateExpiry: Gauge;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: `${METRIC_PREFIX}admission_requests_total`,
      help: 'Admission requests by endpoint, object kind (Certificate, Bundle, ClusterBundle, Issuer, ClusterIssuer, Namespace or other), operation and decision (ignored, allowed, warned, patched, denied, invalid, error).',
      labelNames: ['endpoint', 'kind', 'operation', 'decision'],
      registers,
    });
    this.duration = new Histogram({
      name: `${METRIC_PREFIX}admission_duration_seconds`,
      help: 'Time from a parsed AdmissionReview to its response being written.',
      labelNames: ['endpoint'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.repairs = new Counter({
      name: `${METRIC_PREFIX}repairs_total`,
      help: 'Repairs returned by /mutate, by rule.',
      labelNames: ['rule'],
      registers,
    });
    this.denials = new Counter({
      name: `${METRIC_PREFIX}denials_total`,
      help: 'Denials returned by /validate, by the rule that caused them.',
      labelNames: ['rule'],
      registers,
    });
    this.reloads = new Counter({
      name: `${METRIC_PREFIX}certificate_reloads_total`,
      help: 'Serving certificate reloads after a change on disk, by result (success, failure).',
      labelNames: ['result'],
      registers,
    });
    // Present from the start so `increase(...{result="failure"}[1h]) > 0` alerts have a series.
    this.reloads.inc({ result: 'success' }, 0);
    this.reloads.inc({ result: 'failure' }, 0);
    this.certificateExpiry = new Gauge({
      name: `${METRIC_PREFIX}serving_certificate_expiry_timestamp_seconds`,
      help: 'notAfter of the serving certificate in use, as a Unix timestamp.',
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The informer cache's gauges, read at scrape time: one series per cached kind (and state). */
  observeCache(status: () => KindStatus[]): void {
    const registers = [this.registry];
    const states: readonly KindState[] = ['syncing', 'synced', 'absent'];
    new Gauge({
      name: `${METRIC_PREFIX}cache_objects`,
      help: 'Objects in the informer cache, by kind (Certificate, Issuer, ClusterIssuer, Bundle, ClusterBundle, Namespace).',
      labelNames: ['kind'],
      registers,
      collect() {
        for (const k of status()) this.set({ kind: k.kind }, k.objects);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}cache_state`,
      help: 'Informer cache state by kind: syncing (not listed yet; /readyz fails), synced (listed, watching), absent (CRD not installed); 1 for the current state.',
      labelNames: ['kind', 'state'],
      registers,
      collect() {
        for (const k of status()) for (const state of states) this.set({ kind: k.kind, state }, k.state === state ? 1 : 0);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}cache_truncated`,
      help: 'Whether objects of this kind were left out of the cache (more than --cache-max-objects, or one too large): 1 or 0.',
      labelNames: ['kind'],
      registers,
      collect() {
        for (const k of status()) this.set({ kind: k.kind }, k.truncated ? 1 : 0);
      },
    });
  }
}
