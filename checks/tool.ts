/** Who we are, in one place: the name, version and documentation URLs reports carry. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOOL_NAME = 'linkerd-cert-guard';
export const PROJECT_URL = 'https://github.com/linkerd-cert-guard/linkerd-cert-guard';

/** Base of the anchors in a generated docs page (`docs/rules.md#…`, `docs/checks.md#…`). */
export function docsUrl(page: 'rules' | 'checks'): string {
  return `${PROJECT_URL}/blob/main/docs/${page}.md#`;
}

let cached: string | undefined;

/**
 * The version in our package.json, found by walking up from this module: the same code runs
 * from `dist/checks` when built and from `checks` under the test runner.
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === TOOL_NAME && pkg.version) return (cached = pkg.version);
    }
    dir = dirname(dir);
  }
  return (cached = '0.0.0');
}
