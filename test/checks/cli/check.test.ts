import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, parseNow } from '../../../checks/cli/check.js';
import { runCli } from '../../../checks/cli/main.js';
import { writeExampleSetup } from '../../helpers/example-setup.js';
import { keyPem, makeLinkerdChain } from '../../helpers/pki.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = join(root, 'test/fixtures/linkerd2');
const NOW = ['--now', '2026-01-01T00:00:00Z'];
const pem = (p: string) => ['--issuer-cert', join(fixtures, `${p}-crt.pem`), '--issuer-key', join(fixtures, `${p}-key.pem`), '--trust-anchors', join(fixtures, `${p}-trust-anchors.pem`)];

function io(env: NodeJS.ProcessEnv = {}, tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (sink: string[]) => ({ write: (s: string) => (sink.push(s), true), isTTY: tty }) as unknown as NodeJS.WritableStream;
  return { io: { stdout: stream(out), stderr: stream(err), stdin: process.stdin, env, cwd: root }, out: () => out.join(''), err: () => err.join('') };
}

t.test('linkerd2 fixtures: verdicts, exit codes, table layout', async (t) => {
  for (const p of ['valid', 'valid-with-rsa-anchor']) {
    const c = io();
    t.equal(await run([...pem(p), ...NOW], c.io), 0, `${p} exits 0`);
    t.match(c.out(), /^linkerd-identity\n----------------\n√ certificate config is valid\n√ trust anchors are using supported crypto algorithm\n[\s\S]*√ issuer cert is issued by the trust anchor\n\n[\s\S]*\nStatus check results are √\n$/);
  }
  const rsa = io();
  t.equal(await run(['--issuer-cert', join(fixtures, 'rsa-ca/issuer.crt'), '--issuer-key', join(fixtures, 'rsa-ca/issuer.key'), '--trust-anchors', join(fixtures, 'rsa-ca/ca.crt'), ...NOW], rsa.io), 0, 'rsa-ca exits 0');
  const expired = io();
  t.equal(await run([...pem('expired'), ...NOW], expired.io), 1);
  t.equal(expired.out(), [
    'linkerd-identity',
    '----------------',
    '√ certificate config is valid',
    '√ trust anchors are using supported crypto algorithm',
    '× trust anchors are within their validity period',
    '    Invalid anchors:',
    '\t* 1 identity.linkerd.cluster.local not valid anymore. Expired on 1990-01-01T01:01:11Z',
    '    see https://linkerd.io/2/checks/#l5d-identity-trustAnchors-are-time-valid for hints',
    '',
    'Status check results are ×',
    '',
  ].join('\n'));
  const nvy = io();
  t.equal(await run([...pem('not-valid-yet'), ...NOW], nvy.io), 1);
  t.match(nvy.out(), '\t* 1 identity.linkerd.cluster.local not valid before: 2100-01-01T01:00:51Z\n');
  const wa = io();
  t.equal(await run([...pem('wrong-algo'), ...NOW], wa.io), 1);
  t.match(wa.out(), /must use P-256 curve for public key, instead P-521 was used\n/);
});

t.test('json: the linkerd check document plus id', async (t) => {
  const c = io();
  t.equal(await run([...pem('expired'), ...NOW, '-o', 'json'], c.io), 1);
  const doc = JSON.parse(c.out()) as { success: boolean; categories: Array<{ categoryName: string; checks: Array<Record<string, string>> }> };
  t.equal(doc.success, false);
  t.same(doc.categories.map((x) => x.categoryName), ['linkerd-identity']);
  t.same(doc.categories[0]!.checks[2], {
    description: 'trust anchors are within their validity period',
    hint: 'https://linkerd.io/2/checks/#l5d-identity-trustAnchors-are-time-valid',
    error: 'Invalid anchors:\n\t* 1 identity.linkerd.cluster.local not valid anymore. Expired on 1990-01-01T01:01:11Z',
    result: 'error',
    id: 'l5d-identity-trustAnchors-are-time-valid',
  });
  t.same(Object.keys(doc.categories[0]!.checks[0]!), ['description', 'result', 'id'], 'no hint/error on success');
  const j = io();
  t.equal(await run([...pem('expired'), ...NOW, '-o', 'junit'], j.io), 1);
  t.match(j.out(), /<failure message="Invalid anchors:" type="l5d-identity-trustAnchors-are-time-valid">/);
  const s = io();
  t.equal(await run([...pem('valid'), ...NOW, '-o', 'sarif'], s.io), 0);
  t.same((JSON.parse(s.out()) as { runs: Array<{ results: unknown[] }> }).runs[0]!.results, []);
});

t.test('--fail-on warning fails CI on an expiring issuer (linkerd2#9612)', async (t) => {
  const chain = await makeLinkerdChain({ issuer: { notAfter: new Date(Math.floor((Date.now() + 30 * 86400_000) / 1000) * 1000) } });
  const dir = mkdtempSync(join(tmpdir(), 'lcg-cli-'));
  writeFileSync(join(dir, 'i.crt'), chain.issuer.pem);
  writeFileSync(join(dir, 'i.key'), keyPem(chain.issuer.key, 'sec1'));
  writeFileSync(join(dir, 'a.crt'), chain.anchor.pem);
  const args = ['--issuer-cert', join(dir, 'i.crt'), '--issuer-key', join(dir, 'i.key'), '--trust-anchors', join(dir, 'a.crt')];
  const plain = io();
  t.equal(await run(args, plain.io), 0, 'warnings exit 0 by default, like Linkerd');
  t.match(plain.out(), /‼ issuer cert is valid for at least 60 days\n    issuer certificate will expire on /);
  t.match(plain.out(), /Status check results are √\n$/);
  t.equal(await run([...args, '--fail-on', 'warning'], io().io), 1);
  const short = io();
  await run([...args, '-o', 'short'], short.io);
  t.equal(short.out().split('\n')[0], 'linkerd-identity');
  t.notMatch(short.out(), /√ certificate config is valid/);
  t.notMatch(plain.out() + short.out(), keyPem(chain.issuer.key, 'sec1').split('\n')[1]!.slice(0, 20), 'no key material printed');
  const coloured = io({}, true);
  await run(args, coloured.io);
  t.match(coloured.out(), /\u001b\[33m‼\u001b\[39m/);
  const noColor = io({ NO_COLOR: '' }, true);
  await run(args, noColor.io);
  t.notMatch(noColor.out(), /\u001b/);
});

t.test('--from an example setup; bad input exits 2 with one line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-ex-'));
  await writeExampleSetup(dir);
  const ok = io();
  t.equal(await run(['--from', dir], ok.io), 0);
  t.match(ok.out(), /cert-manager\n------------\n/);
  // `kubectl get ... -o yaml | linkerd-cert-guard check --from -`
  const { readdirSync, readFileSync } = await import('node:fs');
  const { Readable } = await import('node:stream');
  const piped = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n---\n');
  const fromStdin = io();
  t.equal(await run(['--from', '-', '-o', 'short'], { ...fromStdin.io, stdin: Readable.from([piped]) }), 0, '--from - reads stdin');
  t.equal(fromStdin.out(), 'Status check results are √\n');
  const badStdin = io();
  await t.rejects(run(['--from', '-'], { ...badStdin.io, stdin: Readable.from(['a: [\n']) }), { message: /^<stdin>:\d+: / });
  const mesh = mkdtempSync(join(tmpdir(), 'lcg-mesh-'));
  await writeExampleSetup(mesh, { linkerdNamespace: 'mesh' });
  const wrongNs = io();
  t.equal(await run(['--from', mesh], wrongNs.io), 1, 'objects in another namespace are not Linkerd\'s');
  t.match(wrongNs.out(), /no issuer given: pass --issuer-cert and --issuer-key, or --from a file holding Secret linkerd\/linkerd-identity-issuer/);
  const rightNs = io();
  t.equal(await run(['--from', mesh, '--linkerd-namespace', 'mesh', '-o', 'short'], rightNs.io), 0, '--linkerd-namespace is respected');
  t.equal(rightNs.out(), 'Status check results are √\n');
  const cases: Array<[string[], RegExp]> = [
    [['check', '--from', join(dir, 'missing.yaml')], /^linkerd-cert-guard: cannot read --from .*missing\.yaml: no such file or directory\n$/],
    [['check', '--issuer-cert', '/nonexistent.pem', '--issuer-key', '/x'], /^linkerd-cert-guard: cannot read --issuer-cert \/nonexistent\.pem: no such file\n$/],
    [['check', ...pem('valid'), '--now', 'yesterday'], /^linkerd-cert-guard: --now: not an RFC 3339 time: "yesterday"/],
    [['check', ...pem('valid'), '-o', 'xml'], /^linkerd-cert-guard: option '-o, --output <format>' argument 'xml' is invalid/],
    [['check', '--from', dir, '--kubeconfig', '/k'], /cannot be combined with --from/],
  ];
  for (const [argv, re] of cases) {
    const c = io();
    t.equal(await runCli(argv, c.io), 2, argv.join(' '));
    t.match(c.err(), re);
    t.equal(c.err().split('\n').length, 2, 'one line');
  }
  t.same(parseNow('2026-01-01T00:00:00+02:00').toISOString(), '2025-12-31T22:00:00.000Z');
});

t.test('the built CLI as a subprocess: exit codes', async (t) => {
  const main = join(root, 'dist/bin/main.js');
  t.ok(existsSync(main), 'dist/bin/main.js, the shipped bundle, is built (npm run build)');
  if (!existsSync(main)) return;
  const exec = (args: string[]) => spawnSync(process.execPath, [main, 'check', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  t.equal(exec([...pem('valid'), ...NOW]).status, 0);
  const bad = exec([...pem('expired'), ...NOW, '-o', 'json']);
  t.equal(bad.status, 1);
  t.equal((JSON.parse(bad.stdout) as { success: boolean }).success, false);
  const unreadable = exec(['--trust-anchors', '/nonexistent']);
  t.equal(unreadable.status, 2);
  t.equal(unreadable.stderr, 'linkerd-cert-guard: cannot read --trust-anchors /nonexistent: no such file\n');
  t.notMatch(unreadable.stderr, /at .*\.js/, 'no stack trace');
  const home = mkdtempSync(join(tmpdir(), 'lcg-home-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, NO_COLOR: '1' };
  const nocluster = spawnSync(process.execPath, [main, 'check'], { encoding: 'utf8', env });
  t.equal(nocluster.status, 2, 'live mode without any kubeconfig');
  t.match(nocluster.stderr, /^linkerd-cert-guard: no kubeconfig found \(KUBECONFIG, ~\/\.kube\/config, in-cluster\): pass --kubeconfig, or check files with --from/);
});

t.test('an issuer key whose private scalar is corrupted (public key intact) fails the config check', async (t) => {
  const chain = await makeLinkerdChain();
  const dir = mkdtempSync(join(tmpdir(), 'lcg-check-key-'));
  const der = Buffer.from(keyPem(chain.issuer.key, 'sec1').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  der[7 + 10] = (der[7 + 10] ?? 0) ^ 0x5a; // inside the 32-byte scalar of SEC1's `30 77 02 01 01 04 20 <d>`
  const pemText = `-----BEGIN EC PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END EC PRIVATE KEY-----\n`;
  writeFileSync(join(dir, 'i.crt'), chain.issuer.pem);
  writeFileSync(join(dir, 'i.key'), pemText);
  writeFileSync(join(dir, 'good.key'), keyPem(chain.issuer.key, 'sec1'));
  writeFileSync(join(dir, 'a.crt'), chain.anchor.pem);
  const good = io();
  t.equal(await run(['--issuer-cert', join(dir, 'i.crt'), '--issuer-key', join(dir, 'good.key'), '--trust-anchors', join(dir, 'a.crt'), '-o', 'json'], good.io), 0, 'the intact key passes');
  const bad = io();
  t.equal(await run(['--issuer-cert', join(dir, 'i.crt'), '--issuer-key', join(dir, 'i.key'), '--trust-anchors', join(dir, 'a.crt'), '-o', 'json'], bad.io), 1);
  const report = JSON.parse(bad.out()) as { categories: Array<{ checks: Array<{ description: string; result: string; error?: string }> }> };
  const config = report.categories[0]?.checks[0];
  t.equal(config?.description, 'certificate config is valid');
  t.equal(config?.result, 'error');
  t.match(config?.error, /^tls: the private key does not sign for the certificate/);
  const keyBody = pemText.split('\n')[1] as string;
  t.notOk(bad.out().includes(keyBody.slice(0, 20)), 'no key byte in the report');
});

t.test('linkerd check extension: _extension-metadata and the forwarded flag values', async (t) => {
  const { runInProcess } = await import('../../helpers/cli.js');
  const meta = await runInProcess(['_extension-metadata']);
  t.equal(meta.code, 0);
  t.same(JSON.parse(meta.stdout), { name: 'linkerd-cert-guard', checks: 'always' });
  t.equal(meta.stdout.trim().split('\n').length, 1, 'one JSON value');
  const { parseGoDuration, collectGroups, parseBool } = await import('../../../checks/cli/check.js');
  t.equal(parseGoDuration('5m0s'), 300_000);
  t.equal(parseGoDuration('1h'), 3_600_000);
  t.equal(parseGoDuration('1.5s'), 1500);
  t.equal(parseGoDuration('250ms'), 250);
  t.equal(parseGoDuration('0'), 0);
  t.throws(() => parseGoDuration('2h'), { message: '--wait is at most 1h' });
  t.throws(() => parseGoDuration('5 minutes'), { message: '--wait expects a duration such as 5m0s or 30s' });
  t.same(collectGroups('[]', []), [], 'pflag\'s empty string array is no group');
  t.same(collectGroups('[a,b]', []), ['a', 'b']);
  t.same(collectGroups('["x,y",z]', []), ['x,y', 'z'], 'CSV quoting as Go writes it');
  t.same(collectGroups('plain', ['a']), ['a', 'plain']);
  t.throws(() => collectGroups('g', Array.from({ length: 64 }, (_, i) => `g${i}`)), { message: '--as-group: at most 64 groups' });
  const ns = await runInProcess(['check', ...pem('valid'), ...NOW, '--namespace=apps', '--proxy=false']);
  t.equal(ns.code, 0, '--namespace without --proxy is accepted (linkerd check forwards it either way)');
  t.equal(parseBool('--proxy')('false'), false);
  t.equal(parseBool('--proxy')('true'), true);
  for (const [args, line] of [
    [['--wait=forever'], "option '--wait <duration>' argument 'forever' is invalid. --wait expects a duration such as 5m0s or 30s"],
    [['--proxy=maybe'], "option '--proxy [bool]' argument 'maybe' is invalid. --proxy expects true or false"],
    [['--as=alice', '--from', 'x'], '--kubeconfig/--context/--api-addr/--as/--as-group read a live cluster; they cannot be combined with --from or PEM files'],
  ] as const) {
    const r = await runInProcess(['check', ...args]);
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.stderr, `linkerd-cert-guard: ${line}\n`);
  }
});
