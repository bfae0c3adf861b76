/**
 * Reading an admission request body: bounded, drained, decoded once.
 * The admission endpoints read their bodies here rather than through express.json, whose
 * per-request cost (measured by test/bench/webhook.bench.ts) was larger than the admission
 * decision itself.
 */
import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { ok: true; value: unknown }
  | { ok: false; status: 400 | 413 | 415; error: string };

/**
 * Read and parse a JSON body of at most `limit` bytes. An oversized body is read to its end
 * and thrown away before the 413 is sent, so the client is never cut off mid-upload and
 * always sees the answer; Node's requestTimeout bounds a client that never stops.
 * Parse errors never quote the body.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      req.resume();
      req.once('end', () => resolve({ ok: false, status: 415, error: `unsupported content-encoding ${JSON.stringify(encoding).slice(0, 40)}` }));
      return;
    }
    const declared = Number(req.headers['content-length']);
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (tooLarge) {
        resolve({ ok: false, status: 413, error: `request body exceeds ${limit} bytes` });
        return;
      }
      const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)).toString('utf8');
      if (text.trim() === '') {
        resolve({ ok: true, value: undefined });
        return;
      }
      try {
        resolve({ ok: true, value: JSON.parse(text) as unknown });
      } catch {
        resolve({ ok: false, status: 400, error: 'malformed JSON: the body is not a JSON document' });
      }
    });
    // A client that goes away gets no answer; nothing to resolve for.
    req.once('error', () => undefined);
  });
}
