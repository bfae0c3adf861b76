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
