import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../checks/lint/write.js';
import { runInProcess } from '../../helpers/cli.js';

const CLI = join(process.cwd(), 'dist/bin/main.js');

/** A trust anchor without rotationPolicy: --fix adds one line to every document. */
function anchors(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(`apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: anchor-${i}\n  namespace: cert-manager\n  labels: {linkerd-cert-guard.io/role: trust-anchor}\nspec:\n  secretName: linkerd-trust-anchor\n  isCA: true\n  commonName: root.linkerd.cluster.local\n  issuerRef: {kind: Issuer, name: root}\n  privateKey:\n    algorithm: ECDSA\n`);
  }
  return docs.join('---\n');
}

function fixedText(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-write-'));
  writeFileSync(join(dir, 'x.yaml'), text);
  const r = spawnSync(process.execPath, [CLI, 'lint', '--fix', join(dir, 'x.yaml')], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return r.stdout;
}

t.test('the file keeps its mode, a link stays a link, and no temporary file is left', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-write-'));
  const real = join(dir, 'real.yaml');
  writeFileSync(real, 'old\n');
  chmodSync(real, 0o640);
  symlinkSync('real.yaml', join(dir, 'link.yaml'));
  writeFileAtomic(join(dir, 'link.yaml'), Buffer.from('new\n'));
  t.equal(readFileSync(real, 'utf8'), 'new\n');
  t.equal(statSync(real).mode & 0o777, 0o640);
  t.ok(lstatSync(join(dir, 'link.yaml')).isSymbolicLink());
  t.same(readdirSync(dir).sort(), ['link.yaml', 'real.yaml']);
});

t.test('killed at any moment during --fix --write, the file is the original or the new one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-kill-'));
  const file = join(dir, 'anchors.yaml');
  const original = anchors(3000);
  const repaired = fixedText(original);
  t.not(repaired, original);
  t.ok(repaired.length > original.length);
  // how long an unhurried run takes, to spread the kills over it (most land late, near the write)
  writeFileSync(file, original);
  const started = Date.now();
  spawnSync(process.execPath, [CLI, 'lint', '--fix', '--write', file]);
  const took = Date.now() - started;
  t.equal(readFileSync(file, 'utf8'), repaired, 'an unhurried run writes the repair');
  const outcomes = { original: 0, repaired: 0 };
  const fractions = [0.3, 0.6, 0.8, 0.9, 0.95, 0.98, 1.0, 1.02];
  for (const f of fractions) {
    writeFileSync(file, original);
    const child = spawn(process.execPath, [CLI, 'lint', '--fix', '--write', file], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    await Promise.race([exited, new Promise((r) => setTimeout(r, Math.round(took * f)))]);
    child.kill('SIGKILL');
    await exited;
    const now = readFileSync(file, 'utf8');
    t.ok(now === original || now === repaired, `killed at ${Math.round(f * 100)}% of a run: the ${now === original ? 'original' : now === repaired ? 'repaired' : 'BROKEN'} file`);
    if (now === original) outcomes.original++;
    else outcomes.repaired++;
  }
  t.equal(outcomes.original + outcomes.repaired, fractions.length);
  t.comment(`outcomes: ${outcomes.original} original, ${outcomes.repaired} repaired`);
  t.ok(readdirSync(dir).every((n) => n === 'anchors.yaml' || n.endsWith('.lcg-tmp')), 'only the file and, after a kill mid-write, a hidden temporary');
  const again = await runInProcess(['lint', '-o', 'json', dir]);
  t.equal((JSON.parse(again.stdout) as { summary: { objects: number } }).summary.objects, 3000, 'a left-behind temporary is never linted');
});

// A real ENOSPC needs a small file system to fill: a 256 KiB tmpfs, which only root may mount (CI runs as root).
const mnt = mkdtempSync(join(tmpdir(), 'lcg-full-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { encoding: 'utf8' });
const cannotMount = mounted.status === 0 ? false : `cannot mount a small tmpfs to fill (needs root): ${(mounted.stderr || mounted.error?.message || '').trim()}`;

t.test('a full disk: a clear error naming the file, the original intact', { skip: cannotMount }, async (t) => {
  t.teardown(() => {
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const file = join(mnt, 'anchors.yaml');
  const original = anchors(300); // ~100 KB: the temporary copy cannot fit beside it once the disk is nearly full
  writeFileSync(file, original);
  const filler = join(mnt, 'filler');
  try {
    for (;;) writeFileSync(filler, Buffer.alloc(4096), { flag: 'a' });
  } catch (e) {
    t.equal((e as NodeJS.ErrnoException).code, 'ENOSPC', 'the disk is full');
  }
  truncateSync(filler, Math.max(0, statSync(filler).size - 32 * 1024)); // 32 KB free: less than the file
  const r = await runInProcess(['lint', '--fix', '--write', file]);
  t.equal(r.code, 2);
  t.equal(r.stderr, `linkerd-cert-guard: cannot write ${file}: no space left on the device; the file is unchanged\n`);
  t.equal(readFileSync(file, 'utf8'), original, 'the original is intact');
  t.same(readdirSync(mnt).sort(), ['anchors.yaml', 'filler'], 'the partial temporary file is removed');
});

t.test('one read-only file among three: nothing is rewritten and the report names it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-ro-'));
  mkdirSync(join(dir, 'setup'));
  const names = ['a.yaml', 'b.yaml', 'c.yaml'];
  const text = anchors(1);
  for (const n of names) writeFileSync(join(dir, 'setup', n), text);
  chmodSync(join(dir, 'setup', 'b.yaml'), 0o444);
  const r = await runInProcess(['lint', '--fix', '--write', 'setup'], { cwd: dir });
  t.equal(r.code, 2);
  t.equal(r.stderr, 'linkerd-cert-guard: --write changed no file: cannot rewrite setup/b.yaml: the file is read-only\n');
  for (const n of names) t.equal(readFileSync(join(dir, 'setup', n), 'utf8'), text, `${n} untouched`);
  chmodSync(join(dir, 'setup', 'b.yaml'), 0o644);
  const ok = await runInProcess(['lint', '--fix', '--write', 'setup'], { cwd: dir });
  t.equal(ok.code, 0, ok.stderr);
  for (const n of names) t.match(readFileSync(join(dir, 'setup', n), 'utf8'), /rotationPolicy: Always/);
});
