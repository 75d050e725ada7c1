/** Worker thread of ForwardPool: builds one BertFloat64 over the shared weights, then runs forward passes one message at a time. */
import { parentPort, workerData } from 'node:worker_threads';
import { describeCause } from '../../errors.js';
import { BertFloat64 } from './bert-f64.js';
import type { ForwardJob, ForwardReply, ForwardWorkerData } from './forward-pool.js';
import { sharedWeightViews } from './shared-weights.js';

const port = parentPort!;
const send = (reply: ForwardReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
const init = workerData as ForwardWorkerData;
let model: BertFloat64 | null = null;
try {
  model = new BertFloat64(init.config, sharedWeightViews(init.weights), init.options);
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', message: describeCause(error) });
}
if (model) {
  const bert = model;
  port.on('message', (job: ForwardJob) => {
    let data: Float64Array;
    try {
      data = bert.forward(Array.from(job.ids), Array.from(job.types));
    } catch (error) {
      send({ type: 'error', message: describeCause(error) });
      return;
    }
    send({ type: 'done', data }, [data.buffer as ArrayBuffer]);
  });
}
