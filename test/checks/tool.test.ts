import t from 'tap';
import { readFileSync } from 'node:fs';
import { PROJECT_URL, TOOL_NAME, docsUrl, packageVersion } from '../../checks/tool.js';

t.test('name, version and docs links come from one place, and agree with package.json', async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string };
  t.equal(TOOL_NAME, pkg.name);
  t.equal(packageVersion(), pkg.version);
  t.equal(packageVersion(), packageVersion(), 'stable across calls');
  t.equal(docsUrl('rules'), `${PROJECT_URL}/blob/main/docs/rules.md#`);
  t.equal(docsUrl('checks'), `${PROJECT_URL}/blob/main/docs/checks.md#`);
});
