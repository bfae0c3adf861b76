/**
 * The admission webhook's HTTP edge: express on an HTTPS server whose
 * certificate is swapped in place when it rotates, Prometheus metrics on a separate
 * plain-HTTP listener, and a drain on shutdown. All decisions are made by `admit`.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../checks/config.js';
import { errorBody, guardError, type GuardError } from '../checks/errors.js';
import { admit, type Endpoint } from './admission.js';
import type { ClusterView } from './cache.js';
import type { Logger } from './log.js';
import { kindLabel, WebhookMetrics } from './metrics.js';
import { declaredTooLarge, readJsonBody } from './body.js';
import { clip } from '../checks/limits.js';
import { checkReview, type AdmissionReviewResponse } from './review.js';
import { loadServingPair, ServingCertificateWatcher, type ServingPair, type TlsSource } from './tls.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface WebhookServerOptions {
  config: Config;
  tls: TlsSource;
  listen: HostPort;
  /** null: no metrics listener */
  metricsListen: HostPort | null;
  logger: Logger;
  /** SIGTERM: keep serving this long (endpoints are being removed) before closing */
  drainDelayMs?: number;
  /** how often the serving certificate files are re-read when no directory event arrives */
  reloadPollMs?: number;
  /** longer than the API server's 90 s idle connection reuse, so it never writes to a closed socket */
  keepAliveTimeoutMs?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** how often Node enforces headersTimeout/requestTimeout */
  connectionsCheckingIntervalMs?: number;
  bodyLimitBytes?: number;
  /** process_* and nodejs_* metrics (default true) */
  processMetrics?: boolean;
  /**
   * The informer cache cross-object rules judge against; /readyz fails until it has synced.
   * Absent: every object is judged alone (serve --no-cache).
   */
  cluster?: ClusterView;
}

export const DEFAULTS = {
  drainDelayMs: 5_000,
  reloadPollMs: 10_000,
  keepAliveTimeoutMs: 100_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  connectionsCheckingIntervalMs: 1_000,
  // A review carries object and oldObject; etcd's default object limit is 1.5 MiB.
  bodyLimitBytes: 3 * 1024 * 1024,
} as const;

export interface WebhookServer {
  /** the HTTPS port actually bound (useful with port 0) */
  readonly port: number;
  /** the metrics port actually bound, or null */
  readonly metricsPort: number | null;
  readonly metrics: WebhookMetrics;
  /** the serving pair in use */
  readonly servingPair: ServingPair;
  /** ready: a serving certificate is loaded, the cache (if any) has synced, and no drain has begun */
  isReady(): boolean;
  /** re-read the certificate files now (the watcher does this by itself) */
  reloadCertificate(): boolean;
  /** readiness off, wait drainDelayMs, stop accepting, finish in-flight requests, close */
  drain(): Promise<void>;
}

const MIN_TLS = 'TLSv1.2' as const;

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const o = { ...DEFAULTS, ...stripUndefined(options) };
  const { config, logger } = o;
  const metrics = new WebhookMetrics({ processMetrics: o.processMetrics ?? true });
  const cluster = o.cluster;
  if (cluster) metrics.observeCache(() => cluster.status());
  const initial = loadServingPair(o.tls);
  metrics.certificateExpiry.set(initial.notAfter.getTime() / 1000);

  let draining = false;
  let closing = false;

  // Health, readiness and everything that is not an admission review go through express.
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  /** Why the webhook should not get traffic now, one line; undefined when ready. */
  const notReady = (): string | undefined => (draining ? 'draining' : cluster?.waitingFor());
  app.get('/readyz', (_req, res) => {
    const reason = notReady();
    res.status(reason === undefined ? 200 : 503).type('text/plain').send(reason ?? 'ready');
  });
  app.use((_req, res) => {
    res.status(404).json(errorBody(guardError('LCG_NOT_FOUND')));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error({ err: { message: (err as Error).message } }, 'internal error');
    if (!res.headersSent) res.status(500).json(errorBody(guardError('LCG_INTERNAL')));
  });

  /**
   * POST /mutate and /validate (the API server appends `?timeout=10s`): the hot path, kept
   * off express's router and body parser, whose cost per request exceeded the decision's.
   */
  function admissionEndpoint(req: IncomingMessage): Endpoint | undefined {
    if (req.method !== 'POST' || req.url === undefined) return undefined;
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    return path === '/mutate' ? 'mutate' : path === '/validate' ? 'validate' : undefined;
  }

  async function review(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req, o.bodyLimitBytes);
    if (!body.ok) {
      reject(endpoint, res, body.error);
      return;
    }
    const started = performance.now();
    const checked = checkReview(body.value);
    if (!checked.ok) {
      reject(endpoint, res, checked.error);
      return;
    }
    const { review } = checked;
    const request = review.request;
    let admission;
    try {
      // until the cache has synced (readiness keeps traffic away meanwhile) objects are judged alone
      admission = admit(request, config, endpoint, cluster?.synced() ? cluster.snapshot() : undefined);
    } catch (e) {
      // A rule threw: answer 500 so the API server applies the configured failurePolicy.
      metrics.requests.inc({ endpoint, kind: kindLabel(request.kind.kind), operation: request.operation, decision: 'error' });
      logger.error({ uid: request.uid, endpoint, kind: clip(request.kind.kind), err: { message: (e as Error).message } }, 'admission failed');
      send(res, 500, errorBody(guardError('LCG_INTERNAL', 'judging the object')));
      return;
    }
    const answer: AdmissionReviewResponse = { apiVersion: review.apiVersion, kind: 'AdmissionReview', response: admission.response };
    send(res, 200, answer);
    const seconds = (performance.now() - started) / 1000;
    metrics.duration.observe({ endpoint }, seconds);
    metrics.requests.inc({ endpoint, kind: kindLabel(request.kind.kind), operation: request.operation, decision: admission.decision });
    for (const rule of admission.repaired) metrics.repairs.inc({ rule });
    for (const rule of admission.denied) metrics.denials.inc({ rule });
    logger.info(
      {
        uid: request.uid,
        endpoint,
        kind: clip(request.kind.kind),
        name: clip(request.name ?? objectName(request.object)),
        namespace: clip(request.namespace),
        operation: request.operation,
        dryRun: request.dryRun === true,
        role: admission.role,
        decision: admission.decision,
        repaired: admission.repaired,
        denied: admission.denied,
        warned: admission.warned,
        durationMs: Math.round(seconds * 1e6) / 1e3,
      },
      'admission',
    );
  }

  function reject(endpoint: string, res: ServerResponse, error: GuardError): void {
    const status = error.statusCode;
    metrics.requests.inc({ endpoint, kind: '', operation: '', decision: 'invalid' });
    logger.warn({ endpoint, status, code: error.code, error: error.message }, 'rejected request');
    // the rest of an oversized body is never waited for: the connection ends with the answer
    if (status === 413) {
      res.setHeader('Connection', 'close');
      if (res.socket) lingerOnClose(res.socket);
    }
    send(res, status, errorBody(error));
  }

  /**
   * `Expect: 100-continue`: the client waits for our go-ahead before it sends the body, so an
   * oversized one is refused with 413 without asking for it; any other request gets 100 Continue.
   */
  function onCheckContinue(req: IncomingMessage, res: ServerResponse): void {
    const endpoint = admissionEndpoint(req);
    if (declaredTooLarge(req, o.bodyLimitBytes)) {
      reject(endpoint ?? 'other', res, guardError('LCG_BODY_TOO_LARGE', o.bodyLimitBytes));
      return;
    }
    res.writeContinue();
    onRequest(req, res);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (closing) res.setHeader('Connection', 'close');
    const endpoint = admissionEndpoint(req);
    if (endpoint === undefined) {
      app(req, res);
      return;
    }
    review(endpoint, req, res).catch((e: unknown) => {
      logger.error({ endpoint, err: { message: (e as Error).message } }, 'internal error');
      if (!res.headersSent) send(res, 500, errorBody(guardError('LCG_INTERNAL')));
    });
  }

  const server: HttpsServer = createHttpsServer(
    {
      cert: initial.cert,
      key: initial.key,
      minVersion: MIN_TLS,
      connectionsCheckingInterval: o.connectionsCheckingIntervalMs,
      requestTimeout: o.requestTimeoutMs,
      headersTimeout: o.headersTimeoutMs,
      keepAliveTimeout: o.keepAliveTimeoutMs,
    },
    onRequest,
  );
  // Also on the instance: the http.Server fields are what Node consults at runtime.
  server.keepAliveTimeout = o.keepAliveTimeoutMs;
  server.headersTimeout = o.headersTimeoutMs;
  server.requestTimeout = o.requestTimeoutMs;
  server.on('checkContinue', onCheckContinue);
  server.on('tlsClientError', (err) => logger.debug({ err: { message: err.message } }, 'TLS handshake failed'));

  const watcher = new ServingCertificateWatcher(o.tls, initial, {
    pollIntervalMs: o.reloadPollMs,
    onLoad(pair) {
      // New handshakes get the new pair; established connections keep theirs.
      server.setSecureContext({ cert: pair.cert, key: pair.key, minVersion: MIN_TLS });
      metrics.reloads.inc({ result: 'success' });
      metrics.certificateExpiry.set(pair.notAfter.getTime() / 1000);
      logger.info(
        { certFingerprint: pair.certFingerprint, serialNumber: pair.serialNumber, subject: pair.subject, notAfter: pair.notAfter.toISOString() },
        'serving certificate reloaded',
      );
    },
    onError(error) {
      metrics.reloads.inc({ result: 'failure' });
      logger.error({ error: error.message }, 'serving certificate not reloaded; keeping the previous one');
    },
  });

  let metricsServer: HttpServer | null = null;
  if (o.metricsListen) {
    metricsServer = createHttpServer((req, res) => serveMetrics(metrics, req, res));
    metricsServer.keepAliveTimeout = 65_000;
  }

  await listen(server, o.listen);
  try {
    if (metricsServer && o.metricsListen) await listen(metricsServer, o.metricsListen);
  } catch (e) {
    server.close();
    throw e;
  }
  watcher.start();
  const port = (server.address() as AddressInfo).port;
  const metricsPort = metricsServer ? (metricsServer.address() as AddressInfo).port : null;
  logger.info(
    {
      listen: `${o.listen.host}:${port}`,
      metricsListen: metricsPort === null ? null : `${o.metricsListen?.host}:${metricsPort}`,
      mode: config.mode,
      strict: config.strict,
      cache: cluster !== undefined,
      certFingerprint: initial.certFingerprint,
      notAfter: initial.notAfter.toISOString(),
    },
    'listening',
  );

  let drained: Promise<void> | undefined;
  return {
    port,
    metricsPort,
    metrics,
    get servingPair() {
      return watcher.current;
    },
    isReady: () => notReady() === undefined,
    reloadCertificate: () => watcher.check(),
    drain() {
      drained ??= (async () => {
        draining = true;
        logger.info({ drainDelayMs: o.drainDelayMs }, 'draining: readiness off, still serving');
        await sleep(o.drainDelayMs);
        closing = true;
        watcher.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // In-flight requests get requestTimeout to finish; then the stragglers are cut.
        const cutoff = setTimeout(() => server.closeAllConnections(), o.requestTimeoutMs);
        cutoff.unref();
        await closed;
        clearTimeout(cutoff);
        if (metricsServer) {
          const m = metricsServer;
          const metricsClosed = new Promise<void>((resolve) => m.close(() => resolve()));
          m.closeAllConnections(); // a scraper's keep-alive connection must not hold the exit
          await metricsClosed;
        }
        logger.info('drained');
      })();
      return drained;
    },
  };
}

/** How long a connection closed after a 413 still takes (and discards) what the client sends. */
const LINGER_MS = 2_000;

/**
 * After a `Connection: close` answer Node destroys the socket as soon as the answer is written; a
 * client still uploading its oversized body would then get a reset, which can discard the 413 it
 * has not read yet. Instead: end our side, discard what still arrives for LINGER_MS, then destroy.
 * Memory stays flat (nothing is kept) and the time is bounded.
 */
function lingerOnClose(socket: Socket): void {
  const linger = socket as Socket & { destroySoon?: () => void };
  linger.destroySoon = () => {
    socket.end();
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

function serveMetrics(metrics: WebhookMetrics, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' || path !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
    return;
  }
  metrics.registry.metrics().then(
    (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
    () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
  );
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function listen(server: HttpServer | HttpsServer, at: HostPort): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(guardError('LCG_LISTEN_FAILED', `${at.host}:${at.port}`, e.code ?? e.message));
    };
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function objectName(object: unknown): string | undefined {
  const meta = (object as { metadata?: { name?: unknown; generateName?: unknown } } | null | undefined)?.metadata;
  if (typeof meta?.name === 'string') return meta.name;
  return typeof meta?.generateName === 'string' ? `${meta.generateName}*` : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
