import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseHostPort, run } from '../../../checks/cli/serve.js';
import type { CliIO } from '../../../checks/cli/io.js';
import { call, makeServingCert, reviewOf, seedObject, writeSecretVolume, REPO_ROOT } from '../../webhook/helpers.js';

function io(): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd(), out: () => out, err: () => err };
}

const serving = await makeServingCert('serve-cli.test');
const tlsDir = join(mkdtempSync(join(tmpdir(), 'lcg-serve-cli-')), 'tls');
writeSecretVolume(tlsDir, { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem });

t.test('usage errors and unreadable TLS files: one line, exit 2', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'lcg-serve-empty-'));
  const cases: Array<[string[], RegExp]> = [
    [[], /^linkerd-cert-guard: serve needs a serving certificate: --tls-dir DIR or --tls-cert FILE --tls-key FILE\n$/],
    [['--tls-cert', 'a.crt'], /--tls-cert needs --tls-key\n$/],
    [['--tls-dir', tlsDir, '--tls-key', 'k'], /--tls-dir names the serving certificate directory; it cannot be combined with --tls-cert\/--tls-key\n$/],
    [['--tls-dir', empty, '--no-cache'], /^linkerd-cert-guard: cannot read .*tls\.crt: ENOENT\n$/],
    [['--tls-dir', tlsDir, '--listen', 'localhost'], /--listen: not HOST:PORT: "localhost" \(e\.g\. 0\.0\.0\.0:9443 or \[::\]:9443\)\n$/],
    [['--tls-dir', tlsDir, '--metrics-listen', '1.2.3.4:99999'], /--metrics-listen: not HOST:PORT: "1\.2\.3\.4:99999"/],
    [['--tls-dir', tlsDir, '--drain-delay', 'soon'], /--drain-delay: not a number of seconds: "soon"\n$/],
    [['--tls-dir', tlsDir, '--mode', 'block'], /option '--mode <mode>' argument 'block' is invalid. Allowed choices are enforce, repair, audit/],
    [['--tls-dir', tlsDir, '--config', join(empty, 'missing.yaml')], /^linkerd-cert-guard: cannot read config .*missing\.yaml: no such file\n$/],
    [['--tls-dir', tlsDir, '--trust-domain', 'Not A Domain'], /invalid configuration: trustDomain/],
    [['--tls-dir', tlsDir, '--bogus'], /unknown option '--bogus'/],
    [['--tls-dir', tlsDir, 'extra'], /too many arguments|excess/i],
    [['--tls-dir', tlsDir, '--cache-max-objects', '0'], /--cache-max-objects: 0 is out of range \(1 to 100000\)\n$/],
    [['--tls-dir', tlsDir, '--cache-max-objects', '2.5'], /--cache-max-objects: not a whole number: "2\.5"/],
    [['--tls-dir', tlsDir, '--no-cache', '--kubeconfig', 'k'], /--kubeconfig\/--context are what the cache reads the cluster with; they cannot be combined with --no-cache\n$/],
    [['--tls-dir', tlsDir, '--kubeconfig', join(empty, 'missing-kubeconfig')], /^linkerd-cert-guard: cannot load kubeconfig .*missing-kubeconfig: /],
  ];
  for (const [argv, expected] of cases) {
    const x = io();
    const code = await run(argv, x);
    t.equal(code, 2, argv.join(' ') || '(no flags)');
    t.match(x.err(), expected);
    t.equal(x.err().split('\n').length, 2, 'exactly one line');
    t.notMatch(x.err(), /\s+at /, 'no stack trace');
  }
  const help = io();
  t.equal(await run(['--help'], help), 0);
  t.match(help.out(), /--tls-dir <dir>/);
  t.match(help.out(), /--drain-delay <seconds>/);
  t.match(help.out(), /--no-cache +judge each object alone/);
});

t.test('HOST:PORT parsing', async (t) => {
  t.same(parseHostPort('0.0.0.0:9443', '--listen'), { host: '0.0.0.0', port: 9443 });
  t.same(parseHostPort(':9090', '--listen'), { host: '0.0.0.0', port: 9090 });
  t.same(parseHostPort('[::]:9443', '--listen'), { host: '::', port: 9443 });
  t.same(parseHostPort('127.0.0.1:0', '--listen'), { host: '127.0.0.1', port: 0 });
  t.same(parseHostPort('webhook.local:8443', '--listen'), { host: 'webhook.local', port: 8443 });
  t.throws(() => parseHostPort('::1:9443', '--listen'), { code: 'LCG_FLAG_INVALID' });
  t.throws(() => parseHostPort('host:', '--listen'), { code: 'LCG_FLAG_INVALID' });
});

t.test('a real serve process: answers, then drains on SIGTERM and exits 0', async (t) => {
  // The CLI entry (main.ts, dispatching `serve`) in a child, with the TypeScript loader tap gives this test.
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
  const mainUrl = pathToFileURL(resolve(REPO_ROOT, 'checks/cli/main.ts')).href;
  const ioUrl = pathToFileURL(resolve(REPO_ROOT, 'checks/cli/io.ts')).href;
  const script = `const { runCli } = await import(${JSON.stringify(mainUrl)}); const { processIO } = await import(${JSON.stringify(ioUrl)}); process.exitCode = await runCli(process.argv.slice(1), processIO());`;
  const child = spawn(
    process.execPath,
    [...loader, '--input-type=module', '-e', script, '--', 'serve', '--tls-dir', tlsDir, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--drain-delay', '0.5', '--mode', 'repair', '--no-cache'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let buffered = '';
  const listening = new Promise<Record<string, unknown>>((resolveListening, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      buffered += c.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        if (line.msg === 'listening') resolveListening(line);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited early with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000).unref();
  });
  const started = await listening;
  t.equal(started.mode, 'repair', '--mode overrides the config');
  const port = Number(String(started.listen).split(':').pop());
  const broken = structuredClone(seedObject('001-cert-manager-trust-manager.yaml', 'Certificate', 'linkerd-identity-issuer')) as { spec: Record<string, unknown> };
  broken.spec.isCA = false;
  const body = JSON.stringify(reviewOf(broken as never, { uid: 'cli-1' }));
  const v = await call(port, '/validate', { body, ca: serving.certPem });
  t.equal(v.status, 200);
  t.match(v.json, { response: { uid: 'cli-1', allowed: true, warnings: [/certificate\/is-ca/] } }, 'repair mode warns instead of denying');

  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const signalledAt = Date.now();
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 150));
  const during = await call(port, '/validate', { body, ca: serving.certPem });
  t.equal(during.status, 200, 'still serving during the drain delay');
  t.equal((await call(port, '/readyz', { ca: serving.certPem })).status, 503, 'but no longer ready');
  const code = await exited;
  t.equal(code, 0, 'exit 0 after the drain');
  t.ok(Date.now() - signalledAt >= 450, `waited the drain delay (${Date.now() - signalledAt} ms)`);
  t.ok(lines.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'));
  t.ok(lines.some((l) => l.msg === 'drained'));
  t.equal(stderr, '', 'nothing on stderr');
});
