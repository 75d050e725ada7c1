/**
 * One `parity bench` measurement in its own process, driven by the parent one step at a time:
 * {type: "prepare", task} (load + warm-up), then {type: "pass"} per round, then {type: "finish"}.
 * Every request gets one reply, {ok: true, ...} or {ok: false, error}.
 */
import { prepare, type MeasureTask, type Measurer } from './measure.js';

let measurer: Measurer | null = null;

type Request = { type: 'prepare'; task: MeasureTask } | { type: 'pass' } | { type: 'finish' };

process.on('message', async (m: Request) => {
  try {
    if (m.type === 'prepare') {
      measurer = await prepare(m.task);
      process.send!({ ok: true });
    } else if (m.type === 'pass') {
      process.send!({ ok: true, seconds: await measurer!.pass() });
    } else {
      process.send!({ ok: true, final: await measurer!.finish() });
      process.disconnect();
    }
  } catch (error) {
    process.send!({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
