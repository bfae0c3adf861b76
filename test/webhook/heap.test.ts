import t from 'tap';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OLD_GENERATION_FLAG, YOUNG_GENERATION_FLAG } from '../../webhook/heap.js';
import { REPO_ROOT } from './helpers.js';

// Fresh processes: the tap process's own heap has long grown, so it could not show anything.
function storm(hold: boolean): { before: number; after: number } {
  const heapUrl = pathToFileURL(resolve(REPO_ROOT, 'webhook/heap.ts')).href;
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const { holdYoungGeneration } = await import(${JSON.stringify(heapUrl)});
    const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    if (${hold}) { holdYoungGeneration(); holdYoungGeneration(); }
    const before = size();
    // Many short-lived objects with some survivors: what makes V8 grow the space by default.
    let keep = [];
    for (let i = 0; i < 300000; i++) {
      const o = { i, s: 'request-' + i, a: [i, i + 1, i + 2], nested: { deep: { x: i } } };
      if (i % 64 === 0) keep.push(o);
      if (keep.length > 2000) keep = [];
    }
    process.stdout.write(JSON.stringify({ before, after: size() }));`;
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
  const out = execFileSync(process.execPath, [...loader, '--input-type=module', '-e', script], { env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(out.toString()) as { before: number; after: number };
}

t.test('the young generation stays small under an allocation storm', async (t) => {
  t.equal(YOUNG_GENERATION_FLAG, '--semi-space-growth-factor=1');
  const grown = storm(false);
  const held = storm(true);
  // (loading TypeScript has already grown it somewhat by the time the storm starts)
  t.ok(grown.after >= 2 * grown.before, `by default V8 grows it: ${grown.before} -> ${grown.after} bytes`);
  t.ok(held.after <= held.before, `held: ${held.before} -> ${held.after} bytes`);
});

// Large garbage, as hostile traffic of near-limit bodies makes it: each a string in large-object space.
function largeBodies(hold: boolean): number {
  const heapUrl = pathToFileURL(resolve(REPO_ROOT, 'webhook/heap.ts')).href;
  const script = `
    import { getHeapStatistics } from 'node:v8';
    const { holdYoungGeneration } = await import(${JSON.stringify(heapUrl)});
    if (${hold}) holdYoungGeneration();
    let peak = 0;
    let keep = [];
    for (let i = 0; i < 300; i++) {
      const body = JSON.stringify({ i, pad: ' '.repeat(2_900_000) });
      keep.push(JSON.parse(body).i);
      peak = Math.max(peak, getHeapStatistics().total_heap_size);
    }
    process.stdout.write(JSON.stringify({ peak, kept: keep.length }));`;
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
  const out = execFileSync(process.execPath, [...loader, '--input-type=module', '-e', script], { env: { ...process.env, NODE_OPTIONS: '' } });
  return (JSON.parse(out.toString()) as { peak: number }).peak;
}

t.test('the old generation stays close to what is live when large bodies are garbage', async (t) => {
  t.equal(OLD_GENERATION_FLAG, '--heap-growing-percent=20');
  const grown = largeBodies(false);
  const held = largeBodies(true);
  t.ok(held < grown * 0.8, `peak heap: ${(grown / 1048576).toFixed(0)} MB by default, ${(held / 1048576).toFixed(0)} MB held`);
});
