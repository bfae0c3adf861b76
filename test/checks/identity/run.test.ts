import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { allChecks, CATEGORIES, runChecks, type Category } from '../../../checks/identity/run.js';
import type { IdentitySnapshot } from '../../../checks/identity/types.js';

const snap: IdentitySnapshot = { now: new Date(), config: resolveConfig(), mode: 'files', scheme: 'files', configErrors: [], anchorSecrets: [] };

t.test('catalogue: SPEC order, unique ids, Linkerd hint URLs for Linkerd checks', async (t) => {
  const all = allChecks();
  const ids = all.map((c) => c.id);
  t.equal(new Set(ids).size, ids.length, 'ids are unique');
  t.same(CATEGORIES.map((c) => c.name), ['linkerd-identity', 'linkerd-identity-trust-bundle', 'linkerd-identity-issuer-ca', 'cert-manager', 'linkerd-identity-data-plane']);
  t.same(all.filter((c) => c.category === 'linkerd-identity').map((c) => [c.description, c.fatal === true, c.warning === true]), [
    ['certificate config is valid', true, false],
    ['trust anchors are using supported crypto algorithm', true, false],
    ['trust anchors are within their validity period', true, false],
    ['trust anchors are valid for at least 60 days', false, true],
    ['issuer cert is using supported crypto algorithm', true, false],
    ['issuer cert is within its validity period', true, false],
    ['issuer cert is valid for at least 60 days', false, true],
    ['issuer cert is issued by the trust anchor', false, false],
  ]);
  for (const c of all) {
    if (c.id.startsWith('l5d-')) t.equal(c.hint, `https://linkerd.io/2/checks/#${c.id}`);
    t.ok(c.recommendation.length > 20, `${c.id} has a recommendation`);
  }
});

t.test('semantics: fatal stops everything, warnings keep success, skips are not emitted, a throwing check is an error', async (t) => {
  const mk = (name: string, verdicts: Array<{ v: unknown; fatal?: boolean; warning?: boolean } | 'throw'>): Category => ({
    name,
    applies: () => true,
    checks: verdicts.map((x, i) => ({
      id: `${name}-${i}`,
      description: `${name} ${i}`,
      hint: 'h',
      recommendation: 'r',
      ...(x !== 'throw' && x.fatal ? { fatal: true } : {}),
      ...(x !== 'throw' && x.warning ? { warning: true } : {}),
      run: () => {
        if (x === 'throw') throw new Error('boom\nsecond line');
        return x.v as never;
      },
    })),
  });
  const r = await runChecks(snap, [
    mk('a', [{ v: undefined }, { v: 'soon', warning: true }, { v: { skip: true } }, { v: { note: 'renews' } }, 'throw']),
    mk('b', [{ v: { error: 'forced warning', result: 'warning' } }, { v: 'dead', fatal: true }, { v: undefined }]),
    mk('c', [{ v: undefined }]),
  ]);
  t.same(r.results.map((x) => [x.id, x.result]), [['a-0', 'success'], ['a-1', 'warning'], ['a-3', 'success'], ['a-4', 'error'], ['b-0', 'warning'], ['b-1', 'error']]);
  t.equal(r.results[2]!.description, 'a 3\nrenews');
  t.equal(r.results[3]!.error, 'check failed to run: boom');
  t.same(r.categories.map((c) => c.name), ['a', 'b']);
  t.equal(r.success, false);
  const warnOnly = await runChecks(snap, [mk('w', [{ v: 'x', warning: true }])]);
  t.equal(warnOnly.success, true);
});
