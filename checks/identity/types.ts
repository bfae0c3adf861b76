/**
 * The plain data every check runs on (one snapshot, loaded once by checks/cluster from files, YAML or a
 * live cluster) and the shape of a check, npm-doctor style: an ordered list, each with id, title and
 * recommendation, judged by a pure function.
 */
import { docsUrl } from '../tool.js';
import type { Config } from '../config.js';
import type { K8sObject } from '../rules/types.js';

/** Text and where it came from (a file path, `Secret linkerd/linkerd-identity-issuer tls.crt`, ...). */
export interface Sourced {
  text: string;
  from: string;
}

export interface PodInfo {
  namespace: string;
  name: string;
  /** literal LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS of each linkerd-proxy container (regular or init) */
  trustAnchors: string[];
  /** RFC 3339 start time, when known */
  startTime?: string;
  /** condition Ready is True */
  ready?: boolean;
  /** Linkerd's identity controller (label linkerd.io/control-plane-component=identity): it signs every proxy's certificate */
  identity?: true;
}

export interface IdentitySnapshot {
  now: Date;
  config: Config;
  /** where the snapshot came from: `live` (a cluster) or `files` */
  mode: 'live' | 'files';
  /** identity.issuer.scheme: `kubernetes.io/tls` or `linkerd.io/tls` */
  scheme: string;
  issuerCert?: Sourced;
  issuerKey?: Sourced;
  /** the anchors Linkerd's check verifies against: ca.crt, identityTrustAnchorsPEM or --trust-anchors */
  trustAnchors?: Sourced;
  /**
   * Why the issuer data could not be read, in Linkerd's words
   * (`key ca.crt containing the trust anchors needs to exist in secret ...`); fails check 1.
   */
  configErrors: string[];
  /**
   * The ConfigMap Linkerd actually loads (linkerd-identity-trust-roots / ca-bundle.crt).
   * undefined: the input says nothing about it (files without it); `missing`: looked for and not there.
   */
  trustBundle?: { text?: string; from: string; missing?: string };
  /** tls.crt of the anchor Secrets (`linkerd-trust-anchor`, `linkerd-previous-anchor`), when known */
  anchorSecrets: Array<{ name: string; text: string }>;
  /** cert-manager and trust-manager objects; undefined when the input has none and cannot have them */
  certManager?: {
    certificates: K8sObject[];
    issuers: K8sObject[];
    bundles: K8sObject[];
    namespaces: K8sObject[];
  };
  /** meshed pods (with --proxy); undefined without --proxy */
  pods?: PodInfo[];
  /** control-plane pods' start times (live mode), for the rotation phase */
  controlPlanePods?: PodInfo[];
}

export type CheckResultKind = 'success' | 'warning' | 'error';

export interface CheckResult {
  category: string;
  id: string;
  description: string;
  result: CheckResultKind;
  /** present when the check did not succeed */
  error?: string;
  hint?: string;
  /** what to do about it (npm doctor style); present when the check did not succeed */
  recommendation?: string;
  fatal: boolean;
}

export interface CheckReport {
  success: boolean;
  results: CheckResult[];
  /** categories in order, each with its results (only categories that ran) */
  categories: Array<{ name: string; results: CheckResult[] }>;
}

/**
 * What a check function returns: nothing (pass), an error text (at the check's own level), an error
 * at a level chosen for this run (`result`), a pass with a note appended, or skip.
 */
export type Verdict = undefined | string | { error: string; result?: 'warning' | 'error' } | { note: string } | { skip: true };

export interface CheckDef<S> {
  id: string;
  description: string;
  /** full hint URL */
  hint: string;
  fatal?: boolean;
  warning?: boolean;
  recommendation: string;
  run(state: S): Verdict | Promise<Verdict>;
}

export const LINKERD_HINT_BASE = 'https://linkerd.io/2/checks/#';
export const GUARD_HINT_BASE = docsUrl('checks');
