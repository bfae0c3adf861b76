/**
 * Which objects are Linkerd's. An object with no role is never touched,
 * denied or warned about, so recognition errs on the side of precision: names Linkerd
 * reads, the DNS names its guides use, or an explicit opt-in label.
 */
import { anchorCommonName, identityName, type Config } from '../config.js';
import type { K8sObject, Role } from './types.js';
import {
  at, isBundle, isCertificate, isClusterBundle, isNamespace, isRecord, labelsOf, nameOf, str, strings, arr,
} from './object.js';

export const ROLE_LABEL = 'linkerd-cert-guard.io/role';

export function roleOf(object: K8sObject, config: Config): Role | null {
  if (!isRecord(object)) return null;
  const label = str(labelsOf(object)[ROLE_LABEL]);
  if (isCertificate(object)) {
    if (label === 'identity-issuer' || label === 'trust-anchor') return label;
    const name = nameOf(object);
    const secretName = str(at(object, 'spec', 'secretName'));
    if (name === config.issuerName || secretName === config.issuerName) return 'identity-issuer';
    if ((name !== undefined && config.anchorNames.includes(name)) || (secretName !== undefined && config.anchorNames.includes(secretName))) {
      return 'trust-anchor';
    }
    const cn = str(at(object, 'spec', 'commonName'));
    const dnsNames = strings(at(object, 'spec', 'dnsNames'));
    const identity = identityName(config);
    if (cn === identity || dnsNames.includes(identity)) return 'identity-issuer';
    if (cn === anchorCommonName(config)) return 'trust-anchor';
    return null;
  }
  if (isBundle(object) || isClusterBundle(object)) {
    if (label === 'trust-bundle') return 'trust-bundle';
    if (nameOf(object) === config.bundleName) return 'trust-bundle';
    const selector = at(object, 'spec', 'target', 'namespaceSelector');
    if (selectorMentions(selector, config.namespaceLabel)) return 'trust-bundle';
    if (bundleTargetKeys(object).includes(config.bundleKey)) return 'trust-bundle';
    return null;
  }
  if (isNamespace(object) && nameOf(object) === config.linkerdNamespace) return 'control-plane-namespace';
  return null;
}

function selectorMentions(selector: unknown, labelKey: string): boolean {
  if (!isRecord(selector)) return false;
  const ml = selector.matchLabels;
  if (isRecord(ml) && labelKey in ml) return true;
  return arr(selector.matchExpressions).some((e) => isRecord(e) && e.key === labelKey);
}

/** ConfigMap target keys of a Bundle (`target.configMap.key`) or ClusterBundle (`target.configMap.data[].key`). */
export function bundleTargetKeys(object: K8sObject): string[] {
  const cm = at(object, 'spec', 'target', 'configMap');
  if (!isRecord(cm)) return [];
  const keys: string[] = [];
  if (typeof cm.key === 'string') keys.push(cm.key);
  for (const d of arr(cm.data)) if (isRecord(d) && typeof d.key === 'string') keys.push(d.key);
  return keys;
}
