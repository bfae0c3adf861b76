import t from 'tap';
import { runInProcess } from '../../helpers/cli.js';

const seeds = 'test/fixtures/seeds';

interface JsonReport {
  success: boolean;
  summary: { objects: number; errors: number; warnings: number; repaired: number };
  objects: Array<{ source: string; kind: string | null; name: string | null; namespace: string | null; role: string | null; findings: Array<{ rule: string; severity: string; path: string; message: string; fixable: boolean }> }>;
}

async function lintJson(args: string[]): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const r = await runInProcess(['lint', '-o', 'json', ...args]);
  return { code: r.code, report: JSON.parse(r.stdout) as JsonReport, stderr: r.stderr };
}

t.test('seed 001: the complete setup lints with zero findings', async (t) => {
  const { code, report } = await lintJson([`${seeds}/001-cert-manager-trust-manager.yaml`]);
  t.equal(code, 0);
  t.equal(report.summary.objects, 9);
  t.same(report.objects.flatMap((o) => o.findings), []);
  t.same(
    report.objects.map((o) => [o.kind, o.name, o.role]),
    [
      ['Namespace', 'linkerd', 'control-plane-namespace'],
      ['ServiceAccount', 'cert-manager', null],
      ['Role', 'cert-manager-secret-creator', null],
      ['RoleBinding', 'cert-manager-secret-creator-binding', null],
      ['Issuer', 'linkerd-trust-root-issuer', null],
      ['Certificate', 'linkerd-trust-anchor', 'trust-anchor'],
      ['ClusterIssuer', 'linkerd-identity-issuer', null],
      ['Certificate', 'linkerd-identity-issuer', 'identity-issuer'],
      ['Bundle', 'linkerd-identity-trust-roots', 'trust-bundle'],
    ],
  );
  t.equal(report.objects[0]?.source, `${seeds}/001-cert-manager-trust-manager.yaml#0`);
});

for (const seed of ['002-on-cluster-ca.yaml', '003-external-ca.yaml', '004-vault.yaml']) {
  t.test(`seed ${seed}: the identity issuer is flagged for rotation-policy and nothing else is an error`, async (t) => {
    const { code, report } = await lintJson([`${seeds}/${seed}`]);
    t.equal(code, 1);
    const issuer = report.objects.find((o) => o.role === 'identity-issuer');
    t.ok(issuer);
    t.same(issuer?.findings.map((f) => [f.rule, f.severity, f.path, f.fixable]), [['certificate/rotation-policy', 'error', 'spec.privateKey.rotationPolicy', true]]);
    const otherErrors = report.objects.filter((o) => o !== issuer).flatMap((o) => o.findings.filter((f) => f.severity === 'error'));
    t.same(otherErrors, []);
  });
}

t.test("seed 003: workload and test Certificates get no finding", async (t) => {
  const { report } = await lintJson([`${seeds}/003-external-ca.yaml`]);
  for (const name of ['mesh-workload-cert', 'test-cert']) {
    const o = report.objects.find((x) => x.name === name);
    t.equal(o?.role, null, `${name} is not Linkerd's`);
    t.same(o?.findings, []);
  }
});

t.test('seed 004: the single-source Bundle is warned about overlap and selector only', async (t) => {
  const { report } = await lintJson([`${seeds}/004-vault.yaml`]);
  const bundle = report.objects.find((o) => o.kind === 'Bundle');
  t.same(bundle?.findings.map((f) => [f.rule, f.severity]).sort(), [['bundle/namespace-selector', 'warning'], ['bundle/rotation-overlap', 'warning']]);
});

t.test('seed 000: the v1alpha2 Certificate is flagged legacy-api and --fix makes it v1', async (t) => {
  const { report } = await lintJson([`${seeds}/000-external-issuer-v1alpha2.yaml`]);
  const cert = report.objects.find((o) => o.kind === 'Certificate');
  t.ok(cert?.findings.some((f) => f.rule === 'certificate/legacy-api' && f.severity === 'error' && f.fixable));
  const fixed = await runInProcess(['lint', '--fix', `${seeds}/000-external-issuer-v1alpha2.yaml`]);
  t.match(fixed.stdout, /apiVersion: cert-manager\.io\/v1\nkind: Certificate/);
  t.match(fixed.stdout, /# The Certificate resource which specifies the desired certificate\./, 'comments kept');
  t.notMatch(fixed.stdout, /keyAlgorithm/);
  t.match(fixed.stdout, /privateKey:\n\s+algorithm: ECDSA\n\s+rotationPolicy: Always/);
  // the untouched Issuer document is byte for byte the same
  t.ok(fixed.stdout.startsWith('# Seed 000: "Using external issuer certificates" (Linkerd 2.7-era guide).\n# The Issuer references the signing key pair stored in Secret linkerd-trust-anchor.\napiVersion: cert-manager.io/v1alpha2\nkind: Issuer\n'));
  t.equal(fixed.code, 0, 'nothing at error level remains on the Certificate');
});
