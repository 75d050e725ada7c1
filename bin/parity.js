#!/usr/bin/env node
// Entry point: the compiled CLI in dist/ (built by `npm pack`/`npm publish` via prepack, and by
// `npm ci` in a clone via prepare).
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  // Only a missing build gets the short answer; anything else is a real error inside the CLI.
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write('parity: the compiled CLI (dist/cli.js) is missing; in a clone of parity run `npm run build` (npm ci does it)\n');
    process.exit(2);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
