/** `parity report --history FILE`: history.html beside the history file (or in --out). */
import { dirname, join, resolve } from 'node:path';
import { displayPath } from '../io/display-path.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { readHistory } from './history.js';
import { renderHistoryHtml } from './render.js';

export function writeHistoryHtml(file: string, outDir?: string): string {
  const entries = readHistory(file);
  const path = join(outDir ? resolve(outDir) : dirname(resolve(file)), 'history.html');
  writeFileAtomic(path, renderHistoryHtml(entries, displayPath(resolve(file))));
  return path;
}
