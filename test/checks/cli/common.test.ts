import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { addCommonOptions, configFromFlags, parseCommand, type CommonFlags } from '../../../checks/cli/common.js';

function parse(argv: string[]): CommonFlags {
  const cmd = addCommonOptions(new Command('x').exitOverride());
  cmd.parse(argv, { from: 'user' });
  return cmd.opts<CommonFlags>();
}

t.test('every configuration key is a flag', async (t) => {
  const c = configFromFlags(parse([
    '--linkerd-namespace', 'mesh', '--trust-namespace', 'pki', '--trust-domain', 'example.org',
    '--issuer-name', 'mesh-issuer', '--anchor-names', 'root-a, root-b', '--bundle-name', 'mesh-roots',
    '--bundle-key', 'roots.pem', '--namespace-label', 'example.org/mesh', '--cluster-resource-namespace', 'pki',
    '--no-require-explicit-rotation-policy', '--strict',
    '--rule', 'certificate/common-name=off', '--rule', 'certificate/is-ca=warning,no-repair', '--rule', 'bundle/target-key=,repair',
  ]));
  t.same(
    { ...c, rules: undefined },
    {
      linkerdNamespace: 'mesh', trustNamespace: 'pki', trustDomain: 'example.org', issuerName: 'mesh-issuer', anchorNames: ['root-a', 'root-b'],
      bundleName: 'mesh-roots', bundleKey: 'roots.pem', namespaceLabel: 'example.org/mesh', clusterResourceNamespace: 'pki',
      requireExplicitRotationPolicy: false, mode: 'enforce', strict: true, rules: undefined,
    },
  );
  t.same(c.rules, { 'certificate/common-name': { severity: 'off' }, 'certificate/is-ca': { severity: 'warning', repair: false }, 'bundle/target-key': { repair: true } });
});

t.test('flags override the config file; without the flag the file stands', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-common-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'linkerdNamespace: from-file\nrequireExplicitRotationPolicy: false\nrules: {certificate/is-ca: {severity: warning}}\n');
  const fileOnly = configFromFlags(parse(['--config', file]));
  t.equal(fileOnly.linkerdNamespace, 'from-file');
  t.equal(fileOnly.requireExplicitRotationPolicy, false, 'the negatable flag\'s default does not override the file');
  const both = configFromFlags(parse(['--config', file, '--linkerd-namespace', 'from-flag', '--rule', 'certificate/is-ca=off']));
  t.equal(both.linkerdNamespace, 'from-flag');
  t.same(both.rules['certificate/is-ca'], { severity: 'off' });
});

t.test('bad flag values are one-line errors naming the key or the flag', async (t) => {
  t.throws(() => configFromFlags(parse(['--issuer-name', 'Not_A_Name'])), { code: 'LCG_CONFIG_INVALID', message: /issuerName/ });
  t.throws(() => configFromFlags(parse(['--rule', 'certificate/is-ca'])), { code: 'LCG_RULE_FLAG_INVALID', message: /--rule "certificate\/is-ca": expected/ });
  t.throws(() => configFromFlags(parse(['--rule', 'certificate/is-ca=fatal'])), { code: 'LCG_RULE_FLAG_INVALID' });
});

t.test('parseCommand: help is done (0), usage errors are GuardErrors, other errors are never swallowed', async (t) => {
  const mk = () =>
    new Command('x')
      .exitOverride()
      .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
      .option('--n <n>', 'a number', (v: string) => {
        if (v === 'boom') throw new Error('option parser failed');
        return v;
      });
  t.equal(parseCommand(mk(), ['--n', '1']), undefined, 'run the command');
  t.equal(parseCommand(mk(), ['--help']), 0);
  t.throws(() => parseCommand(mk(), ['--nope']), { code: 'LCG_USAGE', message: /unknown option '--nope'/ });
  t.throws(() => parseCommand(mk(), ['--n', 'boom']), { message: 'option parser failed' }, 'reaches reportFailure, which prints it');
});

t.test('the flags are derived from the key definitions: one option per key with a flag, help from its description', async (t) => {
  const { CONFIG_KEYS, CONFIG_KEY_NAMES } = await import('../../../checks/config.js');
  const cmd = addCommonOptions(new Command('x'));
  const longs = cmd.options.map((o) => o.long);
  for (const key of CONFIG_KEY_NAMES) {
    const def = CONFIG_KEYS[key];
    if (!def.flag) {
      t.notOk(longs.some((l) => l === `--${key}`), `${key} has no common flag`);
      continue;
    }
    const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const long = def.flag.kind === 'rules' ? '--rule' : def.flag.kind === 'negatable' ? `--no-${kebab}` : `--${kebab}`;
    const opt = cmd.options.find((o) => o.long === long);
    t.ok(opt, `${key} is ${long}`);
    t.ok(opt?.description.startsWith(def.flag.help ?? def.description) || opt?.description.includes(def.description), `${long} help comes from the definition`);
  }
  t.equal(longs.length, new Set(longs).size, 'no flag twice');
});
