/**
 * The config entry that runs Infinity (michaelfeil/infinity, `infinity_emb v2`) as an `http` backend:
 * parity starts it from .venv-infinity on a free loopback port with the torch engine on the CPU in
 * float32, serving exactly the backend's model folder, and stops it after the run. One definition for
 * the README, `parity bench`'s Infinity row and the tests.
 *
 * Why these flags: --no-model-warmup (its warm-up embeds 32×256-token batches: seconds of start-up
 * that measure nothing here); --batch-size {batchSize} (the server's batch = parity's request, so
 * Infinity pads the same texts together as it was sent); --served-model-name {apiModel} (the reply's
 * "model" and /models name the backend's apiModel, not a path); HF_HUB_OFFLINE (nothing downloaded);
 * DO_NOT_TRACK (no telemetry from a test run). Base64 carries the exact float32 bits in a third of
 * the bytes of decimal JSON.
 */
export function infinityBackendEntry(options: { name?: string; apiModel?: string; batchSize?: number } = {}): Record<string, unknown> {
  return {
    name: options.name ?? 'infinity-cpu',
    runtime: 'http',
    url: '/v1/embeddings',
    apiModel: options.apiModel ?? 'all-MiniLM-L6-v2',
    batchSize: options.batchSize ?? 32,
    encoding: 'base64',
    precision: 'fp32',
    serve: {
      command: [
        '{python}', '-m', 'infinity_emb.cli', 'v2',
        '--model-id', '{model}', '--served-model-name', '{apiModel}',
        '--engine', 'torch', '--device', 'cpu', '--dtype', 'float32',
        '--batch-size', '{batchSize}', '--no-model-warmup',
        '--host', '{host}', '--port', '{port}', '--url-prefix', '/v1',
      ],
      venv: '.venv-infinity',
      requires: ['infinity_emb'],
      ready: '/health',
      env: { HF_HUB_OFFLINE: '1', DO_NOT_TRACK: '1' },
      startupTimeoutMs: 180_000,
    },
  };
}
