/**
 * The check catalogue as Markdown, the page the `lcg-*` hint URLs point at (docs/checks.md):
 *   node dist/checks/identity/docs.js > docs/checks.md
 * Headings are the check ids, so GitHub's heading anchors equal the ids in the hints.
 */
import { allChecks, CATEGORIES, OTHER_CATEGORIES } from './run.js';

export function checksMarkdown(): string {
  const out: string[] = [
    '# `linkerd-cert-guard check`: the checks',
    '',
    'Generated from `checks/identity` by `node dist/checks/identity/docs.js`; do not edit by hand.',
    '',
    'Categories run in this order. A failed **fatal** check stops every later check, as in `linkerd check`;',
    'a **warning** never fails the run unless `--fail-on warning` is given. The `linkerd-identity` checks and',
    '"data plane proxies certificate match CA" are Linkerd\'s own; their hints point at https://linkerd.io/2/checks/.',
    '',
  ];
  const checks = allChecks();
  for (const cat of [...CATEGORIES, ...OTHER_CATEGORIES]) {
    out.push(`## ${cat.name}`, '');
    for (const c of checks.filter((x) => x.category === cat.name)) {
      const kind = c.fatal ? 'fatal error' : c.warning ? 'warning' : 'error';
      out.push(`### ${c.id}`, '', `**${c.description}** (${kind})`, '', c.recommendation, '');
      if (c.id.startsWith('l5d-')) out.push(`Linkerd's hint: ${c.hint}`, '');
    }
  }
  return out.join('\n');
}

if ((process.argv[1] ?? '').endsWith('identity/docs.js')) process.stdout.write(checksMarkdown());
