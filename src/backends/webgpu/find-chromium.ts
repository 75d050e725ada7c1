/**
 * Which Chromium-family browser drives the WebGPU backends. Found, not assumed, in this order:
 *   1. the backend's "executablePath" option,
 *   2. the environment: PARITY_CHROMIUM, then CHROME_PATH (the name Puppeteer-style tools read),
 *   3. the usual places: Debian's `chromium`, Ubuntu's `chromium-browser`, Google Chrome (deb and
 *      macOS), Chromium on macOS.
 * GitHub's Ubuntu runner images carry a Chromium snapshot linked as /usr/bin/chromium and Google
 * Chrome as /usr/bin/google-chrome, so both are found without installing anything (Ubuntu's own
 * `chromium` package is a snap wrapper, which does not run in Actions).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';

export const CHROMIUM_ENV_VARS = ['PARITY_CHROMIUM', 'CHROME_PATH'] as const;

export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
] as const;

export interface ChromiumChoice {
  /** The browser binary, or null when none was found. */
  path: string | null;
  /** Where the choice came from ("option executablePath", "PARITY_CHROMIUM", "found at …") or what was searched. */
  source: string;
}

/**
 * Ubuntu's transitional `chromium-browser` package installs a shell script that execs /snap/bin/chromium
 * or says the snap is missing; it exists but is no browser here. Debian's /usr/bin/chromium is also a
 * small shell script, so the test is on what the script runs, not on its size alone.
 */
function isSnapShim(path: string): boolean {
  try {
    if (statSync(path).size > 64 * 1024) return false;
    return /\/snap\/bin\/|chromium snap/.test(readFileSync(path, 'latin1'));
  } catch {
    return false;
  }
}

function usable(path: string): boolean {
  return existsSync(path) && !isSnapShim(path);
}

export function findChromium(
  configured?: string,
  env: NodeJS.ProcessEnv = process.env,
  candidates: readonly string[] = CHROMIUM_CANDIDATES,
): ChromiumChoice {
  // An explicit choice is taken as given, so a wrong path is reported as wrong rather than silently replaced.
  if (configured) return { path: configured, source: 'option "executablePath"' };
  for (const name of CHROMIUM_ENV_VARS) {
    const value = env[name];
    if (value) return { path: value, source: `environment variable ${name}` };
  }
  for (const candidate of candidates) {
    if (usable(candidate)) return { path: candidate, source: `found at ${candidate}` };
  }
  return { path: null, source: `searched ${CHROMIUM_ENV_VARS.join(', ')} and ${candidates.join(', ')}` };
}

/** Why the chosen browser cannot be used, with the fix; null when it exists. */
export function chromiumMissingReason(choice: ChromiumChoice): string | null {
  if (choice.path === null) {
    return (
      `no Chromium or Google Chrome found (${choice.source}); install one (Debian: apt-get install -y chromium) ` +
      'or point PARITY_CHROMIUM or the backend option "executablePath" at the browser binary'
    );
  }
  if (!existsSync(choice.path)) return `no browser at ${choice.path} (from ${choice.source})`;
  return null;
}
