#!/usr/bin/env node
// Entry point: the compiled CLI in dist/ (built from src/ by `npm ci` via the prepare script).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
