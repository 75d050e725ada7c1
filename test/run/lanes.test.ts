/** The run's lanes (src/run/lanes.ts) and block folds (src/run/block-folds.ts), with tasks whose overlap is recorded. */
import { describe, expect, it } from 'vitest';
import { Lanes, threadsPerBackend } from '../../src/run/lanes.js';
import { BlockFolds } from '../../src/run/block-folds.js';
import type { Matrix } from '../../src/numeric/matrix.js';

/** A task that stays in flight until released, recording how many tasks (and which groups) overlapped it. */
function recorder() {
  let inFlight = 0;
  let most = 0;
  const groupsNow = new Set<string>();
  const log: string[] = [];
  const pending: (() => void)[] = [];
  const task = (group: string, name: string) => () =>
    new Promise<string>((resolve, reject) => {
      if (groupsNow.has(group)) reject(new Error(`two tasks of group ${group} at once`));
      groupsNow.add(group);
      inFlight++;
      most = Math.max(most, inFlight);
      log.push(`start ${name}`);
      pending.push(() => {
        inFlight--;
        groupsNow.delete(group);
        log.push(`end ${name}`);
        resolve(name);
      });
    });
  const releaseOne = async () => {
    await new Promise((r) => setImmediate(r));
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { task, log, releaseOne, most: () => most, pending };
}

describe('Lanes', () => {
  it('runs at most `jobs` tasks at once, never two of one group, first come first served', async () => {
    const r = recorder();
    const lanes = new Lanes(2);
    const done = Promise.all([
      lanes.run('a', r.task('a', 'a1')),
      lanes.run('a', r.task('a', 'a2')),
      lanes.run('b', r.task('b', 'b1')),
      lanes.run('c', r.task('c', 'c1')),
    ]);
    await new Promise((res) => setImmediate(res));
    // a2 waits for a1 (same group); b1 takes the second slot; c1 waits for a slot.
    expect(r.log).toEqual(['start a1', 'start b1']);
    while (r.pending.length) await r.releaseOne();
    expect(await done).toEqual(['a1', 'a2', 'b1', 'c1']);
    expect(r.most()).toBe(2);
    // a1 ends: a2 (oldest waiting, its group now free) starts before c1.
    expect(r.log.indexOf('start a2')).toBeLessThan(r.log.indexOf('start c1'));
  });

  it('jobs 1 runs one task after another in the order asked', async () => {
    const r = recorder();
    const lanes = new Lanes(1);
    const done = Promise.all(['x', 'y', 'z'].map((g) => lanes.run(g, r.task(g, g))));
    while (r.pending.length || r.log.length < 6) await r.releaseOne();
    await done;
    expect(r.log).toEqual(['start x', 'end x', 'start y', 'end y', 'start z', 'end z']);
    expect(r.most()).toBe(1);
  });

  it('a task that fails or throws before its first await frees its slot and rejects its caller', async () => {
    const lanes = new Lanes(1);
    const thrown = lanes.run('a', () => {
      throw new Error('at once');
    });
    const rejected = lanes.run('b', () => Promise.reject(new Error('later')));
    const after = lanes.run('c', async () => 'still runs');
    await expect(thrown).rejects.toThrow('at once');
    await expect(rejected).rejects.toThrow('later');
    expect(await after).toBe('still runs');
  });

  it('of the tasks waiting, a lower priority starts first; equal priorities keep the order asked', async () => {
    const r = recorder();
    const lanes = new Lanes(1);
    const done = Promise.all([
      lanes.run('x', r.task('x', 'x'), 5),
      lanes.run('late', r.task('late', 'late'), 2),
      lanes.run('urgent', r.task('urgent', 'urgent'), 0),
      lanes.run('late2', r.task('late2', 'late2'), 2),
    ]);
    while (r.pending.length || r.log.length < 8) await r.releaseOne();
    await done;
    // x started at once (a free slot); then by priority, and late before late2 (asked first).
    expect(r.log.filter((l) => l.startsWith('start'))).toEqual(['start x', 'start urgent', 'start late', 'start late2']);
  });

  it('refuses a jobs count that is not a positive integer', () => {
    expect(() => new Lanes(0)).toThrow(RangeError);
    expect(() => new Lanes(1.5)).toThrow(RangeError);
  });
});

describe('threadsPerBackend', () => {
  it('divides the cores among the backends at work, at least one each; one job keeps the runtimes\' defaults', () => {
    expect(threadsPerBackend(2, 2)).toBe(1);
    expect(threadsPerBackend(3, 2)).toBe(1);
    expect(threadsPerBackend(2, 16)).toBe(8);
    expect(threadsPerBackend(3, 16)).toBe(5);
    expect(threadsPerBackend(1, 16)).toBeUndefined();
  });
});

describe('BlockFolds', () => {
  const gold = (start: number, end: number): Matrix => ({ rows: end - start, dim: 1, data: Float64Array.from({ length: end - start }, (_, k) => start + k) });
  const vec = (v: number): Matrix => ({ rows: 1, dim: 1, data: Float64Array.of(v) });

  it('folds each block once, in order, when every backend arrived; a block waits for the fold before it', async () => {
    const folds: string[] = [];
    const reads: string[] = [];
    const blocks = new BlockFolds(0, 5, 2, 2, (s, e) => (reads.push(`${s}-${e}`), gold(s, e)), (s, e, v) => folds.push(`${s}-${e}:${[...v.keys()].join(',')}`));
    expect(blocks.count).toBe(3);
    let secondReady = false;
    void blocks.ready(1).then(() => (secondReady = true));
    expect(blocks.block(0)).toMatchObject({ start: 0, end: 2 });
    blocks.arrive(0, 'p', vec(1));
    await Promise.resolve();
    expect(secondReady).toBe(false);
    expect(folds).toEqual([]);
    blocks.arrive(0, 'q', null); // q stopped: arrives without vectors
    await Promise.resolve();
    expect(secondReady).toBe(true);
    expect(folds).toEqual(['0-2:golden,p']);
    blocks.block(1);
    blocks.block(1);
    blocks.arrive(1, 'q', null);
    blocks.arrive(1, 'p', vec(2));
    expect(blocks.block(2)).toMatchObject({ start: 4, end: 5 });
    // The golden of a block is read once however many backends ask.
    expect(reads).toEqual(['0-2', '2-4', '4-5']);
  });

  it('starts at the first unfinished row of a resumed run', () => {
    const blocks = new BlockFolds(4, 9, 2, 1, gold, () => undefined);
    expect(blocks.count).toBe(3);
    expect(blocks.block(0)).toMatchObject({ start: 4, end: 6 });
    expect(blocks.block(2)).toMatchObject({ start: 8, end: 9 });
    expect(new BlockFolds(9, 9, 2, 1, gold, () => undefined).count).toBe(0);
  });

  it('abort stops every backend waiting for a later block', async () => {
    const blocks = new BlockFolds(0, 4, 2, 2, gold, () => undefined);
    const waiting = blocks.ready(1);
    blocks.abort(new Error('a lane failed'));
    await expect(waiting).rejects.toThrow('a lane failed');
  });
});
