import { defineConfig } from 'vitest/config';

// The suite starts Python workers, Chromium and real servers on a 2-core machine, in parallel files:
// a CLI run that takes 3 s alone can take 15 s under that load. Tests that are slower still say so
// with their own timeout; no test measures speed (that is `parity bench`'s job).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
