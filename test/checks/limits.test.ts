import t from 'tap';
import { boundsViolation, clip, LIMITS, quote } from '../../checks/limits.js';
import { resolveConfig } from '../../checks/config.js';
import { judge } from '../../checks/rules/engine.js';

function nested(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

t.test('boundsViolation: depth and expanded size, iteratively', async (t) => {
  t.equal(boundsViolation({ a: [1, { b: 'c' }] }), undefined);
  t.equal(boundsViolation(nested(LIMITS.depth - 1)), undefined);
  t.equal(boundsViolation(nested(LIMITS.depth + 1)), 'nested deeper than 100 levels');
  t.equal(boundsViolation(nested(200_000)), 'nested deeper than 100 levels', 'no stack overflow however deep');
  // shared references, as a YAML alias bomb decodes: 9^7 leaves from a few hundred bytes
  let bomb: unknown = ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol'];
  for (let i = 0; i < 7; i++) bomb = Array(9).fill(bomb);
  t.match(boundsViolation(bomb), /^more than 1000000 values/);
  t.equal(boundsViolation('scalar'), undefined);
});

t.test('quote and clip bound what a message repeats', async (t) => {
  t.equal(quote('48x'), '"48x"');
  t.equal(quote(48), '48');
  t.equal(quote(undefined), 'unset');
  t.equal(quote({ a: 1 }), 'a mapping');
  t.equal(quote([1]), 'a list');
  const long = quote('y'.repeat(10_000));
  t.ok(long.length < 100, long);
  t.match(long, /^"y{64}\.\.\." \(10000 characters\)$/);
  t.equal(clip('linkerd'), 'linkerd');
  t.match(clip('n'.repeat(500)), /^n{64}\.\.\. \(500 characters\)$/);
});

t.test('a deeply nested or huge value in a quoted field gives a short message, not a crash', async (t) => {
  const config = resolveConfig();
  for (const [field, value] of [
    ['secretName', nested(5000)],
    ['duration', nested(5000)],
    ['secretName', 's'.repeat(1_000_000)],
    ['duration', 'd'.repeat(1_000_000)],
  ] as const) {
    const cert = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'linkerd-identity-issuer', namespace: 'linkerd' },
      spec: { [field]: value, privateKey: { algorithm: { x: nested(5000) } } },
    };
    const { findings } = judge(cert, config, { lint: false });
    t.ok(findings.some((f) => f.path === `spec.${field}`), `${field} judged`);
    const longest = Math.max(...findings.map((f) => f.message.length));
    t.ok(longest < 600, `${field}: longest message ${longest} characters`);
  }
});
