import t from 'tap';
import { toSarif } from '../../../checks/report/sarif.js';

interface Doc {
  version: string;
  runs: Array<{
    tool: { driver: { name: string; version: string; rules: Array<{ id: string; name: string; shortDescription: { text: string }; helpUri?: string; defaultConfiguration: { level: string } }> } };
    results: Array<{ ruleId: string; ruleIndex?: number; level: string; message: { text: string }; locations: Array<{ physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number; startColumn?: number } }; logicalLocations?: Array<{ fullyQualifiedName: string }> }> }>;
  }>;
}

t.test('rules, rule indexes and locations as SARIF 2.1.0 readers expect', async (t) => {
  const doc = toSarif(
    { name: 'tool', version: '1.0.0', informationUri: 'https://example.invalid' },
    [
      { id: 'certificate/is-ca', title: 'isCA', level: 'error', helpUri: 'https://example.invalid/rules#certificate-is-ca' },
      { id: 'bundle/rotation-overlap', title: 'overlap', level: 'warning' },
    ],
    [
      { ruleId: 'bundle/rotation-overlap', level: 'warning', message: 'one anchor', uri: 'deploy/bundle.yaml', line: 7, column: 3, logicalLocation: 'Bundle x spec.sources' },
      { ruleId: 'unknown/rule', level: 'error', message: 'no such rule' },
    ],
  ) as Doc;
  t.equal(doc.version, '2.1.0');
  const run = doc.runs[0]!;
  t.same(run.tool.driver.rules.map((r) => r.name), ['certificateIsCa', 'bundleRotationOverlap'], 'names are the ids in camelCase');
  t.equal(run.tool.driver.rules[1]!.helpUri, undefined, 'no helpUri when none is given');
  t.equal(run.results[0]!.ruleIndex, 1);
  t.same(run.results[0]!.locations[0]!.physicalLocation, { artifactLocation: { uri: 'deploy/bundle.yaml' }, region: { startLine: 7, startColumn: 3 } });
  t.same(run.results[0]!.locations[0]!.logicalLocations, [{ fullyQualifiedName: 'Bundle x spec.sources' }]);
  t.equal(run.results[1]!.ruleIndex, undefined, 'a result for a rule not listed carries no index');
  t.same(run.results[1]!.locations, [{}]);
});
