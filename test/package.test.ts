/**
 * The package as a user gets it: `npm pack` (prepack builds dist/ from scratch), `npm install -D` of
 * the tarball into an empty project that holds only the user's own model folder, then the README's
 * steps there — `npx parity init`, `npx parity golden`, `npx parity run` — and a vitest file using the
 * programmatic API and toMatchGolden, type-checked with the package's typings.
 *
 * Dependencies come from the npm cache where it has them (--prefer-offline): npm 11.19 resolves a new
 * install from full packuments, which `npm ci` (corgi packuments) never caches, so an --offline
 * install would fail on a freshly set-up machine; only the npm registry is reached. onnxruntime-node's postinstall
 * would download its CUDA provider from NuGet; ONNXRUNTIME_NODE_INSTALL=skip (read only by that
 * script, so npm prints no warning) is what the README tells CPU-only and offline users to set.
 *
 * The pack runs in a copy of the repository: prepack deletes dist/, which the other test files are
 * using at the same time.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE, ROOT, tempDir } from './support/helpers.js';

const work = tempDir('parity-package-');
// The project's node_modules is a few hundred MB: removing it takes longer than the default hook timeout.
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

const timings: Record<string, number> = {};

function sh(label: string, command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const started = performance.now();
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 400_000,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  timings[label] = Math.round((performance.now() - started) / 100) / 10;
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

function ok(r: ReturnType<typeof sh>, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}${r.error ? ` (${r.error.message})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

describe('the packed tarball in a fresh project', () => {
  it('installs offline, and init → golden → run is green with the user\'s own model folder', () => {
    // 1. Pack from a copy of the repository (its own node_modules linked, dist/ absent).
    const src = join(work, 'src-copy');
    // Exactly what a clone holds: tracked files plus new ones git does not ignore.
    const listed = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
    for (const f of listed.stdout.split('\0').filter((f) => f && existsSync(join(ROOT, f)))) {
      mkdirSync(dirname(join(src, f)), { recursive: true });
      cpSync(join(ROOT, f), join(src, f));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
    const pack = sh('npm pack (prepack: clean tsc build)', 'npm', ['pack', '--json', '--pack-destination', work], src);
    ok(pack, 'npm pack');
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    const files = info.files.map((f) => f.path);
    expect(info.filename).toMatch(/^embedding-parity-\d+\.\d+\.\d+\.tgz$/);
    for (const f of ['bin/parity.js', 'dist/cli.js', 'dist/index.js', 'dist/index.d.ts', 'dist/vitest.js', 'dist/vitest.d.ts', 'dist/run/backend-worker.js', 'fixtures/models/tiny-bert/onnx/model.onnx', 'fixtures/corpus/default.jsonl', 'python/st_worker.py', 'python/openvino_runner.py', 'python/export.py', 'python/onnx_scrub.py', 'scripts/golden_sentence_transformers.py', 'package.json', 'README.md']) {
      expect(files).toContain(f);
    }
    // Nothing of the development tree: no sources, tests, maps, build info or local config.
    expect(files.filter((f) => /^(src|test)\/|\.map$|tsbuildinfo|^\.npmrc$|^golden\//.test(f))).toEqual([]);

    // 2. An empty project holding only the user's model folder.
    const app = join(work, 'my-app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-app', private: true, type: 'module' }, null, 2));
    cpSync(FIXTURE.model, join(app, 'models', 'my-model'), { recursive: true });
    const install = sh(
      'npm install -D tarball vitest typescript (from the npm cache)',
      'npm',
      ['install', '-D', '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename), 'vitest@4.1.12', 'typescript@5.9.3', '@types/node@20.19.43'],
      app,
      { ONNXRUNTIME_NODE_INSTALL: 'skip' },
    );
    ok(install, 'npm install');
    expect(existsSync(join(app, 'node_modules', 'embedding-parity', 'dist', 'cli.js'))).toBe(true);

    // 3. npx parity: no npm warning in front of the output (it would break `2>&1 | jq`).
    const help = sh('npx parity --help', 'npx', ['parity', '--help'], app);
    ok(help, 'npx parity --help');
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^Usage: parity \[options\] \[command\]/);
    expect(help.stdout).toMatch(/^ {2}init \[options\]/m);

    const noConfig = sh('npx parity run (no config)', 'npx', ['parity', 'run'], app);
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toBe(`parity: no parity.config.json in ${app}; run \`npx parity init\` to write one for your model (or pass --config FILE)\n`);

    // 4. init finds the model folder by itself and copies the example corpus.
    const init = sh('npx parity init', 'npx', ['parity', 'init'], app, { PARITY_PYTHON: '/nonexistent/python' });
    ok(init, 'npx parity init');
    expect(init.stdout).toContain('corpus: you gave none, so the example corpus');
    const config = JSON.parse(readFileSync(join(app, 'parity.config.json'), 'utf8'));
    expect([config.model, config.corpus, config.golden]).toEqual(['models/my-model', 'parity/corpus.jsonl', 'parity/golden.npy']);
    const names: string[] = config.backends.map((b: { name: string }) => b.name);
    expect(names.slice(0, 6)).toEqual(['reference', 'cpu-fp32', 'cpu-fp16', 'cpu-mha', 'wasm-fp32', 'wasm-mha']);

    // 5. golden, then run: exit 0, every backend that ran passes.
    const golden = sh('npx parity golden --backend reference', 'npx', ['parity', 'golden', '--backend', 'reference'], app);
    ok(golden, 'npx parity golden');
    expect(golden.stdout).toBe('wrote parity/golden.npy (289×64 <f8) and its .meta.json\n');
    const run = sh('npx parity run', 'npx', ['parity', 'run'], app);
    ok(run, 'npx parity run');
    const report = JSON.parse(readFileSync(join(app, 'reports', 'latest', 'report.json'), 'utf8'));
    expect(report.verdict).toBe('pass');
    const statuses = Object.fromEntries(report.backends.map((b: { name: string; status: string }) => [b.name, b.status]));
    expect(Object.keys(statuses)).toEqual(names);
    for (const name of ['reference', 'cpu-fp32', 'cpu-fp16', 'cpu-mha', 'wasm-fp32', 'wasm-mha']) expect(statuses[name]).toBe('pass');
    const cpu32 = report.backends.find((b: { name: string }) => b.name === 'cpu-fp32');
    expect(cpu32.metrics.maxAbs).toBeGreaterThan(0);
    expect(cpu32.metrics.maxAbs).toBeLessThan(1e-5);

    // 6. A user's own test: the API and the matcher, type-checked against the shipped .d.ts files.
    writeFileSync(
      join(app, 'vectors.test.ts'),
      [
        "import { expect, it } from 'vitest';",
        "import 'embedding-parity/vitest';",
        "import { compareVectors, readNpy, type Metrics } from 'embedding-parity';",
        '',
        "it('cpu-fp32 matches the golden; cpu-fp16 does not at fp32 tolerances', () => {",
        "  const v = readNpy('reports/latest/vectors/cpu-fp32.npy');",
        "  expect(v).toMatchGolden('parity/golden.npy', { atol: 1e-5, rtol: 1.3e-6, cosine: 1e-6 });",
        "  const r = compareVectors('parity/golden.npy', 'reports/latest/vectors/cpu-fp16.npy', { atol: 1e-5, rtol: 1.3e-6 });",
        '  const m: Metrics = r.metrics;',
        "  expect(r.status).toBe('fail');",
        '  expect(m.maxAbs).toBeGreaterThan(1e-4);',
        "  expect(() => expect(readNpy('reports/latest/vectors/cpu-fp16.npy')).toMatchGolden('parity/golden.npy')).toThrow(/Greatest absolute difference/);",
        '});',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'] }, include: ['*.ts'] }),
    );
    ok(sh('tsc --noEmit (user test, shipped typings)', 'npx', ['tsc', '-p', 'tsconfig.json'], app), 'tsc on the user test');
    const vitest = sh('vitest run (user test)', 'npx', ['vitest', 'run', 'vectors.test.ts'], app);
    ok(vitest, 'vitest in the user project');
    expect(vitest.stdout).toMatch(/1 passed/);

    console.log(`pack → install → init → golden → run timings (s): ${JSON.stringify(timings)}`);
  }, 900_000);
});
