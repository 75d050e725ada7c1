#!/usr/bin/env node
// Writes the fixture model (see src/fixtures/make.ts). Runs the compiled code in dist/ (built by `npm ci`).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../dist/fixtures/make.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.exitCode = main(process.argv.slice(2), root);
