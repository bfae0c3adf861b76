/** `linkerd-cert-guard policy`: the generator's objects as YAML or one JSON List; usage errors exit 2 with one line. */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveConfig } from '../../../checks/config.js';
import { generatePolicies } from '../../../checks/policy/generate.js';
import { runInProcess } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lcg-policy-cli-'));

t.test('yaml: one document per policy and binding, as generated for the default configuration', async (t) => {
  const r = await runInProcess(['policy']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
  t.same(docs, generatePolicies(resolveConfig(), 'enforce'));
  t.same(docs.map((d) => d.kind), ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
});

t.test('json, --mode audit, --config and flags', async (t) => {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, 'linkerdNamespace: mesh\nrules:\n  certificate/common-name: {severity: off}\n');
  const r = await runInProcess(['policy', '-o', 'json', '--mode', 'audit', '--config', file, '--trust-domain', 'example.org']);
  t.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout);
  t.equal(list.kind, 'List');
  const config = resolveConfig({ linkerdNamespace: 'mesh', trustDomain: 'example.org', rules: { 'certificate/common-name': { severity: 'off' } } });
  t.same(list.items, generatePolicies(config, 'audit'));
  for (const b of list.items.filter((o: { kind: string }) => o.kind === 'ValidatingAdmissionPolicyBinding')) t.same(b.spec.validationActions, ['Warn', 'Audit']);
});

t.test('the config file\'s mode is the default; --mode overrides it', async (t) => {
  const file = join(dir, 'audit.yaml');
  writeFileSync(file, 'mode: audit\n');
  const fromFile = JSON.parse((await runInProcess(['policy', '-o', 'json', '--config', file])).stdout);
  t.same(fromFile.items[1].spec.validationActions, ['Warn', 'Audit']);
  const overridden = JSON.parse((await runInProcess(['policy', '-o', 'json', '--config', file, '--mode', 'enforce'])).stdout);
  t.same(overridden.items[1].spec.validationActions, ['Deny']);
});

t.test('bad input: one line on stderr, exit 2', async (t) => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'rules:\n  certificate/no-such-rule: {severity: off}\n');
  for (const argv of [['policy', '--mode', 'repair'], ['policy', '-o', 'xml'], ['policy', '--config', join(dir, 'missing.yaml')], ['policy', '--config', bad], ['policy', 'extra']]) {
    const r = await runInProcess(argv);
    t.equal(r.code, 2, argv.join(' '));
    t.equal(r.stdout, '');
    t.match(r.stderr, /^linkerd-cert-guard: [^\n]+\n$/, `${argv.join(' ')}: one line`);
  }
});
