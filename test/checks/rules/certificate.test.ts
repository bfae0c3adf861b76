import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { CERTIFICATE_RULES, EXTENDED_KEY_USAGES, effectiveAlgorithm, effectiveSize, isCa, keySize } from '../../../checks/rules/certificate.js';
import { anchor, checkCasesDirectly, issuer } from '../../helpers/rule-cases.js';

t.test('each Certificate rule, called directly, on its violating and compliant cases', async (t) => {
  checkCasesDirectly(t, CERTIFICATE_RULES);
});

t.test('the key algorithm cert-manager will use: privateKey.algorithm, else the legacy keyAlgorithm, else its RSA default', async (t) => {
  t.same(effectiveAlgorithm(issuer()), { value: 'ECDSA', explicit: true });
  const legacy = issuer();
  delete legacy.spec.privateKey;
  legacy.spec.keyAlgorithm = 'ecdsa';
  t.same(effectiveAlgorithm(legacy), { value: 'ECDSA', explicit: true }, 'legacy lower case is normalised');
  legacy.spec.keyAlgorithm = 'Ed25519';
  t.same(effectiveAlgorithm(legacy), { value: 'Ed25519', explicit: true }, 'an unknown legacy value is kept as written');
  delete legacy.spec.keyAlgorithm;
  t.same(effectiveAlgorithm(legacy), { value: 'RSA', explicit: false });
});

t.test('the key size: privateKey.size, else the legacy keySize; not a number is unset', async (t) => {
  const o = anchor();
  o.spec.privateKey.size = 384;
  t.equal(effectiveSize(o), 384);
  delete o.spec.privateKey.size;
  o.spec.keySize = 521;
  t.equal(effectiveSize(o), 521);
  o.spec.keySize = '256';
  t.equal(effectiveSize(o), undefined);
});

t.test('a repair sets exactly the field the rule speaks about', async (t) => {
  const config = resolveConfig();
  const o = issuer();
  delete o.spec.isCA;
  t.same(isCa.check({ object: o, role: 'identity-issuer', config, related: [], complete: false }).map((v) => v.patch), [[{ op: 'add', path: '/spec/isCA', value: true }]]);
  o.spec.privateKey.size = 384;
  const [v] = keySize.check({ object: o, role: 'identity-issuer', config, related: [], complete: false });
  t.same(v?.patch, [{ op: 'replace', path: '/spec/privateKey/size', value: 256 }]);
  t.match(v?.message, /384/);
});

t.test('cert-manager\'s extended usages include server auth, the one Go\'s verifier needs on a CA', async (t) => {
  t.ok(EXTENDED_KEY_USAGES.has('server auth'));
  t.notOk(EXTENDED_KEY_USAGES.has('cert sign'), 'cert sign is a key usage, not an extended one');
});
