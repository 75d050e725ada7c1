/**
 * The `parity` command line. Every command returns an exit code; errors are mapped here and only here:
 *   0 pass · 1 parity failure · 2 bad input or harness error.
 * Bad input prints one line (what, where, how to fix) and no stack trace unless --verbose.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { listBackends } from './commands/backends.js';
import { compareFiles, renderCompareText } from './commands/compare.js';
import { makeGolden } from './commands/golden.js';
import { initProject } from './init/init.js';
import { mergeShardReports } from './commands/merge.js';
import { parseShard } from './run/shard.js';
import { rerenderReport } from './commands/report.js';
import { serveBackend } from './commands/serve.js';
import { reportToJson } from './report/json.js';
import { diffRuns, readBaseline } from './baseline/apply.js';
import { appendHistory } from './history/history.js';
import { writeHistoryHtml } from './history/write.js';
import { createProgress } from './report/progress.js';
import { appendStepSummary } from './report/write-all.js';
import { InputError, ParityError } from './errors.js';
import { runBisect } from './bisect/bisect.js';
import { renderBench, runBench } from './bench/bench.js';
import { renderBisectTable } from './bisect/render.js';
import { baselineLines, renderTerminal, wantsColor } from './report/terminal.js';
import { isCrossFramework, runLayerBisect } from './bisect/layers.js';
import { loadConfig, selectBackends } from './config/config.js';
import { renderLayerBisectHtml, renderLayerBisectTable } from './bisect/layer-render.js';
import { runParity } from './run/run.js';
import { DEFAULT_TARGETS, GGUF_TARGETS, ONNX_TARGETS, runExport } from './export/export.js';
import { writeFileAtomic } from './io/atomic-write.js';
import { toJsonText } from './io/non-finite-json.js';
import { join } from 'node:path';
import { parityVersion } from './versions.js';
import type { Report } from './report/report.js';

export const EXIT = { pass: 0, fail: 1, error: 2 } as const;

function positiveInteger(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got "${value}"`);
    return n;
  };
}

function nonNegative(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
      throw new InvalidArgumentError(`${flag} must be a non-negative number, got "${value}"`);
    }
    return n;
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--baseline` and `--history`, the same for `run` and `merge` (a merged run is recorded as a single one). */
const BASELINE_OPTION = ['--baseline <dir|report.json>', 'a previous run\'s report folder (or its report.json): say what changed since, backend by backend, and apply the backends\' drift limits'] as const;
const HISTORY_OPTION = ['--history <file.jsonl>', 'append this run (per backend: metrics and environment) as one line to a JSON Lines file'] as const;

/** What a finished run leaves besides its report folder: the --history line and the GitHub Actions step summary. */
function recordRun(report: Report, history: string | undefined): void {
  if (history) appendHistory(history, report);
  appendStepSummary(report);
}

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export async function main(argv: string[], io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }): Promise<number> {
  let exitCode: number = EXIT.pass;
  const verbose = argv.includes('--verbose');
  const program = new Command('parity')
    .description('Prove two inference backends compute the same embeddings, or show where and how much they do not.')
    .version(parityVersion())
    .option('--verbose', 'show stack traces and causes of errors')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('init')
    .description('inspect a model folder and this machine, and write a parity.config.json for them (never overwrites one)')
    .option('-m, --model <dir|id>', 'the model folder, or a model id in the Hugging Face cache (default: the one Hugging Face folder with ONNX files found here)')
    .option('--revision <rev>', 'branch, tag or commit of a model id (default: the cache\'s refs/main)')
    .option('--corpus <file>', 'your corpus (.jsonl of {"id","text"} or .txt); default: the example corpus, copied to parity/corpus.jsonl')
    .option('--golden-backend <name>', 'backend that makes the golden (default: pytorch-fp64, else reference for BERT, else cpu-fp32)')
    .option('-c, --config <file>', 'config file to write', 'parity.config.json')
    .action(async (opts) => {
      const r = initProject({ model: opts.model, revision: opts.revision, corpus: opts.corpus, goldenBackend: opts.goldenBackend, config: opts.config });
      io.stdout(r.text);
    });

  program
    .command('export')
    .description("make a checkpoint's ONNX files (model.safetensors or pytorch_model.bin, in the project's Python), each checked against PyTorch before it is kept")
    .requiredOption('-m, --model <dir|id>', 'the model folder, or a model id in the Hugging Face cache')
    .option('--revision <rev>', 'branch, tag or commit of a model id (default: the cache\'s refs/main)')
    .option('--to <targets>', `comma-separated: ${[...ONNX_TARGETS, ...GGUF_TARGETS].join(', ')}`, DEFAULT_TARGETS.join(','))
    .option('--force', 'replace existing files that differ, and rebuild even when manifest.json matches')
    .action(async (opts) => {
      const to = String(opts.to).split(',').map((t) => t.trim()).filter(Boolean);
      const r = await runExport({ model: opts.model, revision: opts.revision, to, force: Boolean(opts.force), log: (line) => io.stdout(`${line}\n`) });
      if (!r.upToDate) {
        const kept = r.checks.filter((c) => c.outcome !== 'rejected');
        io.stdout(`${r.verdict === 'pass' ? 'kept' : 'FAILED: kept'} ${kept.length} of ${r.checks.length} files in ${r.dir} (${kept.map((c) => `${c.file} ${c.outcome}`).join(', ') || 'none'})\n`);
      }
      exitCode = EXIT[r.verdict];
    });

  program
    .command('run')
    .description('embed the corpus on every configured backend and compare each to the golden vectors')
    .option('-c, --config <file>', 'config file', 'parity.config.json')
    .option('-b, --backend <name>', 'run only this backend (repeatable)', collect)
    .option('--corpus <file>', 'corpus (.jsonl of {"id","text"} or .txt, one text per line) instead of the config\'s')
    .option('--golden <file>', 'golden .npy instead of the config\'s')
    .option('-o, --out <dir>', 'report folder', 'reports/latest')
    .option('--atol <x>', 'override atol for every backend', nonNegative('--atol'))
    .option('--rtol <x>', 'override rtol for every backend', nonNegative('--rtol'))
    .option('--cosine <x>', 'override the max allowed cosine Δ for every backend', nonNegative('--cosine'))
    .option('--json', 'print report.json to stdout instead of the table')
    .option('--strict', 'a backend expected to fail that passes (xpass) fails the run')
    .option('--shard <i/n>', 'embed and compare only shard i of n of the corpus (merge with `parity merge`)')
    .option('--resume', 'continue an interrupted run in the same --out folder from its last finished block')
    .option('--prompt-name <name>', 'prompt from the model\'s config_sentence_transformers.json to prepend to every text ("" for none; default: its default_prompt_name)')
    .option(...BASELINE_OPTION)
    .option(...HISTORY_OPTION)
    .option('--jobs <n>', 'how many backends work at once (default: the config\'s "jobs", else 2, or 1 on a single core; 1 = one after another)', positiveInteger('--jobs'))
    .action(async (opts) => {
      const progress = createProgress(process.stderr);
      let started = false;
      const { report, reportPath } = await runParity({
        onProgress: ({ done, total, running }) => {
          if (!started) progress.start(`${running} backend${running === 1 ? '' : 's'}`, total);
          started = true;
          progress.tick(done);
        },
        resume: Boolean(opts.resume),
        strict: Boolean(opts.strict),
        shard: opts.shard === undefined ? undefined : parseShard(opts.shard),
        config: opts.config,
        backends: opts.backend,
        corpus: opts.corpus,
        golden: opts.golden,
        out: opts.out,
        promptName: opts.promptName,
        baseline: opts.baseline,
        jobs: opts.jobs,
        tolerance: { atol: opts.atol, rtol: opts.rtol, cosine: opts.cosine },
        command: ['parity', ...argv],
      });
      progress.end();
      recordRun(report, opts.history);
      if (opts.json) io.stdout(reportToJson(report));
      else io.stdout(renderTerminal(report, { color: wantsColor(process.stdout) }) + `report: ${reportPath} (and report.html, junit.xml, summary.md beside it)\n`);
      exitCode = EXIT[report.verdict];
    });

  program
    .command('merge')
    .description('combine the reports of `parity run --shard i/n` into the report of a single run')
    .argument('<dirs...>', 'the --out folders of every shard')
    .option('-o, --out <dir>', 'report folder', 'reports/merged')
    .option('--golden <file>', 'golden .npy (default: the one the shard reports name)')
    .option('--corpus <file>', 'corpus file (default: the one the shard reports name; needed only for corpora above checks.reportRows texts)')
    .option('--strict', 'a backend expected to fail that passes (xpass) fails the run')
    .option(...BASELINE_OPTION)
    .option(...HISTORY_OPTION)
    .action(async (dirs: string[], opts) => {
      const { report, reportPath } = await mergeShardReports(dirs, { out: opts.out, golden: opts.golden, corpus: opts.corpus, strict: Boolean(opts.strict), baseline: opts.baseline, command: ['parity', ...argv] });
      recordRun(report, opts.history);
      io.stdout(renderTerminal(report, { color: wantsColor(process.stdout) }) + `report: ${reportPath}\n`);
      exitCode = EXIT[report.verdict];
    });

  program
    .command('bisect')
    .description('find where backend A departs from backend B: the first ONNX node between two ONNX graphs, else layer by layer across PyTorch, ONNX Runtime and the reference')
    .requiredOption('-b, --backend <name>', 'the backend under suspicion (e.g. cpu-fp16)')
    .requiredOption('--against <name>', 'the reference backend (e.g. cpu-fp32)')
    .option('-c, --config <file>', 'config file', 'parity.config.json')
    .option('--corpus <file>', 'corpus instead of the config\'s')
    .option('--texts <n>', 'how many corpus texts, as one padded batch', (v) => Number(v), 16)
    .option('--atol <x>', 'absolute tolerance per element (default: the backend\'s)', nonNegative('--atol'))
    .option('--rtol <x>', 'relative tolerance per element (default: the backend\'s)', nonNegative('--rtol'))
    .option('--mapping <how>', 'pair outputs by "name", "position" or "auto"', 'auto')
    .option('--all', 'list every node, not only the ones around the divergence')
    .option('--json', 'print {"firstDivergent", "nodes", ...} as JSON')
    .option('--out <dir>', 'across frameworks: where bisect.html and bisect.json go', 'reports/bisect')
    .action(async (opts) => {
      if (!['auto', 'name', 'position'].includes(opts.mapping)) throw new InputError(`--mapping must be auto, name or position, got "${opts.mapping}"`);
      const [sideA, sideB] = selectBackends(loadConfig(opts.config), [opts.backend, opts.against]);
      if (sideA && sideB && isCrossFramework(sideA, sideB)) {
        const layers = await runLayerBisect({
          config: opts.config,
          backendA: opts.backend,
          backendB: opts.against,
          corpus: opts.corpus,
          texts: opts.texts === 16 ? undefined : opts.texts,
          tolerance: { ...(opts.atol !== undefined ? { atol: opts.atol } : {}), ...(opts.rtol !== undefined ? { rtol: opts.rtol } : {}) },
        });
        const json = toJsonText(layers);
        writeFileAtomic(join(opts.out, 'bisect.json'), json);
        writeFileAtomic(join(opts.out, 'bisect.html'), renderLayerBisectHtml(layers));
        io.stdout(opts.json ? json : renderLayerBisectTable(layers) + `bisect.html: ${join(opts.out, 'bisect.html')}\n`);
        exitCode = layers.firstDivergent ? EXIT.fail : EXIT.pass;
        return;
      }
      const result = await runBisect({
        config: opts.config,
        backendA: opts.backend,
        backendB: opts.against,
        corpus: opts.corpus,
        texts: opts.texts,
        tolerance: { ...(opts.atol !== undefined ? { atol: opts.atol } : {}), ...(opts.rtol !== undefined ? { rtol: opts.rtol } : {}) },
        mapping: opts.mapping,
      });
      io.stdout(opts.json ? toJsonText(result) : renderBisectTable(result, { all: Boolean(opts.all) }));
      exitCode = result.firstDivergent ? EXIT.fail : EXIT.pass;
    });

  program
    .command('bench')
    .description('texts/s, tokens/s, batch latency and peak RSS per backend, beside a raw onnxruntime-node loop and transformers.js')
    .option('-c, --config <file>', 'config file', 'parity.config.json')
    .option('-b, --backend <name>', 'measure this backend (repeatable; default: the CPU ONNX backends)', collect)
    .option('--model <dir|id>', 'model folder (or model id in the Hugging Face cache) instead of the config\'s (e.g. fixtures/models/minilm-random)')
    .option('--corpus <file>', 'corpus instead of the config\'s')
    .option('--batch-size <n>', 'texts per batch (default: the config\'s)', (v) => Number(v))
    .option('--threads <n>', 'intra-op threads for every measurement (default: the runtime\'s)', (v) => Number(v))
    .option('--repeats <n>', 'timed passes after the warm-up; the median is reported', (v) => Number(v), 3)
    .option('--no-python', 'leave out the sentence-transformers and Infinity rows (Python children)')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      for (const [flag, v] of [['--batch-size', opts.batchSize], ['--threads', opts.threads], ['--repeats', opts.repeats]] as const) {
        if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new InputError(`${flag} must be a positive integer`);
      }
      const result = await runBench({ config: opts.config, backends: opts.backend, model: opts.model, corpus: opts.corpus, batchSize: opts.batchSize, threads: opts.threads, repeats: opts.repeats, noPython: opts.python === false });
      io.stdout(opts.json ? toJsonText(result) : renderBench(result, { color: wantsColor(process.stdout) }));
    });

  program
    .command('serve')
    .description('start the server of an http backend with "serve" (e.g. Infinity) in the foreground until Ctrl-C')
    .option('-c, --config <file>', 'config file', 'parity.config.json')
    .requiredOption('-b, --backend <name>', 'the backend whose "serve" command to start')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', (v) => Number(v))
    .option('--quiet', "do not print the server's own output (it is still shown if it dies)")
    .action(async (opts) => {
      if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535)) throw new InputError('--port must be an integer from 1 to 65535');
      await serveBackend({ config: opts.config, backend: opts.backend, port: opts.port, logs: !opts.quiet, onReady: io.stdout, onOutput: (c) => io.stderr(c.toString('utf8')) });
    });

  program
    .command('sweep')
    .description('find the sequence length at which a backend starts to disagree: exact-length probes, alone and padded in a batch, against a trusted backend')
    .option('-c, --config <file>', 'config file', 'parity.config.json')
    .option('-b, --backend <name>', 'sweep only this backend (repeatable)', collect)
    .option('--against <name>', 'trusted backend (default: the one the golden was made with, else the config\'s reference / fp64 backend)')
    .option('--lengths <list>', 'token lengths, comma-separated', '8,32,128,512,2048,8192')
    .option('-o, --out <dir>', 'where sweep.json and sweep.html go', 'reports/sweep')
    .option('--json', 'print sweep.json to stdout instead of the table')
    .option('--refine', 'bisect each backend between its last passing and first failing length, to the exact first failing length')
    .action(async (opts) => {
      const lengths = String(opts.lengths).split(',').map((x) => Number(x.trim()));
      if (!lengths.length || lengths.some((n) => !Number.isInteger(n) || n < 1)) throw new InputError(`--lengths must be positive integers separated by commas, got "${opts.lengths}"`);
      // Loaded on use: no other command pays for the sweep's modules at start-up.
      const { runSweep } = await import('./sweep/sweep.js');
      const { renderSweepHtml, renderSweepTable, sweepToJson } = await import('./sweep/render.js');
      const result = await runSweep({ config: opts.config, backends: opts.backend, against: opts.against, lengths, refine: Boolean(opts.refine), onProgress: (line) => io.stderr(`  ${line}\n`) });
      const json = sweepToJson(result);
      writeFileAtomic(join(opts.out, 'sweep.json'), json);
      writeFileAtomic(join(opts.out, 'sweep.html'), renderSweepHtml(result));
      io.stdout(opts.json ? json : renderSweepTable(result) + `report: ${join(opts.out, 'sweep.json')} and sweep.html\n`);
      exitCode = EXIT[result.verdict];
    });

  program
    .command('report')
    .description('re-render report.html, junit.xml and summary.md (and report.json) from a report.json, or sweep.html from a sweep.json; with --history, draw history.html')
    .argument('[report]', 'a report.json or sweep.json, or the folder holding it')
    .option('-o, --out <dir>', 'where to write (default: beside the report.json, or the history file)')
    .option('--history <file.jsonl>', 'draw every metric over the runs of this `run --history` file as history.html')
    .action(async (path: string | undefined, opts) => {
      if (path === undefined && !opts.history) throw new InputError('parity report needs a report.json (or its folder), or --history FILE — e.g. `parity report reports/latest`');
      if (path !== undefined) for (const written of rerenderReport(path, opts.out)) io.stdout(`wrote ${written}\n`);
      if (opts.history) io.stdout(`wrote ${writeHistoryHtml(opts.history, opts.out)}\n`);
    });

  program
    .command('diff')
    .description('what changed from run A (the baseline) to run B, backend by backend: status, metric growth, moved elements, environment; exit 1 when B\'s drift limits are broken')
    .argument('<a>', 'the baseline: a report folder or its report.json')
    .argument('<b>', 'the newer run: a report folder or its report.json')
    .option('--json', 'print the diff (report.json\'s "baseline" object) as JSON')
    .action(async (a: string, b: string, opts) => {
      const diff = diffRuns(readBaseline(a), readBaseline(b));
      io.stdout(opts.json ? toJsonText(diff) : baselineLines(diff, wantsColor(process.stdout)).join('\n') + '\n');
      exitCode = diff.backends.some((d) => d.exceeded.length) ? EXIT.fail : EXIT.pass;
    });

  program
    .command('golden')
    .description('make golden vectors (.npy + .meta.json) from a backend you trust')
    .requiredOption('-b, --backend <name>', 'backend to take the vectors from (e.g. reference)')
    .option('-c, --config <file>', 'config file', 'parity.config.json')
    .option('--corpus <file>', 'corpus instead of the config\'s')
    .option('-o, --out <file.npy>', 'where to write (default: the config\'s golden)')
    .option('--update', 'replace an existing golden')
    .option('--prompt-name <name>', 'prompt from the model\'s config_sentence_transformers.json ("" for none; default: its default_prompt_name)')
    .action(async (opts) => {
      const g = await makeGolden({
        config: opts.config,
        backend: opts.backend,
        corpus: opts.corpus,
        out: opts.out,
        update: Boolean(opts.update),
        promptName: opts.promptName,
      });
      io.stdout(`wrote ${g.path} (${g.rows}×${g.dim} ${g.dtype}) and its .meta.json\n`);
    });

  program
    .command('compare')
    .description('compare two vector files (.npy) element by element')
    .argument('<golden.npy>')
    .argument('<actual.npy>')
    .option('--atol <x>', 'absolute tolerance (default by dtype: 1e-5)', nonNegative('--atol'))
    .option('--rtol <x>', 'relative tolerance (default by dtype: 1.3e-6 fp32, 1e-3 fp16)', nonNegative('--rtol'))
    .option('--cosine <x>', 'max allowed cosine Δ per text', nonNegative('--cosine'))
    .option('--mismatch-ratio <x>', 'fraction of elements allowed to mismatch', nonNegative('--mismatch-ratio'))
    .option('--json', 'print {"status", "metrics", "tolerance", "reasons", "diagnosis"} as JSON')
    .option('--workers <n>', "threads: a number, or 'auto' (default: one per core up to 4, for files of 8M+ values per thread)", (value: string): number | 'auto' => {
      if (value === 'auto') return 'auto';
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--workers must be a positive integer or 'auto', got "${value}"`);
      return n;
    })
    .action(async (goldenPath: string, actualPath: string, opts) => {
      const r = await compareFiles(goldenPath, actualPath, opts);
      if (opts.json) {
        io.stdout(toJsonText({ status: r.status, metrics: r.metrics, tolerance: r.tolerance, reasons: r.verdict.reasons, diagnosis: r.diagnosis }));
      } else {
        io.stdout(renderCompareText(r, goldenPath, actualPath));
      }
      exitCode = r.status === 'pass' ? EXIT.pass : EXIT.fail;
    });

  program
    .command('backends')
    .description('list configured backends, whether each can run on this machine, and why not')
    .option('-c, --config <file>', 'config file', 'parity.config.json')
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const list = await listBackends(opts.config);
      if (opts.json) {
        io.stdout(toJsonText(list));
        return;
      }
      for (const b of list) {
        io.stdout(`${b.name.padEnd(24)} ${(b.available ? 'available' : 'unavailable').padEnd(12)} ${b.runtime} ${b.precision}` + (b.reason ? `\n  ${b.reason}` : '') + '\n');
      }
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, verbose, io);
  }
}

export function reportError(error: unknown, verbose: boolean, io: Io): number {
  if (error instanceof CommanderError) {
    // --help and --version end through here with exit code 0; usage errors are bad input.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.pass;
    return EXIT.error;
  }
  // Errors are bad input or a broken harness; a parity failure is a verdict, never thrown.
  const code = EXIT.error;
  if (verbose) {
    io.stderr(`parity: ${chain(error)}\n`);
  } else if (error instanceof ParityError) {
    io.stderr(`parity: ${error.message}\n`);
  } else {
    io.stderr(`parity: internal error: ${error instanceof Error ? error.message : String(error)} (run with --verbose for the stack trace)\n`);
  }
  return code;
}

function chain(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  while (e) {
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e) parts.push('caused by:');
  }
  return parts.join('\n');
}


