/**
 * The loopback HTTP server the WebGPU page is loaded from. http://127.0.0.1 is a secure context (so
 * navigator.gpu exists), and COOP same-origin + COEP require-corp make the page cross-origin isolated
 * (SharedArrayBuffer, wasm threads). It serves only:
 *   /                  the empty harness page
 *   /parity/*.mjs      the harness module
 *   /ort/<file>        files of onnxruntime-web's own dist folder (never a CDN)
 *   /models/<id>/<p>   files inside model folders registered by the backends
 * Nothing outside those folders can be reached (no `..`, no absolute paths, no symlink escapes).
 */
import { createReadStream, existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';
import { HARNESS_MODULE, INDEX_HTML } from './page-code.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
};

export interface LoopbackServer {
  origin: string;
  /** Serves files under `dir`; returns the URL prefix (ending in "/"). */
  registerDir(dir: string): string;
  close(): Promise<void>;
}

export async function startLoopbackServer(ortDist: string): Promise<LoopbackServer> {
  const ortFiles = new Set(readdirSync(ortDist));
  const dirs: string[] = [];

  const headers = (type: string) => ({
    'Content-Type': type,
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    const notFound = () => {
      res.writeHead(404, headers('text/plain; charset=utf-8'));
      res.end(`not found: ${path}`);
    };
    const sendText = (type: string, text: string) => {
      res.writeHead(200, headers(type));
      res.end(text);
    };
    const sendFile = (file: string) => {
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, { ...headers(type), 'Content-Length': String(statSync(file).size) });
      createReadStream(file).pipe(res);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers('text/plain; charset=utf-8'));
      res.end();
      return;
    }
    if (path === '/' || path === '/index.html') return sendText(TYPES['.html'], INDEX_HTML);
    if (path === '/parity/harness.mjs') return sendText(TYPES['.mjs'], HARNESS_MODULE);
    if (path === '/favicon.ico') {
      res.writeHead(204, headers('image/x-icon'));
      res.end();
      return;
    }
    let m = /^\/ort\/([^/]+)$/.exec(path);
    if (m) return ortFiles.has(m[1]) ? sendFile(join(ortDist, m[1])) : notFound();
    m = /^\/models\/(\d+)\/(.+)$/.exec(path);
    if (m) {
      const root = dirs[Number(m[1])];
      if (!root || m[2].split('/').some((part) => part === '..' || part === '.' || part === '')) return notFound();
      const file = join(root, ...m[2].split('/'));
      if (!existsSync(file)) return notFound();
      const real = realpathSync(file);
      if (!real.startsWith(root + sep) || !statSync(real).isFile()) return notFound();
      return sendFile(real);
    }
    notFound();
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  // The server must never keep a finished `parity run` alive.
  server.unref();
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    registerDir(dir: string): string {
      const real = realpathSync(dir);
      let id = dirs.indexOf(real);
      if (id < 0) id = dirs.push(real) - 1;
      return `${origin}/models/${id}/`;
    },
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
