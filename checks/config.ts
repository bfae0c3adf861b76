/**
 * Configuration: one YAML or JSON file, validated by a JSON Schema.
 * The same keys are Helm values (`config:` in the chart) and CLI flags.
 * Defaults are the names and namespaces Linkerd and its cert-manager guide use.
 */
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, JSONSchemaType, ErrorObject, ValidateFunction } from 'ajv';
import { load as loadYaml, CORE_SCHEMA } from 'js-yaml';
import { guardError } from './errors.js';
import { decodeText, readInputFile } from './manifests.js';
// read only at run time (in unknownRuleIds), so the import cycle through the rules is harmless
import { RULES_BY_ID } from './rules/catalogue.js';
import { docsUrl } from './tool.js';

export type RuleSeverityOverride = 'error' | 'warning' | 'off';
/** webhook modes */
export const MODES = ['enforce', 'repair', 'audit'] as const;
export type Mode = (typeof MODES)[number];

export interface RuleOverride {
  severity?: RuleSeverityOverride;
  /** whether the webhook's mutate endpoint and `lint --fix` may repair this rule */
  repair?: boolean;
}

export interface Config {
  linkerdNamespace: string;
  trustNamespace: string;
  trustDomain: string;
  /** Certificate and Secret name of the identity issuer Linkerd reads */
  issuerName: string;
  /** Certificate/Secret names of trust anchors (current and previous) */
  anchorNames: string[];
  /** Bundle name, which is also the ConfigMap name Linkerd reads */
  bundleName: string;
  /** key in the trust-roots ConfigMap Linkerd reads */
  bundleKey: string;
  /** label on the control-plane namespace that the Bundle selects */
  namespaceLabel: string;
  /** cert-manager's cluster resource namespace, where a ClusterIssuer's CA Secret lives */
  clusterResourceNamespace: string;
  /**
   * An unset privateKey.rotationPolicy relies on cert-manager >= 1.18 defaulting to Always.
   * true (default): unset is a violation of certificate/rotation-policy.
   */
  requireExplicitRotationPolicy: boolean;
  /** webhook mode */
  mode: Mode;
  /** on UPDATE, judge violations oldObject already had as strictly as new ones */
  strict: boolean;
  /** per-rule overrides, keyed by rule id */
  rules: Record<string, RuleOverride>;
}

// DNS-1123 label / subdomain and label-key shapes, so a typo is caught at load time.
const dnsLabel = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const dnsSubdomain = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const labelKey = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

/**
 * How a key is given on the command line: `value` (`--key <placeholder>`), `list` (comma-separated),
 * `negatable` (`--no-key`: only the explicit "no" overrides the file), `switch` (`--key`: only an
 * explicit yes overrides), `rules` (`--rule <id>=...`, repeatable), or none (a command's own flag).
 */
export type FlagKind = 'value' | 'list' | 'negatable' | 'switch' | 'rules';

export interface KeyDefinition<T> {
  default: T;
  /** one line for the schema, the flag help and the chart */
  description: string;
  /** the JSON Schema of the value (nullable is added for the partial layers) */
  schema: Record<string, unknown>;
  /** `help` replaces the description where the flag says the opposite (`--no-...`) */
  flag?: { kind: FlagKind; placeholder?: string; help?: string };
}

/**
 * Every configuration key, once. The defaults, the JSON Schema (and through it the chart's
 * values schema, which a test holds equal), the flags, their help and their parsing all come from
 * here, so a key is added by adding it to Config and to this table.
 */
export const CONFIG_KEYS: { readonly [K in keyof Config]: KeyDefinition<Config[K]> } = {
  linkerdNamespace: { default: 'linkerd', description: 'namespace of the Linkerd control plane', schema: { type: 'string', pattern: dnsLabel, maxLength: 63 }, flag: { kind: 'value', placeholder: 'ns' } },
  trustNamespace: { default: 'cert-manager', description: "trust-manager's trust namespace", schema: { type: 'string', pattern: dnsLabel, maxLength: 63 }, flag: { kind: 'value', placeholder: 'ns' } },
  trustDomain: { default: 'cluster.local', description: "Linkerd's identity trust domain", schema: { type: 'string', pattern: dnsSubdomain, maxLength: 253 }, flag: { kind: 'value', placeholder: 'domain' } },
  issuerName: { default: 'linkerd-identity-issuer', description: 'identity issuer Certificate and Secret name', schema: { type: 'string', pattern: dnsSubdomain, maxLength: 253 }, flag: { kind: 'value', placeholder: 'name' } },
  anchorNames: {
    default: ['linkerd-trust-anchor', 'linkerd-previous-anchor'],
    description: 'trust anchor Certificate/Secret names',
    schema: { type: 'array', items: { type: 'string', pattern: dnsSubdomain, maxLength: 253 }, minItems: 1, uniqueItems: true },
    flag: { kind: 'list', placeholder: 'names' },
  },
  bundleName: { default: 'linkerd-identity-trust-roots', description: 'trust bundle (and ConfigMap) name', schema: { type: 'string', pattern: dnsSubdomain, maxLength: 253 }, flag: { kind: 'value', placeholder: 'name' } },
  bundleKey: { default: 'ca-bundle.crt', description: 'key in the trust-roots ConfigMap', schema: { type: 'string', pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253 }, flag: { kind: 'value', placeholder: 'key' } },
  namespaceLabel: { default: 'linkerd.io/is-control-plane', description: 'label carried by the control-plane namespace', schema: { type: 'string', pattern: labelKey, maxLength: 317 }, flag: { kind: 'value', placeholder: 'key' } },
  clusterResourceNamespace: { default: 'cert-manager', description: "cert-manager's cluster resource namespace", schema: { type: 'string', pattern: dnsLabel, maxLength: 63 }, flag: { kind: 'value', placeholder: 'ns' } },
  requireExplicitRotationPolicy: {
    default: true,
    description: 'an unset rotationPolicy is a violation',
    schema: { type: 'boolean' },
    flag: { kind: 'negatable', help: 'accept an unset rotationPolicy (cert-manager >= 1.18 defaults to Always)' },
  },
  // a command's own flag (serve --mode), since only the webhook has modes
  mode: { default: 'enforce', description: 'webhook mode', schema: { type: 'string', enum: [...MODES] } },
  strict: { default: false, description: "on UPDATE, deny violations oldObject already had", schema: { type: 'boolean' }, flag: { kind: 'switch', help: "webhook: deny violations an UPDATE's old object already had" } },
  rules: {
    default: {},
    description: 'per-rule overrides: severity (error, warning, off) and whether repair may fix it',
    schema: {
      type: 'object',
      required: [],
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: [],
        properties: {
          severity: { type: 'string', enum: ['error', 'warning', 'off'], nullable: true },
          repair: { type: 'boolean', nullable: true },
        },
      },
    },
    flag: { kind: 'rules', help: 'per-rule override, e.g. certificate/common-name=off or certificate/is-ca=error,no-repair (repeatable)' },
  },
};

export const CONFIG_KEY_NAMES = Object.keys(CONFIG_KEYS) as Array<keyof Config>;

export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze(
  Object.fromEntries(CONFIG_KEY_NAMES.map((k) => [k, CONFIG_KEYS[k].default])) as unknown as Config,
);

export const CONFIG_SCHEMA = {
  $id: 'https://linkerd-cert-guard.io/schemas/config.json',
  title: 'linkerd-cert-guard configuration',
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(CONFIG_KEY_NAMES.map((k) => [k, { ...CONFIG_KEYS[k].schema, nullable: true, description: CONFIG_KEYS[k].description }])),
  required: [],
} as unknown as JSONSchemaType<Partial<Config>>;

// ajv (and compiling the schema) costs ~90 ms of start-up; a run with only defaults never needs
// it, so it is loaded on the first validation. createRequire keeps resolveConfig synchronous.
let compiled: ValidateFunction<Partial<Config>> | undefined;
function validatePartial(data: unknown): data is Partial<Config> {
  if (!compiled) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    compiled = new Ajv({ allErrors: true, strict: true }).compile(CONFIG_SCHEMA);
  }
  return compiled(data);
}
validatePartial.errors = (): ErrorObject[] | null | undefined => compiled?.errors;

/** Describe the first few schema errors by key, e.g. `trustDomain: must match pattern ...`. */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined, root = 'config'): string {
  if (!errors || errors.length === 0) return `${root}: invalid`;
  return errors
    .slice(0, 3)
    .map((e) => {
      const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : root;
      if (e.keyword === 'additionalProperties') {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        return `${where === root ? '' : where + '.'}${extra}: unknown key`;
      }
      if (e.keyword === 'enum') {
        return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
      }
      return `${where}: ${e.message ?? 'invalid'}`;
    })
    .join('; ');
}

/** Rule ids in `rules` that no rule has: a typo would otherwise silently override nothing. */
function unknownRuleIds(data: Partial<Config>): string | undefined {
  const unknown = Object.keys(data.rules ?? {}).filter((id) => !RULES_BY_ID.has(id));
  if (unknown.length === 0) return undefined;
  return `rules.${unknown[0]}: unknown rule id${unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : ''}` + ` (every rule: ${docsUrl('rules').slice(0, -1)})`;
}

/**
 * Merge a partial config (from a file, Helm values or flags) over the defaults,
 * validating it first. Throws GuardError(LCG_CONFIG_INVALID) naming the key.
 */
export function resolveConfig(...layers: Array<Partial<Config> | undefined>): Config {
  const out: Config = { ...DEFAULT_CONFIG, anchorNames: [...DEFAULT_CONFIG.anchorNames], rules: {} };
  for (const layer of layers) {
    if (layer === undefined || Object.keys(layer).length === 0) continue;
    if (!validatePartial(layer)) {
      throw guardError('LCG_CONFIG_INVALID', 'invalid configuration', describeAjvErrors(validatePartial.errors()));
    }
    const unknown = unknownRuleIds(layer);
    if (unknown) throw guardError('LCG_CONFIG_INVALID', 'invalid configuration', unknown);
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined || v === null) continue;
      if (k === 'rules') {
        for (const [id, o] of Object.entries(v as Record<string, RuleOverride>)) {
          out.rules[id] = { ...out.rules[id], ...o };
        }
      } else {
        (out as unknown as Record<string, unknown>)[k] = v;
      }
    }
  }
  return out;
}

/** Read and validate a config file (YAML or JSON; JSON is YAML). */
export function loadConfigFile(path: string): Partial<Config> {
  let text: string;
  try {
    // the one bounded reader: a FIFO or a device as --config is refused, not read forever
    text = decodeText(readInputFile(path, `config ${path}`)).text;
  } catch (e) {
    throw guardError('LCG_CONFIG_UNREADABLE', (e as Error).message);
  }
  let data: unknown;
  try {
    data = loadYaml(text, { schema: CORE_SCHEMA });
  } catch (e) {
    const err = e as { reason?: string; mark?: { line: number }; message: string };
    throw guardError('LCG_CONFIG_INVALID', `${path}:${(err.mark?.line ?? 0) + 1}`, err.reason ?? err.message.split('\n')[0] ?? 'invalid YAML');
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw guardError('LCG_CONFIG_INVALID', path, 'configuration must be a mapping of keys');
  }
  if (!validatePartial(data)) {
    throw guardError('LCG_CONFIG_INVALID', path, describeAjvErrors(validatePartial.errors()));
  }
  const unknown = unknownRuleIds(data);
  if (unknown) throw guardError('LCG_CONFIG_INVALID', path, unknown);
  return data as Partial<Config>;
}

/** The issuer's expected DNS name: identity.<linkerdNamespace>.<trustDomain>. */
export function identityName(config: Config): string {
  return `identity.${config.linkerdNamespace}.${config.trustDomain}`;
}

/** The anchor CN Linkerd's guides use. */
export function anchorCommonName(config: Config): string {
  return `root.linkerd.${config.trustDomain}`;
}
