/** Runs one `parity bench` measurement in its own process and sends the result back. */
import { measure, type MeasureTask } from './measure.js';

process.once('message', async (task: MeasureTask) => {
  try {
    process.send!({ ok: true, result: await measure(task) });
  } catch (error) {
    process.send!({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
  process.disconnect();
});
