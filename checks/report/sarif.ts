/** SARIF 2.1.0, the format GitHub code scanning and other UIs read. */
export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifRule {
  id: string;
  title: string;
  description?: string;
  helpUri?: string;
  level: SarifLevel;
}

export interface SarifResult {
  ruleId: string;
  level: SarifLevel;
  message: string;
  /** file path relative to the repository root, forward slashes */
  uri?: string;
  /** 1-based */
  line?: number;
  /** 1-based */
  column?: number;
  /** a logical location, e.g. `Certificate linkerd/linkerd-identity-issuer spec.isCA` */
  logicalLocation?: string;
}

export function toSarif(tool: { name: string; version: string; informationUri: string }, rules: SarifRule[], results: SarifResult[]): object {
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            informationUri: tool.informationUri,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')),
              shortDescription: { text: r.title },
              ...(r.description ? { fullDescription: { text: r.description } } : {}),
              ...(r.helpUri ? { helpUri: r.helpUri } : {}),
              defaultConfiguration: { level: r.level },
            })),
          },
        },
        results: results.map((r) => ({
          ruleId: r.ruleId,
          ...(index.has(r.ruleId) ? { ruleIndex: index.get(r.ruleId) } : {}),
          level: r.level,
          message: { text: r.message },
          locations: [
            {
              ...(r.uri
                ? {
                    physicalLocation: {
                      artifactLocation: { uri: r.uri },
                      region: { startLine: r.line ?? 1, ...(r.column ? { startColumn: r.column } : {}) },
                    },
                  }
                : {}),
              ...(r.logicalLocation ? { logicalLocations: [{ fullyQualifiedName: r.logicalLocation }] } : {}),
            },
          ],
        })),
      },
    ],
  };
}
