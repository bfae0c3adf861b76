import t from 'tap';
import { readFileSync } from 'node:fs';
import { runInProcess } from '../../helpers/cli.js';

t.test('no command prints the usage and exits 2; --help exits 0', async (t) => {
  const none = await runInProcess([]);
  t.equal(none.code, 2);
  t.match(none.stdout, /^Usage: linkerd-cert-guard <command>/);
  for (const flag of ['--help', '-h', 'help']) {
    const r = await runInProcess([flag]);
    t.equal(r.code, 0, flag);
    t.match(r.stdout, /lint {2}\[PATH\|-\]\.\.\./);
  }
});

t.test('--version prints the package version', async (t) => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) t.same(await runInProcess([flag]), { code: 0, stdout: `${version}\n`, stderr: '' });
});

t.test('an unknown command is a one-line usage error', async (t) => {
  const r = await runInProcess(['lnit']);
  t.equal(r.code, 2);
  t.equal(r.stderr, "linkerd-cert-guard: unknown command 'lnit' (expected lint, check, serve, rotate or policy)\n");
});

t.test('a command\'s input error is reported in one line, no stack trace', async (t) => {
  const r = await runInProcess(['lint', 'no-such-file.yaml']);
  t.equal(r.code, 2);
  t.equal(r.stderr, 'linkerd-cert-guard: cannot read no-such-file.yaml: no such file or directory\n');
});

t.test('the shipped bundle (package.json bin) loads every command from its own chunks', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { existsSync, mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; bin: Record<string, string> };
  const bin = join(process.cwd(), pkg.bin['linkerd-cert-guard'] ?? '');
  t.ok(existsSync(bin), `${bin} is built (npm run build)`);
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
  t.equal(run(['--version']).stdout, `${pkg.version}\n`);
  for (const command of ['lint', 'check', 'serve', 'rotate', 'policy', '_extension-metadata']) {
    const r = run([command, '--help']);
    t.equal(r.status, 0, `${command} --help: ${r.stderr}`);
    t.match(r.stdout, /^Usage: /, command);
  }
  // the lazily loaded parts: the comment-keeping YAML parser (--fix) and the Kubernetes client
  const fixed = spawnSync(process.execPath, [bin, 'lint', '--fix', '-'], { input: 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: linkerd-trust-anchor, namespace: cert-manager}\nspec: {isCA: true, commonName: root.linkerd.cluster.local, secretName: linkerd-trust-anchor, issuerRef: {name: x, kind: ClusterIssuer}, privateKey: {algorithm: ECDSA}}\n', encoding: 'utf8' });
  t.match(fixed.stdout, /rotationPolicy: Always/, 'lint --fix repairs through the bundled chunks');
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'lcg-bundle-')), 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n');
  const live = run(['check', '--kubeconfig', kubeconfig, '--context', 'elsewhere']);
  t.equal(live.status, 2, live.stderr);
  t.equal(live.stderr, 'linkerd-cert-guard: context "elsewhere" not found in kubeconfig\n', 'the Kubernetes client loads and reads the kubeconfig');
});
