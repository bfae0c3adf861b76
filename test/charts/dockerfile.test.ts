/**
 * The Dockerfile, checked statically (no container engine here): multi-stage, production
 * dependencies only, non-root numeric user, the CLI as entrypoint; plus the property that makes
 * `npm ci --omit=dev` enough: every runtime import of checks/ and webhook/ is a production
 * dependency or a Node built-in.
 */
import t from 'tap';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './helm.js';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Dockerfile → stages; joins `\` continuations, drops comments and parser directives. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    logical.push((current + line).trim());
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\w+)\s+(.*)$/s.exec(line);
    if (!m) continue;
    const op = (m[1] ?? '').toUpperCase();
    const args = m[2] ?? '';
    if (op === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ image: from?.[1] ?? args, name: from?.[2], instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]?.instructions.push({ op, args });
    }
  }
  return stages;
}

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const ops = (s: Stage | undefined, op: string): string[] => (s?.instructions ?? []).filter((i) => i.op === op).map((i) => i.args);
const stageNamed = (name: string): Stage | undefined => stages.find((s) => s.name === name);
/** `COPY --from=X src dest` → {from, sources, dest} */
function parseCopy(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  let from: string | undefined;
  const rest: string[] = [];
  for (const w of words) {
    if (w.startsWith('--from=')) from = w.slice('--from='.length);
    else if (!w.startsWith('--')) rest.push(w);
  }
  return { from, sources: rest.slice(0, -1), dest: rest[rest.length - 1] ?? '' };
}

const runtime = stages[stages.length - 1];

t.test('multi-stage build', async (t) => {
  t.ok(stages.length >= 2, `${stages.length} stages`);
  t.ok(stages.every((s) => s.name !== undefined), 'every stage is named');
  const build = stages.find((s) => ops(s, 'RUN').some((r) => /\bnpm run build\b/.test(r)));
  t.ok(build, 'a stage runs npm run build');
  t.ok(ops(build, 'RUN').some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev')), 'the build stage installs dev dependencies from the lockfile (npm ci)');
  t.not(build, runtime, 'the build stage is not the runtime stage');
});

t.test('runtime stage: production dependencies only', async (t) => {
  const copies = ops(runtime, 'COPY').map(parseCopy);
  t.notOk(ops(runtime, 'RUN').some((r) => /\bnpm (ci|install|i)\b/.test(r) && !r.includes('--omit=dev')), 'no full npm install in the runtime stage');
  const modules = copies.find((c) => c.sources.some((s) => s.endsWith('node_modules')));
  t.ok(modules?.from, 'node_modules come from another stage');
  const depsStage = stageNamed(modules?.from ?? '');
  t.ok(ops(depsStage, 'RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r)), `stage ${modules?.from} installs with npm ci --omit=dev`);
  const build = stages.find((s) => ops(s, 'RUN').some((r) => /\bnpm run build\b/.test(r)));
  t.notOk(copies.some((c) => c.from === build?.name && c.sources.some((s) => s.endsWith('node_modules'))), 'dev node_modules never reach the runtime stage');
  const dist = copies.filter((c) => c.from === build?.name).flatMap((c) => c.sources);
  t.ok(dist.length > 0 && dist.every((s) => s.includes('/dist')), 'only compiled output is copied from the build stage');
  t.ok(copies.some((c) => c.from === undefined && c.sources.includes('package.json')), 'package.json ("type": "module", version) is present');
  t.notOk(copies.some((c) => c.from === undefined && c.sources.some((s) => ['.', 'checks', 'webhook', 'test'].includes(s))), 'no sources in the runtime image');
});

t.test('runtime stage: non-root numeric user', async (t) => {
  const users = ops(runtime, 'USER');
  t.equal(users.length > 0, true, 'USER is set');
  const user = users[users.length - 1] ?? '';
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  t.ok(m, `USER ${user} is numeric (runAsNonRoot can only verify a numeric uid)`);
  t.not(Number(m?.[1]), 0, 'uid is not root');
  if (m?.[2] !== undefined) t.not(Number(m[2]), 0, 'gid is not root');
  const values = readFileSync(join(REPO_ROOT, 'charts', 'linkerd-cert-guard', 'values.yaml'), 'utf8');
  t.match(values, new RegExp(`runAsUser: ${m?.[1] ?? 'x'}\\b`), 'the chart runs the same uid');
});

t.test('the CLI is the entrypoint', async (t) => {
  const entry = ops(runtime, 'ENTRYPOINT');
  t.equal(entry.length, 1);
  const argv = JSON.parse(entry[0] ?? 'null') as unknown;
  t.ok(Array.isArray(argv), 'exec form (signals reach node directly)');
  const bin = pkg.bin['linkerd-cert-guard'] ?? '';
  t.same(argv, ['node', bin], `ENTRYPOINT runs ${bin}, the package's bin`);
  const copiedDist = ops(runtime, 'COPY').map(parseCopy).filter((c) => c.from !== undefined).map((c) => c.dest.replace(/^\.\//, '').replace(/\/$/, ''));
  t.ok(copiedDist.some((d) => bin.startsWith(`${d}/`)), `${bin} is inside a copied directory`);
  const workdir = ops(runtime, 'WORKDIR');
  t.equal(workdir[workdir.length - 1], '/app', 'relative entrypoint resolves under /app');
});

t.test('build context: every COPY source exists and is not ignored', async (t) => {
  const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'));
  for (const stage of stages) {
    for (const copy of ops(stage, 'COPY').map(parseCopy)) {
      if (copy.from !== undefined) continue;
      for (const src of copy.sources) {
        t.ok(existsSync(join(REPO_ROOT, src)), `${stage.name}: ${src} exists`);
        t.notOk(ignore.includes(src), `${stage.name}: ${src} is not in .dockerignore`);
      }
    }
  }
  for (const must of ['node_modules', 'dist', '.git']) t.ok(ignore.includes(must), `.dockerignore excludes ${must}`);
  const tsconfig = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
  const buildStage = stages.find((s) => ops(s, 'RUN').some((r) => /\bnpm run build\b/.test(r)));
  const copied = new Set(ops(buildStage, 'COPY').map(parseCopy).flatMap((c) => c.sources));
  for (const pattern of tsconfig.include) {
    const top = pattern.split('/')[0] ?? '';
    if (top === 'test') continue;
    t.ok(copied.has(top), `the build stage copies ${top}/ (tsconfig include ${pattern})`);
  }
});

/** Runtime (value) import specifiers of a TypeScript file: type-only imports are erased first. */
function runtimeImports(file: string): string[] {
  const js = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  }).outputText;
  const specs: string[] = [];
  const re = /(?:^|[^.\w])(?:import|export)\s*(?:[^'"()]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of js.matchAll(re)) specs.push((m[1] ?? m[2]) as string);
  return specs;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

t.test('runtime imports are production dependencies or Node built-ins', async (t) => {
  const builtins = new Set(builtinModules);
  const files = [...sourceFiles(join(REPO_ROOT, 'checks')), ...sourceFiles(join(REPO_ROOT, 'webhook'))];
  t.ok(files.length > 0, `${files.length} source files`);
  const bad: string[] = [];
  for (const file of files) {
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
      if (!(name in pkg.dependencies)) bad.push(`${relative(REPO_ROOT, file)} imports ${spec}`);
    }
  }
  t.same(bad, [], 'with npm ci --omit=dev every runtime import resolves');
});

t.test('the import scanner sees value imports and skips type-only ones', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'lcg-imports-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'x.ts');
  writeFileSync(file, [
    "import type { A } from 'types-only';",
    "import { type B } from 'erased-too';",
    "import { compare } from 'fast-json-patch';",
    "export { x } from './local.js';",
    "const lazy = () => import('pino');",
    'export const y: A | B = compare as never; void lazy;',
  ].join('\n'));
  t.same(runtimeImports(file).sort(), ['./local.js', 'fast-json-patch', 'pino']);
});
