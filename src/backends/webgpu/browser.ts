/**
 * One headless Chromium (and one loopback server) shared by every WebGPU backend of a run, because
 * launching the browser and its GPU process costs seconds. Backends take a lease (refcount) for as
 * long as they hold a page; when the last lease is returned the browser is closed after a short
 * grace period, so the next backend of the same `parity run` (opened right after) reuses it, and a
 * finished run never keeps a Chromium alive. Each backend gets its own page: its own JS realm,
 * WebGPU device, ORT session, console and error log.
 *
 * Launch flags, measured on Debian's Chromium with SwiftShader as the only adapter:
 * --enable-unsafe-webgpu exposes WebGPU on Linux; --disable-gpu / --disable-software-rasterizer
 * must NOT be passed (they remove the SwiftShader adapter: requestAdapter() returns null). The
 * profile, config and cache folders live in a fresh temp dir (named with the pid), removed on close
 * or exit; dirs of parity processes that were SIGKILLed are swept at the next launch.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { startLoopbackServer, type LoopbackServer } from './server.js';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** How long an unused browser is kept for the next backend of the same run. */
const LINGER_MS = 1500;

export interface SharedBrowser {
  executablePath: string;
  context: BrowserContext;
  server: LoopbackServer;
  version: string;
  playwrightVersion: string;
  launchMs: number;
  /** Requests to anything but the loopback origin (aborted). */
  blocked: string[];
}

interface Entry {
  ready: Promise<SharedBrowser>;
  refs: number;
  timer?: NodeJS.Timeout;
  tempDir: string;
}

const browsers = new Map<string, Entry>();

export interface BrowserLease {
  browser: SharedBrowser;
  /** True when this lease launched the browser (its launch time is this backend's cost). */
  launched: boolean;
  release(): void;
}

async function launch(executablePath: string, ortDist: string, tempDir: string): Promise<SharedBrowser> {
  const started = performance.now();
  const { chromium } = await import('playwright-core');
  const pwVersion = playwrightVersion();
  const server = await startLoopbackServer(ortDist);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const sub = (name: string) => {
    const dir = join(tempDir, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  Object.assign(env, { XDG_CONFIG_HOME: sub('config'), XDG_CACHE_HOME: sub('cache'), TMPDIR: sub('tmp') });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(join(tempDir, 'profile'), {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      env,
    });
  } catch (error) {
    await server.close();
    throw error;
  }
  const blocked: string[] = [];
  await context.route(
    (url) => url.origin !== server.origin && url.protocol !== 'data:' && url.protocol !== 'blob:',
    (route) => {
      if (blocked.length < 20) blocked.push(route.request().url());
      return route.abort('blockedbyclient');
    },
  );
  const version = context.browser()?.version() ?? (await versionFromPage(context, server.origin));
  return { executablePath, context, server, version, playwrightVersion: pwVersion, launchMs: performance.now() - started, blocked };
}

async function versionFromPage(context: BrowserContext, origin: string): Promise<string> {
  const page = await context.newPage();
  try {
    await page.goto(origin);
    return String(await page.evaluate(() => navigator.userAgent));
  } finally {
    await page.close();
  }
}

function playwrightVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('playwright-core'));
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

/** Takes a lease on the shared browser for `executablePath`, launching it if needed. */
export async function acquireBrowser(executablePath: string, ortDist: string): Promise<BrowserLease> {
  let entry = browsers.get(executablePath);
  let launched = false;
  if (!entry) {
    sweepStaleTempDirs();
    const tempDir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
    removeAtExit(tempDir);
    const created: Entry = { ready: launch(executablePath, ortDist, tempDir), refs: 0, tempDir };
    entry = created;
    browsers.set(executablePath, created);
    launched = true;
    created.ready.catch(() => {
      if (browsers.get(executablePath) === created) browsers.delete(executablePath);
      scheduleRemoval(created.tempDir);
    });
  }
  if (entry.timer) {
    clearTimeout(entry.timer);
    entry.timer = undefined;
  }
  entry.refs++;
  let browser: SharedBrowser;
  try {
    browser = await entry.ready;
  } catch (error) {
    entry.refs--;
    throw error;
  }
  const owner = entry;
  let released = false;
  return {
    browser,
    launched,
    release() {
      if (released) return;
      released = true;
      owner.refs--;
      if (owner.refs === 0) {
        owner.timer = setTimeout(() => void closeEntry(executablePath, owner), LINGER_MS);
      }
    },
  };
}

async function closeEntry(executablePath: string, entry: Entry): Promise<void> {
  if (entry.refs > 0) return;
  if (browsers.get(executablePath) === entry) browsers.delete(executablePath);
  try {
    const b = await entry.ready;
    await b.context.close().catch(() => undefined);
    await b.server.close().catch(() => undefined);
  } catch {
    /* a failed launch has nothing to close */
  } finally {
    scheduleRemoval(entry.tempDir);
  }
}

/** Temp profiles to remove: Chromium's crash handler can outlive the browser by a moment and write more. */
const pendingTempDirs = new Set<string>();
let exitHookInstalled = false;

const TEMP_PREFIX = 'parity-chromium-';

/** Removes profiles left by parity processes that were killed (SIGKILL skips every exit hook). */
function sweepStaleTempDirs(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const m = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(name);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes sure `dir` is removed when the process exits, however it exits (after Playwright has killed the browser). */
function removeAtExit(dir: string): void {
  pendingTempDirs.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const d of pendingTempDirs) rmSync(d, { recursive: true, force: true });
  });
}

function scheduleRemoval(dir: string): void {
  const remove = () => {
    rmSync(dir, { recursive: true, force: true });
    return !existsSync(dir);
  };
  remove();
  removeAtExit(dir);
  // Once more shortly after, for whatever the crash handler wrote on its way out.
  setTimeout(() => {
    if (remove()) pendingTempDirs.delete(dir);
  }, 1000).unref();
}

/** Closes every shared browser now (tests; a run's browsers close by themselves when unused). */
export async function closeSharedBrowsers(): Promise<void> {
  const all = [...browsers.entries()];
  for (const [path, entry] of all) {
    if (entry.timer) clearTimeout(entry.timer);
    entry.refs = 0;
    await closeEntry(path, entry);
  }
}
