import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseDuration, run } from '../../../checks/cli/rotate.js';
import { runCli } from '../../../checks/cli/main.js';
import { rotationFixture } from '../../helpers/rotation.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (sink: string[]) => ({ write: (s: string) => (sink.push(s), true), isTTY: false }) as unknown as NodeJS.WritableStream;
  return { io: { stdout: stream(out), stderr: stream(err), stdin: process.stdin, env: {}, cwd: process.cwd() }, out: () => out.join(''), err: () => err.join('') };
}

const dir = mkdtempSync(join(tmpdir(), 'lcg-rotate-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, objects: object[]): string => {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  return file;
};

interface Plan { phase: string; steps: Array<{ id: string; state: string; title: string; detail: string }>; next: { id: string; title: string } | null; blockers: string[] }

t.test('--from places steady, staged, re-issued and retired setups at the right step', async (t) => {
  const f = await rotationFixture();
  const cases: Array<[string, object[], string, string | null]> = [
    ['steady', f.steady(), 'steady', 'renew-anchor'],
    ['staged', f.staged(), 'rotating', 'restart-control-plane'],
    ['staged-restarted', f.staged({ restarted: 'both' }), 'rotating', 'renew-issuer'],
    ['reissued', f.reissued(), 'rotating', 'restart-control-plane-after-issuer'],
    ['reissued-restarted', f.reissued({ restarted: 'both' }), 'rotating', 'retire-old-anchor'],
    ['retired', f.retired(), 'steady', 'renew-anchor'],
  ];
  for (const [name, objects, phase, next] of cases) {
    const c = io();
    t.equal(await run(['--from', write(name, objects), '-o', 'json'], c.io), 0, `${name}: exit 0`);
    const p = JSON.parse(c.out()) as Plan;
    t.equal(p.phase, phase, `${name}: phase ${phase}`);
    t.equal(p.next?.id ?? null, next, `${name}: next ${next}`);
    t.equal(p.steps.length, 7);
    t.ok(p.steps.every((s) => ['done', 'next', 'pending', 'unknown', 'blocked'].includes(s.state) && s.title.length > 0));
  }
  const text = io();
  t.equal(await run(['--from', write('staged-text', f.staged())], text.io), 0);
  t.match(text.out(), /^trust anchor rotation: rotating\n√ 1\. renew-anchor \(done\): .*\n→ 2\. restart-control-plane \(next\): 1 control-plane pod\(s\)/);
  t.match(text.out(), /\nnext: restart-control-plane: restart the control plane \(linkerd-cert-guard rotate --apply\)\n/);
  t.notMatch(text.out(), /PRIVATE KEY/, 'no key material in the report');
});

t.test('a blocked setup exits 1; --namespace limits the data plane', async (t) => {
  const f = await rotationFixture();
  const early = f.staged().map((o) => ((o as { metadata: { name: string } }).metadata.name === 'linkerd-identity-issuer' ? f.reissued().find((x) => (x as { metadata: { name: string } }).metadata.name === 'linkerd-identity-issuer')! : o));
  const c = io();
  t.equal(await run(['--from', write('early', early), '-o', 'json'], c.io), 1, 'the older order is reported as blocked');
  t.match((JSON.parse(c.out()) as Plan).blockers.join('\n'), /before every workload trusted it/);
  const scoped = io();
  t.equal(await run(['--from', write('cp-only', f.staged({ restarted: 'control-plane' })), '--namespace', 'other', '-o', 'json'], scoped.io), 0);
  t.equal((JSON.parse(scoped.out()) as Plan).next?.id, 'renew-issuer', 'emojivoto is outside --namespace other');
});

t.test('usage errors are one line and exit 2', async (t) => {
  const f = await rotationFixture();
  const file = write('usage', f.steady());
  for (const [args, msg] of [
    [['--all'], /--all needs --apply/],
    [['--from', file, '--apply'], /cannot be combined with --from/],
    [['--from', file, '--context', 'a'], /cannot be combined with --from/],
    [['--timeout', 'soon'], /--timeout: not a duration/],
    [['--bogus'], /unknown option/],
  ] as Array<[string[], RegExp]>) {
    const c = io();
    t.equal(await runCli(['rotate', ...args], c.io), 2, args.join(' '));
    t.match(c.err(), msg);
    t.equal(c.err().trim().split('\n').length, 1, 'one line');
  }
  t.equal(parseDuration('90s'), 90_000);
  t.equal(parseDuration('10m'), 600_000);
  t.throws(() => parseDuration('0s'));
  t.throws(() => parseDuration('48h'));
});
