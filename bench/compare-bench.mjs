#!/usr/bin/env node
/**
 * Benchmark for `parity compare` on large files (issue #6): is the streaming compare engine at
 * memory speed, and faster than numpy computing the same statistics?
 *
 *   npm run bench:compare                       # builds, then 500k×384 float32, 3 rounds
 *   node bench/compare-bench.mjs --rows 100000 --reps 5 --chunk-rows 512 --workers 1,2 --numpy-chunk-rows 256,1024 --keep
 *
 * (Without npm: `npx tsc -p tsconfig.json && node bench/compare-bench.mjs`.)
 * Writes two .npy files into a temp folder (golden; actual = golden + noise of ~1e-6, a few planted
 * outliers and two NaNs), written chunk by chunk. Then, in each round, one after another on the
 * same files (hot in the page cache: this measures memory speed, not disk):
 *   read loop   positional reads of both files with the same chunk size and nothing else: the limit
 *   in-process  compareNpyFiles() from dist/, per worker count
 *   cli         `node bin/parity.js compare golden.npy actual.npy --json`: wall time and peak RSS
 *               (/usr/bin/time -v when present, else the process's own maxRSS)
 *   numpy       bench/compare-numpy.py: the same statistics, chunked, vectorised (needs python3+numpy),
 *               at each --numpy-chunk-rows; the fastest is the one parity is compared with
 * Prints a table of medians and a JSON summary (GB/s = bytes of both files' data / seconds), checks
 * that parity and numpy agree, and deletes the temp folder (unless --keep).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const ROWS = Number(arg('rows', 500_000));
const DIM = Number(arg('dim', 384));
const REPS = Number(arg('reps', 3));
const CHUNK_ROWS = Number(arg('chunk-rows', 512));
const NUMPY_CHUNKS = String(arg('numpy-chunk-rows', '256,1024')).split(',').map(Number);
const WORKERS = String(arg('workers', '1,2')).split(',').map(Number);
const KEEP = process.argv.includes('--keep');
const SKIP_NUMPY = process.argv.includes('--no-numpy');
const TOL = { atol: 1e-5, rtol: 1.3e-6 };

const distUrl = new URL('../dist/compare/stream-compare.js', import.meta.url);
if (!existsSync(fileURLToPath(distUrl))) {
  console.error('dist/ is missing: run `npx tsc -p tsconfig.json` (or `npm run bench:compare`) first');
  process.exit(2);
}
const { compareNpyFiles } = await import(distUrl.href);
const { npyHeaderBytes } = await import(new URL('../dist/npy/npy.js', import.meta.url).href);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Writes golden.npy and actual.npy chunk by chunk; returns the planted differences. */
function makeFiles(dir) {
  const goldenPath = join(dir, 'golden.npy');
  const actualPath = join(dir, 'actual.npy');
  const fg = openSync(goldenPath, 'w');
  const fa = openSync(actualPath, 'w');
  const header = npyHeaderBytes('<f4', [ROWS, DIM]);
  writeSync(fg, header);
  writeSync(fa, header);
  const total = ROWS * DIM;
  // Planted: outliers (|Δ| 1e-3 .. 5e-3) and two NaNs, at fixed element indices.
  const outliers = new Map([0.11, 0.37, 0.52, 0.81, 0.93].map((f, i) => [Math.floor(total * f) + i, (i + 1) * 1e-3]));
  const nans = new Set([Math.floor(total * 0.25) + 7, Math.floor(total * 0.75) + 3]);
  let s = 0x9e3779b9;
  const next = () => {
    // xorshift32 → [0, 1)
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const chunk = 8192;
  const g = new Float32Array(chunk * DIM);
  const a = new Float32Array(chunk * DIM);
  for (let r0 = 0; r0 < ROWS; r0 += chunk) {
    const n = Math.min(chunk, ROWS - r0);
    const base = r0 * DIM;
    for (let i = 0; i < n * DIM; i++) {
      // Roughly the spread of a normalised 384-dim sentence embedding (|x| ≲ 0.1 + a sum of uniforms).
      const v = (next() + next() + next() - 1.5) * 0.1;
      g[i] = v;
      a[i] = v + (next() - 0.5) * 2e-6;
    }
    for (const [at, delta] of outliers) if (at >= base && at < base + n * DIM) a[at - base] = g[at - base] + delta;
    for (const at of nans) if (at >= base && at < base + n * DIM) a[at - base] = NaN;
    writeSync(fg, new Uint8Array(g.buffer, 0, n * DIM * 4));
    writeSync(fa, new Uint8Array(a.buffer, 0, n * DIM * 4));
  }
  closeSync(fg);
  closeSync(fa);
  return { goldenPath, actualPath, dataBytes: 2 * total * 4, headerBytes: header.length };
}

/** The physical limit: read both files' data with positional reads of CHUNK_ROWS rows, nothing else. */
function readLoop(files) {
  const fds = [openSync(files.goldenPath, 'r'), openSync(files.actualPath, 'r')];
  const bytesPerChunk = CHUNK_ROWS * DIM * 4;
  const buffers = [new Uint8Array(bytesPerChunk), new Uint8Array(bytesPerChunk)];
  const t = performance.now();
  let check = 0;
  for (let r0 = 0; r0 < ROWS; r0 += CHUNK_ROWS) {
    const length = Math.min(CHUNK_ROWS, ROWS - r0) * DIM * 4;
    const position = files.headerBytes + r0 * DIM * 4;
    for (let f = 0; f < 2; f++) {
      let done = 0;
      while (done < length) done += readSync(fds[f], buffers[f], done, length - done, position + done);
      check += buffers[f][0];
    }
  }
  const seconds = (performance.now() - t) / 1000;
  fds.forEach(closeSync);
  return { seconds, check };
}

async function inProcess(files, workers) {
  const t = performance.now();
  const { metrics } = await compareNpyFiles(files.goldenPath, files.actualPath, TOL, [], { chunkRows: CHUNK_ROWS, workers });
  return { seconds: (performance.now() - t) / 1000, metrics };
}

const hasTime = existsSync('/usr/bin/time');

/** Runs a command; wall seconds and peak RSS (KiB) from /usr/bin/time -v when present. */
function timed(command, args) {
  const full = hasTime ? ['/usr/bin/time', ['-v', command, ...args]] : [command, args];
  const t = performance.now();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - t) / 1000;
  if (r.error) throw r.error;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '')?.[1];
  return { seconds, status: r.status, stdout: r.stdout, stderr: r.stderr, maxRssKb: rss ? Number(rss) : null };
}

function cli(files, workers) {
  const args = [join(ROOT, 'bin', 'parity.js'), 'compare', files.goldenPath, files.actualPath, '--json', '--workers', String(workers)];
  let r;
  if (hasTime) {
    r = timed(process.execPath, args);
  } else {
    // No /usr/bin/time: report the CLI process's own peak RSS from inside it.
    const wrapper = `const {main}=await import(${JSON.stringify(new URL('../dist/cli.js', import.meta.url).href)});` +
      `const code=await main(${JSON.stringify(args.slice(1))});process.stderr.write('Maximum resident set size (kbytes): '+process.resourceUsage().maxRSS+'\\n');process.exitCode=code;`;
    r = timed(process.execPath, ['--input-type=module', '-e', wrapper]);
  }
  if (r.status !== 0 && r.status !== 1) throw new Error(`parity compare failed (${r.status}): ${r.stderr}`);
  return { seconds: r.seconds, maxRssKb: r.maxRssKb, metrics: JSON.parse(r.stdout).metrics };
}

function numpy(files, chunkRows) {
  const script = join(ROOT, 'bench', 'compare-numpy.py');
  const r = timed('python3', [script, files.goldenPath, files.actualPath, '--atol', String(TOL.atol), '--rtol', String(TOL.rtol), '--chunk-rows', String(chunkRows)]);
  if (r.status !== 0) throw new Error(`numpy script failed (${r.status}): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  return { seconds: out.seconds, wallSeconds: r.seconds, maxRssKb: r.maxRssKb ?? out.maxrss_kb, metrics: out.metrics };
}

const hasNumpy = !SKIP_NUMPY && spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

function agree(p, n) {
  const close = (x, y, rel) => x === y || Math.abs(x - y) <= rel * Math.max(Math.abs(x), Math.abs(y));
  const problems = [];
  for (const key of ['mismatches', 'nonFinite', 'goldenNonFinite', 'zeroRows', 'goldenZeroRows', 'total']) {
    if (p[key] !== n[key]) problems.push(`${key}: parity ${p[key]}, numpy ${n[key]}`);
  }
  for (const key of ['maxAbs', 'meanAbs', 'cosineDeltaMax', 'cosineDeltaMean', 'normDeltaMax']) {
    if (!close(p[key], n[key], 1e-5)) problems.push(`${key}: parity ${p[key]}, numpy ${n[key]}`);
  }
  if (p.maxAbsAt?.row !== n.maxAbsAt?.row || p.maxAbsAt?.dim !== n.maxAbsAt?.dim) problems.push('maxAbsAt differs');
  if ((p.minPassingAtol === null) !== (n.minPassingAtol === null)) problems.push('minPassingAtol differs');
  return problems;
}

const dir = mkdtempSync(join(tmpdir(), 'parity-bench-'));
try {
  console.error(`writing 2 × ${ROWS}×${DIM} float32 .npy to ${dir} ...`);
  let t = performance.now();
  const files = makeFiles(dir);
  console.error(`  ${((performance.now() - t) / 1000).toFixed(1)} s; ${(files.dataBytes / 1e9).toFixed(2)} GB of data`);

  const samples = {};
  const push = (name, value) => (samples[name] ??= []).push(value);
  let lastParity = null;
  let lastNumpy = null;
  for (let rep = 0; rep < REPS; rep++) {
    push('read loop', readLoop(files));
    for (const w of WORKERS) {
      const r = await inProcess(files, w);
      lastParity = r.metrics;
      push(`parity in-process, ${w} worker${w > 1 ? 's' : ''}`, r);
    }
    for (const w of WORKERS) push(`parity CLI, ${w} worker${w > 1 ? 's' : ''}`, cli(files, w));
    if (hasNumpy) {
      for (const c of NUMPY_CHUNKS) {
        const r = numpy(files, c);
        lastNumpy = r.metrics;
        push(`numpy, chunk ${c} (in-script)`, r);
        push(`numpy, chunk ${c} (python3 wall)`, { seconds: r.wallSeconds, maxRssKb: r.maxRssKb });
      }
    }
    console.error(`  round ${rep + 1}/${REPS} done`);
  }

  const gbs = (seconds) => files.dataBytes / 1e9 / seconds;
  const readSeconds = median(samples['read loop'].map((s) => s.seconds));
  // parity is compared with numpy's fastest chunking, in-script time (no interpreter start-up).
  const numpySeconds = hasNumpy ? Math.min(...NUMPY_CHUNKS.map((c) => median(samples[`numpy, chunk ${c} (in-script)`].map((s) => s.seconds)))) : null;
  const rows = Object.entries(samples).map(([name, list]) => {
    const seconds = median(list.map((s) => s.seconds));
    const rss = list.map((s) => s.maxRssKb).filter((x) => x != null);
    return {
      name,
      seconds: Number(seconds.toFixed(3)),
      gbPerS: Number(gbs(seconds).toFixed(2)),
      ofReadLoop: Number((readSeconds / seconds).toFixed(3)),
      vsNumpy: numpySeconds ? Number((numpySeconds / seconds).toFixed(2)) : null,
      peakRssMb: rss.length ? Number((Math.max(...rss) / 1024).toFixed(0)) : null,
      all: list.map((s) => Number(s.seconds.toFixed(3))),
    };
  });
  const pad = (s, n) => String(s).padEnd(n);
  console.log(`\n${ROWS}×${DIM} float32 × 2 files (${(files.dataBytes / 1e9).toFixed(2)} GB), chunk ${CHUNK_ROWS} rows, median of ${REPS}; × numpy = fastest numpy in-script seconds / these`);
  console.log(pad('', 36) + pad('seconds', 10) + pad('GB/s', 8) + pad('of read', 9) + pad('× numpy', 9) + pad('peak RSS', 10) + 'runs');
  for (const r of rows) {
    console.log(
      pad(r.name, 36) + pad(r.seconds, 10) + pad(r.gbPerS, 8) + pad(`${(r.ofReadLoop * 100).toFixed(0)}%`, 9) +
        pad(r.vsNumpy ?? '-', 9) + pad(r.peakRssMb != null ? `${r.peakRssMb} MB` : '-', 10) + r.all.join(' '),
    );
  }
  const problems = hasNumpy ? agree(lastParity, lastNumpy) : [];
  console.log(hasNumpy ? (problems.length ? `\nparity and numpy DISAGREE:\n  ${problems.join('\n  ')}` : '\nparity and numpy agree on every shared metric') : '\n(numpy not available: skipped)');
  console.log(
    JSON.stringify({
      rows: ROWS,
      dim: DIM,
      dataBytes: files.dataBytes,
      chunkRows: CHUNK_ROWS,
      reps: REPS,
      node: process.version,
      results: rows,
      agreement: hasNumpy ? { ok: problems.length === 0, problems } : null,
      parity: { mismatches: lastParity.mismatches, maxAbs: lastParity.maxAbs, nonFinite: lastParity.nonFinite, cosineDeltaMax: lastParity.cosineDeltaMax },
    }),
  );
} finally {
  if (KEEP) console.error(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
