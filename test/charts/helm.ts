/**
 * Runs the real `helm` (built by test/e2e/provision.sh into a cache outside the repo) against
 * charts/linkerd-cert-guard and parses what it renders.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART_DIR = join(REPO_ROOT, 'charts', 'linkerd-cert-guard');
export const RELEASE = 'lcg';
export const NAMESPACE = 'linkerd-cert-guard';
/** `helm template lcg` names every object after the release plus the chart. */
export const FULLNAME = `${RELEASE}-linkerd-cert-guard`;

/** A rendered Kubernetes object, as plain data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** `HELM`, else the provisioned binary; undefined when neither exists. */
export function findHelm(): string | undefined {
  const fromEnv = process.env['HELM'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const tools = process.env['LCG_TOOLS_DIR'] ?? join(homedir(), '.cache', 'linkerd-cert-guard', 'tools');
  const path = join(tools, 'bin', 'helm');
  return existsSync(path) ? path : undefined;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runHelm(helm: string, args: string[]): Promise<HelmResult> {
  return new Promise((done) => {
    execFile(helm, args, { maxBuffer: 32 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'lcg-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'lcg-helm-config') } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

export interface TemplateOptions {
  /** values merged over values.yaml (written to a temporary values file) */
  values?: Record<string, unknown>;
  namespace?: string;
  showOnly?: string[];
  /** extra helm arguments */
  args?: string[];
}

/** `helm template` with the given values; the temporary values file is removed afterwards. */
export async function helmTemplate(helm: string, options: TemplateOptions = {}): Promise<HelmResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-chart-'));
  try {
    const args = ['template', RELEASE, CHART_DIR, '--namespace', options.namespace ?? NAMESPACE];
    if (options.values) {
      const file = join(dir, 'values.json');
      writeFileSync(file, JSON.stringify(options.values));
      args.push('--values', file);
    }
    for (const s of options.showOnly ?? []) args.push('--show-only', s);
    args.push(...(options.args ?? []));
    return await runHelm(helm, args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Parse a multi-document YAML stream; empty documents are dropped, a YAML error throws. */
export function parseObjects(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message ?? ''}`);
    const obj = doc.toJS() as K8sObject | null;
    if (obj !== null && obj !== undefined) out.push(obj);
  }
  return out;
}

/** Render and parse; a failing `helm template` throws with helm's message. */
export async function renderChart(helm: string, options: TemplateOptions = {}): Promise<K8sObject[]> {
  const r = await helmTemplate(helm, options);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr.trim()}`);
  return parseObjects(r.stdout);
}

export function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, rendered ${found.length}`);
  return found[0] as K8sObject;
}

export function kinds(objects: K8sObject[]): string[] {
  return objects.map((o) => o.kind);
}
