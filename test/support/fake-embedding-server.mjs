// A stand-in for an embedding server started through the `http` backend's `serve` option, for the
// tests of start-up, shutdown and death that must not need Python. Usage:
//   node fake-embedding-server.mjs PORT MODE
// MODE: ok | never-ready | crash-at-start | die-after-N (SIGKILLs itself on the N-th embeddings request)
//       | ignore-sigterm (ok, but survives SIGTERM so that only SIGKILL stops it)
//       | zeros (ok, but every vector is all zeros: a backend that produced no output)
// Vectors: fakeVector(text) below (the tests compute the same numbers). Replies list entries in
// reverse order with "index", like a server that batches by length.
import { createServer } from 'node:http';

const [port, mode = 'ok'] = process.argv.slice(2);
const DIM = Number(process.env.FAKE_DIM ?? 8);

function fakeVector(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.codePointAt(0)) % 1000003;
  return Array.from({ length: DIM }, (_, j) => Math.fround(Math.sin(h + j)));
}

if (mode === 'crash-at-start') {
  console.error('fake server: cannot load model /nonexistent (simulated)');
  process.exit(3);
}
if (mode === 'ignore-sigterm') process.on('SIGTERM', () => console.error('fake server: ignoring SIGTERM'));

let embeddings = 0;
const dieAfter = mode.startsWith('die-after-') ? Number(mode.slice('die-after-'.length)) : Infinity;
console.error(`fake server: pid ${process.pid} mode ${mode}`);

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/health') {
      if (mode === 'never-ready') {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"unix": 1}');
      return;
    }
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ id: 'fake-model', backend: 'fake-engine', capabilities: ['embed'] }] }));
      return;
    }
    if (req.method === 'POST' && req.url === '/v1/embeddings') {
      embeddings++;
      if (embeddings >= dieAfter) {
        console.error(`fake server: dying on request ${embeddings} (simulated crash)`);
        process.kill(process.pid, 'SIGKILL');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const data = body.input.map((t, index) => {
        const v = mode === 'zeros' ? new Array(DIM).fill(0) : fakeVector(t);
        const embedding = body.encoding_format === 'base64' ? Buffer.from(Float32Array.from(v).buffer).toString('base64') : v;
        return { object: 'embedding', index, embedding };
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', model: body.model, data: data.reverse() }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail": "Not Found"}');
  });
}).listen(Number(port), '127.0.0.1');
