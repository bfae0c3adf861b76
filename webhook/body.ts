/**
 * Reading an admission request body: bounded in bytes and in nesting, decoded once.
 * The admission endpoints read their bodies here rather than through express.json, whose
 * per-request cost (measured by test/bench/webhook.bench.ts) was larger than the admission
 * decision itself.
 */
import type { IncomingMessage } from 'node:http';
import { guardError, type GuardError } from '../checks/errors.js';
import { boundsViolation, LIMITS } from '../checks/limits.js';

/** The decoded body, or why it is refused (the error carries the status to answer with). */
export type BodyResult = { ok: true; value: unknown } | { ok: false; error: GuardError };

/** A declared Content-Length over the limit: known before a byte of the body is read. */
export function declaredTooLarge(req: IncomingMessage, limit: number): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > limit;
}


/**
 * Read and parse a JSON body of at most `limit` bytes. An oversized body is answered at once: a
 * declared Content-Length over the limit before any byte is read, a chunked one as soon as it
 * passes the limit (the rest is never waited for; the caller closes the connection). A decoded
 * value nested deeper than LIMITS.depth is refused before any rule reads it. Errors never quote
 * the body.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      req.resume();
      req.once('end', () => resolve({ ok: false, error: guardError('LCG_BODY_ENCODING', String(encoding)) }));
      return;
    }
    if (declaredTooLarge(req, limit)) {
      resolve({ ok: false, error: guardError('LCG_BODY_TOO_LARGE', limit) });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        req.off('data', onData);
        req.resume(); // whatever still arrives before the close is discarded
        resolve({ ok: false, error: guardError('LCG_BODY_TOO_LARGE', limit) });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (done) return;
      const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)).toString('utf8');
      chunks.length = 0;
      if (text.trim() === '') {
        resolve({ ok: true, value: undefined });
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(text) as unknown;
      } catch {
        resolve({ ok: false, error: guardError('LCG_BODY_MALFORMED') });
        return;
      }
      const broken = boundsViolation(value);
      if (broken) {
        resolve({ ok: false, error: guardError('LCG_BODY_OUT_OF_BOUNDS', broken) });
        return;
      }
      resolve({ ok: true, value });
    });
    // A client that goes away gets no answer; nothing to resolve for.
    req.once('error', () => undefined);
  });
}
