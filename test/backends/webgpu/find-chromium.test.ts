/** The WebGPU backends find their browser: option, then PARITY_CHROMIUM / CHROME_PATH, then the usual places. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason, findChromium } from '../../../src/backends/webgpu/find-chromium.js';
import { parseWebGpuOptions } from '../../../src/backends/webgpu/options.js';

const dir = mkdtempSync(join(tmpdir(), 'parity-find-chromium-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeBinary(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, 0o755);
  return path;
}

describe('findChromium', () => {
  const real = fakeBinary('chrome', '\x7fELF' + '\0'.repeat(70 * 1024));
  const snapShim = fakeBinary('chromium-browser', '#!/bin/sh\necho "Command \'/usr/bin/chromium-browser\' requires the chromium snap to be installed."\nexit 1\n');
  const absent = join(dir, 'absent');

  it('takes the option first, then PARITY_CHROMIUM, then CHROME_PATH', () => {
    const env = { PARITY_CHROMIUM: '/env/parity', CHROME_PATH: '/env/chrome' };
    expect(findChromium('/opt/mine', env, [real])).toEqual({ path: '/opt/mine', source: 'option "executablePath"' });
    expect(findChromium(undefined, env, [real])).toEqual({ path: '/env/parity', source: 'environment variable PARITY_CHROMIUM' });
    expect(findChromium(undefined, { CHROME_PATH: '/env/chrome' }, [real])).toEqual({ path: '/env/chrome', source: 'environment variable CHROME_PATH' });
  });

  it('searches the usual places in order, passing over missing files and the Ubuntu snap wrapper', () => {
    expect(findChromium(undefined, {}, [absent, snapShim, real])).toEqual({ path: real, source: `found at ${real}` });
    const none = findChromium(undefined, {}, [absent, snapShim]);
    expect(none.path).toBeNull();
    expect(chromiumMissingReason(none)).toMatch(/^no Chromium or Google Chrome found \(searched PARITY_CHROMIUM, CHROME_PATH and .*absent, .*chromium-browser\); install one .* PARITY_CHROMIUM or the backend option "executablePath"/);
  });

  it('reports a configured path that does not exist, naming where it came from', () => {
    expect(chromiumMissingReason(findChromium(undefined, { PARITY_CHROMIUM: absent }, []))).toBe(`no browser at ${absent} (from environment variable PARITY_CHROMIUM)`);
    expect(chromiumMissingReason(findChromium(real, {}, []))).toBeNull();
  });

  it('resolves executablePath relative to the config file', () => {
    const o = parseWebGpuOptions({ name: 'w', runtime: 'webgpu-browser', modelDir: dir, configDir: '/work/project', options: { executablePath: 'tools/chrome' } });
    expect(o.chromium).toEqual({ path: '/work/project/tools/chrome', source: 'option "executablePath"' });
  });
});
