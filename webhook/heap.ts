/**
 * Keep the webhook's young generation at its initial size, and its old generation close to what
 * is live.
 *
 * Under load V8 doubles the young generation up to 3 x 16 MiB whenever allocation is fast,
 * and every admission review allocates (a parsed body, a judgement, a response); measured by
 * test/bench/webhook.bench.ts this took the process from about 67 MB to about 95 MB of RSS
 * for no throughput gain: the objects die young either way, and scavenging a small space is
 * as cheap. The growth factor is read each time V8 considers growing the space, so setting
 * it once at startup holds it (unlike --max-semi-space-size, which is fixed when the heap is
 * created and would need NODE_OPTIONS).
 */
import { setFlagsFromString } from 'node:v8';

export const YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';

/**
 * Grow the old generation by at most 20% between full collections. A review body of up to the
 * 3 MiB limit becomes a string of that size, which V8 keeps in its large-object space until a full
 * collection; with V8's own growing factor, hostile traffic full of large bodies let that garbage
 * pile up: serve's peak RSS under `npm run fuzz` was 137-156 MB, heap up to 62 MB. With this flag
 * it was about 115 MB (heap 33 MB) at the same request rate (test/bench/fuzz.bench.ts).
 */
export const OLD_GENERATION_FLAG = '--heap-growing-percent=20';

let applied = false;

/** Process-wide; call once from the process that serves (the `serve` command, the bench's server). */
export function holdYoungGeneration(): void {
  if (applied) return;
  setFlagsFromString(YOUNG_GENERATION_FLAG);
  setFlagsFromString(OLD_GENERATION_FLAG);
  applied = true;
}
