/**
 * Keep the webhook's young generation at its initial size.
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

let applied = false;

/** Process-wide; call once from the process that serves (the `serve` command, the bench's server). */
export function holdYoungGeneration(): void {
  if (applied) return;
  setFlagsFromString(YOUNG_GENERATION_FLAG);
  applied = true;
}
