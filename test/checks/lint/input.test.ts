import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entriesOf, parseSource } from '../../../checks/lint/input.js';
import { LIMITS } from '../../../checks/limits.js';
import { runInProcess } from '../../helpers/cli.js';

t.test('stdin over the size bound is refused', async (t) => {
  const r = await runInProcess(['lint', '-'], { stdin: 'a'.repeat(LIMITS.inputBytes + 1) });
  t.equal(r.code, 2);
  t.equal(r.stderr, 'linkerd-cert-guard: cannot read <stdin>: larger than 64 MiB\n');
});

t.test('a YAML alias bomb is refused by the expanded-size bound, quickly and in one line', async (t) => {
  let bomb = 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: linkerd-identity-issuer, namespace: linkerd}\nspec:\n  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 10; i++) bomb += `  a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]\n`;
  bomb += '  dnsNames: *a9\n';
  t.ok(bomb.length < 1300, 'about 1.2 KB');
  t.throws(() => parseSource('bomb.yaml', bomb), { code: 'LCG_INPUT_TOO_LARGE', message: /^bomb\.yaml:1: document 0 is more than 1000000 values/ });
  const r = await runInProcess(['lint', '-'], { stdin: bomb });
  t.equal(r.code, 2);
  t.match(r.stderr, /^linkerd-cert-guard: <stdin>:1: document 0 is more than 1000000 values once its YAML aliases are expanded\n$/);
  const check = await runInProcess(['check', '--from', '-'], { stdin: bomb });
  t.equal(check.code, 2);
  t.match(check.stderr, /more than 1000000 values/);
});

t.test('nesting past the depth bound is a syntax-level refusal naming the line', async (t) => {
  const deep = 'a: ' + '['.repeat(LIMITS.depth + 5) + ']'.repeat(LIMITS.depth + 5) + '\n';
  t.throws(() => parseSource('deep.yaml', deep), { code: 'LCG_YAML_SYNTAX', message: /^deep\.yaml:1: nesting exceeded maxDepth \(100\)/ });
});

t.test('more documents than the bound are refused before they are decoded', async (t) => {
  const many = '---\nkind: A\n'.repeat(LIMITS.documents + 1);
  t.throws(() => parseSource('many.yaml', many), { code: 'LCG_INPUT_TOO_LARGE', message: 'many.yaml: more than 100000 YAML documents' });
  const r = await runInProcess(['check', '--from', '-'], { stdin: many });
  t.equal(r.code, 2);
  t.equal(r.stderr, 'linkerd-cert-guard: <stdin>: more than 100000 YAML documents\n');
});

t.test('the document bound holds across files too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-input-'));
  const half = '---\nkind: A\n'.repeat(LIMITS.documents / 2 + 1);
  writeFileSync(join(dir, 'a.yaml'), half);
  writeFileSync(join(dir, 'b.yaml'), half);
  const r = await runInProcess(['lint', dir]);
  t.equal(r.code, 2);
  t.match(r.stderr, /^linkerd-cert-guard: .*b\.yaml: goes past the 100000 YAML documents lint reads in one run\n$/);
});

t.test('merge keys (<<) are applied as kubectl applies them', async (t) => {
  const text = `base: &spec\n  secretName: linkerd-trust-anchor\n  isCA: true\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: linkerd-trust-anchor, namespace: cert-manager}\nspec:\n  <<: *spec\n  commonName: root.linkerd.cluster.local\n`;
  // the alias is defined in another document, which YAML does not allow; within one document:
  const one = `apiVersion: cert-manager.io/v1\nkind: List\nitems:\n- &a\n  apiVersion: cert-manager.io/v1\n  kind: Certificate\n  metadata: {name: linkerd-trust-anchor, namespace: cert-manager}\n  spec: &spec\n    secretName: linkerd-trust-anchor\n    isCA: true\n    commonName: root.linkerd.cluster.local\n    issuerRef: {kind: Issuer, name: root}\n    privateKey: {algorithm: ECDSA, rotationPolicy: Always}\n- apiVersion: cert-manager.io/v1\n  kind: Certificate\n  metadata: {name: linkerd-previous-anchor, namespace: cert-manager}\n  spec:\n    <<: *spec\n    secretName: linkerd-previous-anchor\n`;
  t.throws(() => parseSource('x.yaml', text), { code: 'LCG_YAML_SYNTAX' }, 'an alias across documents stays an error');
  const file = parseSource('one.yaml', one);
  const [, second] = entriesOf(file);
  t.same((second?.value as { spec: Record<string, unknown> }).spec.isCA, true, 'isCA comes through the merge');
  const r = await runInProcess(['lint', '-o', 'json', '-'], { stdin: one });
  const report = JSON.parse(r.stdout) as { objects: Array<{ name: string; findings: Array<{ rule: string }> }> };
  t.same(report.objects.find((o) => o.name === 'linkerd-previous-anchor')?.findings.map((f) => f.rule), [], 'no false is-ca');
  t.equal(r.code, 0);
});
