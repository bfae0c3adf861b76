/**
 * The HTTP transport under @kubernetes/client-node's request contexts for the live commands (live.ts `request`): the same requests the
 * default transport sends (same TLS agent, same Authorization header from the kubeconfig), plus
 * - impersonation, as `kubectl --as/--as-group` sends it: one `Impersonate-User` header and one
 *   `Impersonate-Group` header line per group (a fetch `Headers` object would fold several groups into
 *   one comma-joined line, which the API server reads as a single group);
 * - a bounded request: a per-request timeout and a cap on the response body;
 * - `--wait`: transient answers (429, 500, 502, 503, 504, a connection reset) are retried with backoff
 *   until the deadline; anything else (refused, unknown host, TLS, 4xx) is answered at once.
 */
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type * as K8s from '@kubernetes/client-node';

export interface TransportOptions {
  /** Impersonate-User */
  as?: string;
  /** Impersonate-Group, one header line each */
  asGroups?: readonly string[];
  /** how long transient errors are retried, in milliseconds (0: no retry) */
  waitMs: number;
  /** per-request timeout, milliseconds */
  timeoutMs?: number;
  /** largest response body accepted, bytes */
  maxBodyBytes?: number;
  /** progress lines (--verbose) */
  log?: (line: string) => void;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** A list of every Certificate in a large cluster stays well below this. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

class TransportError extends Error {
  constructor(message: string, readonly transient: boolean) {
    super(message);
  }
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * client-node builds a new https.Agent for every request (from the kubeconfig's CA, client
 * certificate and TLS options), so each request paid a TLS handshake. Requests whose agents carry the
 * same TLS options share one keep-alive agent instead (idle sockets do not hold the process open).
 * Any other agent (a proxy agent from proxy-url) is used as given.
 */
const sharedAgents = new Map<string, HttpsAgent>();
const TLS_OPTION_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

export function reusableAgent(agent: unknown): unknown {
  if (!(agent instanceof HttpsAgent) || agent.constructor !== HttpsAgent) return agent;
  const options = (agent as HttpsAgent & { options: Record<string, unknown> }).options;
  const picked: Record<string, unknown> = {};
  for (const k of TLS_OPTION_KEYS) if (options[k] !== undefined) picked[k] = options[k];
  const key = JSON.stringify(TLS_OPTION_KEYS.map((k) => {
    const v = picked[k];
    return Buffer.isBuffer(v) ? v.toString('base64') : Array.isArray(v) ? v.map((x) => (Buffer.isBuffer(x) ? x.toString('base64') : String(x))) : v;
  }));
  let shared = sharedAgents.get(key);
  if (!shared) {
    if (sharedAgents.size >= 16) sharedAgents.clear();
    shared = new HttpsAgent({ ...picked, keepAlive: true });
    sharedAgents.set(key, shared);
  }
  return shared;
}

function once(req: K8s.RequestContext, opts: TransportOptions): Promise<Answer> {
  const url = new URL(req.getUrl());
  const headers: Record<string, string | string[]> = { ...req.getHeaders() };
  if (opts.as !== undefined) headers['Impersonate-User'] = opts.as;
  if (opts.asGroups && opts.asGroups.length > 0) headers['Impersonate-Group'] = [...opts.asGroups];
  const body = req.getBody();
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  const max = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return new Promise((resolve, reject) => {
    const r = send(url, { method: req.getHttpMethod().toString(), headers, agent: (url.protocol === 'http:' ? req.getAgent() : reusableAgent(req.getAgent())) as never, timeout: opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max) {
          res.destroy();
          reject(new TransportError(`response larger than ${max} bytes`, false));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res.headers), body: Buffer.concat(chunks) }));
      res.on('error', (e: NodeJS.ErrnoException) => reject(new TransportError(e.message, TRANSIENT_CODES.has(e.code ?? ''))));
    });
    r.on('timeout', () => r.destroy(new TransportError(`no answer within ${Math.round((opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) / 1000)} s`, false)));
    r.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof TransportError ? e : new TransportError(e.message, TRANSIENT_CODES.has(e.code ?? ''))));
    if (typeof body === 'string' || Buffer.isBuffer(body)) r.write(body);
    r.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request, retried while the answer is transient and the --wait deadline allows another try. */
export async function sendWithRetry(req: K8s.RequestContext, opts: TransportOptions): Promise<Answer> {
  const deadline = Date.now() + opts.waitMs;
  for (let attempt = 1; ; attempt++) {
    let transient: string;
    try {
      const a = await once(req, opts);
      if (!TRANSIENT_STATUS.has(a.status)) return a;
      transient = `HTTP ${a.status}`;
      if (Date.now() + backoff(attempt) > deadline) return a;
    } catch (e) {
      const err = e instanceof TransportError ? e : new TransportError(String(e), false);
      if (!err.transient || Date.now() + backoff(attempt) > deadline) throw err;
      transient = err.message;
    }
    opts.log?.(`${req.getHttpMethod().toString()} ${new URL(req.getUrl()).pathname}: ${transient}; retrying in ${backoff(attempt)} ms (--wait)`);
    await sleep(backoff(attempt));
  }
}

/** 250 ms doubling to 5 s. */
function backoff(attempt: number): number {
  return Math.min(5000, 250 * 2 ** (attempt - 1));
}

/** client-node's PromiseHttpLibrary over sendWithRetry. */
export function httpLibrary(k8s: Pick<typeof import('./kube.js'), 'wrapHttpLibrary' | 'ResponseContext'>, opts: TransportOptions): K8s.HttpLibrary {
  return k8s.wrapHttpLibrary({
    async send(req) {
      const what = `${req.getHttpMethod().toString()} ${new URL(req.getUrl()).pathname}`;
      let a: Answer;
      try {
        a = await sendWithRetry(req, opts);
      } catch (e) {
        opts.log?.(`${what}: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
      opts.log?.(`${what}: HTTP ${a.status}`);
      return new k8s.ResponseContext(a.status, a.headers, { text: async () => a.body.toString('utf8'), binary: async () => a.body });
    },
  });
}
