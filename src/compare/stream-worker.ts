/** Worker thread for compareNpyFiles: accumulates one row range and posts the accumulator's state. */
import { parentPort, workerData } from 'node:worker_threads';
import { accumulateRange, type WorkerReply, type WorkerRequest } from './stream-compare.js';

const request = workerData as WorkerRequest;
let reply: WorkerReply;
let transfer: ArrayBuffer[] = [];
try {
  const state = accumulateRange(request.goldenPath, request.actualPath, request.tolerance, [], request.firstRow, request.endRow, {
    chunkRows: request.chunkRows,
    worst: request.worst,
  }).exportState();
  reply = { ok: true, state };
  transfer = [state.cosineDelta.buffer, state.rowMaxAbs.buffer, state.normDelta.buffer] as ArrayBuffer[];
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  reply = { ok: false, error: { name: e.name, message: e.message } };
}
parentPort!.postMessage(reply, transfer);
