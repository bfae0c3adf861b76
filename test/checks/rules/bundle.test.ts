import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { BUNDLE_RULES, isPrivateKeyKey, noPrivateKeys, targetKey } from '../../../checks/rules/bundle.js';
import { bundle, checkCasesDirectly } from '../../helpers/rule-cases.js';

t.test('each Bundle rule, called directly, on its violating and compliant cases', async (t) => {
  checkCasesDirectly(t, BUNDLE_RULES);
});

t.test('which Secret keys hold a private key', async (t) => {
  for (const key of ['tls.key', 'ca.key', 'key.pem', 'issuer-key.pem']) t.ok(isPrivateKeyKey(key), key);
  for (const key of ['tls.crt', 'ca.crt', 'ca-bundle.crt', 'crt.pem', 'keys.txt']) t.notOk(isPrivateKeyKey(key), key);
});

t.test('a private key source is named by its field path, with no repair', async (t) => {
  const config = resolveConfig();
  const o = bundle();
  o.spec.sources = [{ secret: { name: 'linkerd-trust-anchor', key: 'tls.crt' } }, { secret: { name: 'linkerd-previous-anchor', key: 'tls.key' } }];
  const violations = noPrivateKeys.check({ object: o, role: 'trust-bundle', config, related: [], complete: false });
  t.same(violations.map((v) => v.path), ['spec.sources[1].secret.key']);
  t.equal(violations[0]?.patch, undefined);
  t.match(violations[0]?.message, /tls\.key/);
});

t.test('the target key repair writes the configured key', async (t) => {
  const config = resolveConfig({ bundleKey: 'roots.pem' });
  const o = bundle();
  const [v] = targetKey.check({ object: o, role: 'trust-bundle', config, related: [], complete: false });
  t.same(v?.path, 'spec.target.configMap.key');
  t.same(v?.patch, [{ op: 'replace', path: '/spec/target/configMap/key', value: 'roots.pem' }]);
});
