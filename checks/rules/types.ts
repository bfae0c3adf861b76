/**
 * The plain data the rule engine speaks. Rules are pure functions over these; HTTP,
 * files and terminals are adapters around them (lint, the webhook, the docs).
 */
import type { Config } from '../config.js';

export type Severity = 'error' | 'warning';
/**
 * The three roles (identity issuer, trust anchor, trust bundle), plus two only `lint` judges: the control-plane
 * Namespace manifest (setup/namespace-label) and the Issuer or ClusterIssuer that signs the identity issuer or a
 * trust anchor (certificate/legacy-api); the webhook never receives Namespaces or issuers.
 */
export type Role = 'identity-issuer' | 'trust-anchor' | 'trust-bundle' | 'control-plane-namespace' | 'signing-issuer';

/** An RFC 6902 operation; repairs only ever use add, replace and remove. */
export type PatchOp =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** Any Kubernetes object as decoded JSON/YAML. Fields are read defensively. */
export interface K8sObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: unknown;
  spec?: unknown;
  [key: string]: unknown;
}

export interface Finding {
  /** stable rule id, e.g. `certificate/is-ca` */
  rule: string;
  severity: Severity;
  /** dotted field path the finding speaks about, e.g. `spec.privateKey.algorithm` */
  path: string;
  /** what is wrong, why Linkerd cares, what to write instead */
  message: string;
  /** a repair exists and is allowed by configuration */
  fixable: boolean;
  /** the minimal ops that repair this finding (present iff fixable) */
  patch?: PatchOp[];
}

export interface Judgement {
  /** null: not Linkerd's, never touched, denied or warned about */
  role: Role | null;
  findings: Finding[];
}

export interface JudgeOptions {
  /** lint-only rules (legacy-api, cluster-scoped) run only when true */
  lint: boolean;
  /** other objects known alongside (same lint input, or read from the API) for cross-object rules */
  related?: readonly K8sObject[];
  /**
   * `related` is the caller's whole view of the kinds the rules read (the webhook's informer cache):
   * an object a rule looks for and does not find is reported as not found instead of passed over.
   */
  complete?: boolean;
}

/** What a rule's check function receives. */
export interface RuleContext {
  object: K8sObject;
  role: Role;
  config: Config;
  related: readonly K8sObject[];
  /** JudgeOptions.complete: a referenced object absent from `related` is not in the cluster (as far as the caller knows) */
  complete: boolean;
}

/** A violation as a rule reports it, before severity overrides and repair permissions. */
export interface Violation {
  path: string;
  /** a rule may speak more softly for one role (e.g. an anchor's namespace is a warning) */
  severity?: Severity;
  message: string;
  patch?: PatchOp[];
  /**
   * The violation is that a related object was not found (only reported when `complete`): always a
   * warning, whatever the configured severity, as the object may simply be created next (one
   * `kubectl apply` of a directory sends them one by one).
   */
  notFound?: boolean;
}

export interface RuleDefinition {
  id: string;
  /** one line for docs and SARIF */
  title: string;
  /** roles the rule judges */
  appliesTo: readonly Role[];
  defaultSeverity: Severity;
  /**
   * The other objects the rule reads (docs): lint finds them in the same input, the webhook in its
   * informer cache; without them the rule says less (or nothing).
   */
  reads?: string;
  /** runs only in lint (e.g. legacy API versions the API server no longer serves) */
  lintOnly?: boolean;
  /** when the repair is offered, for docs */
  repair: string;
  /** docs: why Linkerd cares, with issue numbers */
  rationale: string;
  check(ctx: RuleContext): Violation[];
}

export type { Config };
