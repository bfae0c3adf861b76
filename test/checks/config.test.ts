import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../helpers/cli.js';
import { DEFAULT_CONFIG, resolveConfig, loadConfigFile, identityName } from '../../checks/config.js';
import { GuardError } from '../../checks/errors.js';

t.test('defaults are the names Linkerd uses', async (t) => {
  const c = resolveConfig();
  t.equal(c.linkerdNamespace, 'linkerd');
  t.equal(c.trustNamespace, 'cert-manager');
  t.equal(c.bundleKey, 'ca-bundle.crt');
  t.same(c.anchorNames, ['linkerd-trust-anchor', 'linkerd-previous-anchor']);
  t.equal(identityName(c), 'identity.linkerd.cluster.local');
  t.not(c.anchorNames, DEFAULT_CONFIG.anchorNames, 'defaults are copied, not shared');
});

t.test('later layers win and rule overrides merge', async (t) => {
  const c = resolveConfig({ linkerdNamespace: 'mesh', rules: { 'certificate/is-ca': { severity: 'warning' } } }, { rules: { 'certificate/is-ca': { repair: false } } });
  t.equal(c.linkerdNamespace, 'mesh');
  t.same(c.rules['certificate/is-ca'], { severity: 'warning', repair: false });
});

t.test('a bad value names the key', async (t) => {
  t.throws(() => resolveConfig({ trustDomain: 'Not A Domain' }), { code: 'LCG_CONFIG_INVALID', message: /trustDomain/ });
  t.throws(() => resolveConfig({ mode: 'block' as never }), { message: /mode: must be one of enforce, repair, audit/ });
  t.throws(() => resolveConfig({ rules: { 'x/y': { severity: 'fatal' as never } } }), { message: /rules\.x~1y\.severity|rules\.x\/y\.severity/ });
});

t.test('config files: YAML, unknown keys, syntax errors, missing files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-config-'));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, '# comment\nlinkerdNamespace: mesh\nanchorNames: [a, b]\n');
  t.same(loadConfigFile(good), { linkerdNamespace: 'mesh', anchorNames: ['a', 'b'] });
  const unknown = join(dir, 'unknown.yaml');
  writeFileSync(unknown, 'linkerdNamespce: mesh\n');
  t.throws(() => loadConfigFile(unknown), { message: /linkerdNamespce: unknown key/ });
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'a: b\n  c: [\n');
  t.throws(() => loadConfigFile(broken), GuardError);
  t.throws(() => loadConfigFile(join(dir, 'nope.yaml')), { code: 'LCG_CONFIG_UNREADABLE', message: /nope\.yaml: no such file$/ });
  t.throws(() => loadConfigFile('/dev/zero'), { code: 'LCG_CONFIG_UNREADABLE', message: 'cannot read config /dev/zero: not a regular file (a FIFO, socket or device); pipe it to - instead' });
  const list = join(dir, 'list.yaml');
  writeFileSync(list, '- a\n');
  t.throws(() => loadConfigFile(list), { message: /must be a mapping/ });
  const empty = join(dir, 'empty.yaml');
  writeFileSync(empty, '');
  t.same(loadConfigFile(empty), {});
});

t.test('an unknown rule id is a configuration error naming the id, from a file, a layer or --rule', async (t) => {
  t.throws(() => resolveConfig({ rules: { 'certificate/is-caa': { severity: 'off' } } }), {
    code: 'LCG_CONFIG_INVALID',
    message: /^invalid configuration: rules\.certificate\/is-caa: unknown rule id \(every rule: https:\/\/\S+\/docs\/rules\.md\)$/,
  });
  t.doesNotThrow(() => resolveConfig({ rules: { 'certificate/is-ca': { severity: 'off' } } }));
  const dir = mkdtempSync(join(tmpdir(), 'lcg-config-'));
  writeFileSync(join(dir, 'c.yaml'), 'rules:\n  bundle/no-private-key: {severity: "off"}\n');
  t.throws(() => loadConfigFile(join(dir, 'c.yaml')), { code: 'LCG_CONFIG_INVALID', message: /c\.yaml: rules\.bundle\/no-private-key: unknown rule id/ });
  const r = await runInProcess(['lint', '--rule', 'certificate/nope=off', 'test/fixtures/seeds/001-cert-manager-trust-manager.yaml']);
  t.equal(r.code, 2);
  t.match(r.stderr, /^linkerd-cert-guard: invalid configuration: rules\.certificate\/nope: unknown rule id/);
  t.equal(r.stderr.split('\n').length, 2, 'one line');
});
