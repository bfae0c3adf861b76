/** Shared by the identity tests: a snapshot from PEM texts and objects, run, results by id. */
import { resolveConfig } from '../../../checks/config.js';
import { buildSnapshot, type SnapshotInputs } from '../../../checks/cluster/snapshot.js';
import { runChecks } from '../../../checks/identity/run.js';
import type { CheckReport, CheckResult } from '../../../checks/identity/types.js';
import type { K8sObject } from '../../../checks/rules/types.js';
import { keyPem, type TestCert } from '../../helpers/pki.js';

export interface Scenario {
  issuer: TestCert | string;
  key?: string;
  anchors: string;
  bundle?: string;
  objects?: K8sObject[];
  now?: Date;
  proxy?: boolean;
}

export interface Outcome {
  report: CheckReport;
  byId: Map<string, CheckResult>;
}

export async function runScenario(s: Scenario): Promise<Outcome> {
  const issuerText = typeof s.issuer === 'string' ? s.issuer : s.issuer.pem;
  const keyText = s.key ?? (typeof s.issuer === 'string' ? '' : keyPem(s.issuer.key, s.issuer.key.spec.startsWith('P-') ? 'sec1' : 'pkcs8'));
  const inp: SnapshotInputs = {
    config: resolveConfig(),
    now: s.now ?? new Date(),
    mode: 'files',
    objects: s.objects ?? [],
    issuerCert: { text: issuerText, from: 'issuer.crt' },
    issuerKey: { text: keyText, from: 'issuer.key' },
    trustAnchors: { text: s.anchors, from: 'ca.crt' },
    proxy: s.proxy === true,
  };
  if (s.bundle !== undefined) inp.trustBundle = { text: s.bundle, from: 'ca-bundle.crt' };
  const report = await runChecks(buildSnapshot(inp));
  return { report, byId: new Map(report.results.map((r) => [r.id, r])) };
}

export const DAY = 86400_000;
