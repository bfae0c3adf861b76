import t from 'tap';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../checks/cli/check.js';
import { writeExampleSetup } from './example-setup.js';

t.test('writes a healthy setup that check passes, with the key only in the issuer Secret', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-example-'));
  const files = await writeExampleSetup(dir);
  t.same(files.map((f) => f.slice(dir.length + 1)), ['namespace.yaml', 'issuer-secret.yaml', 'trust-roots.yaml', 'linkerd-config.yaml', 'anchor-secret.yaml', 'cert-manager.yaml']);
  for (const f of files) t.equal(statSync(f).mode & 0o777, 0o600, `${f} is private`);
  const secret = readFileSync(join(dir, 'issuer-secret.yaml'), 'utf8');
  t.match(secret, /tls\.key: /);
  for (const f of files.filter((x) => !x.endsWith('issuer-secret.yaml'))) t.notMatch(readFileSync(f, 'utf8'), /PRIVATE KEY|tls\.key/, `${f} holds no private key`);
  const out: string[] = [];
  const stream = { write: (s: string) => (out.push(s), true), isTTY: false } as unknown as NodeJS.WritableStream;
  const code = await run(['--from', dir, '-o', 'json'], { stdout: stream, stderr: stream, stdin: process.stdin, env: {}, cwd: dir });
  const doc = JSON.parse(out.join('')) as { success: boolean; categories: Array<{ categoryName: string; checks: Array<{ result: string }> }> };
  t.equal(code, 0);
  t.ok(doc.categories.every((c) => c.checks.every((x) => x.result === 'success')), 'every check passes, no warning');
  t.same(doc.categories.map((c) => c.categoryName), ['linkerd-identity', 'linkerd-identity-trust-bundle', 'linkerd-identity-issuer-ca', 'cert-manager']);
});
