import { describe, expect, it } from 'vitest';
import { createLimit } from '../../src/query/limit.ts';

describe('limit', () => {
  it('runs at most so many at once; urgent waiting ones first in order, then the others cheapest first', async () => {
    const limit = createLimit(1);
    const started: string[] = [];
    let release!: () => void;
    const first = limit(() => new Promise<void>((resolve) => (release = resolve)), false);
    const tasks = (
      [
        ['slow', false, 900],
        ['urgent-a', true, 0],
        ['quick', false, 10],
        ['unknown', false, Infinity],
        ['urgent-b', true, 0],
        ['quick-too', false, 10],
      ] as const
    ).map(([name, urgent, cost]) => limit(async () => void started.push(name), urgent, cost));
    expect(started).toEqual([]);
    release();
    await Promise.all([first, ...tasks]);
    expect(started).toEqual(['urgent-a', 'urgent-b', 'quick', 'quick-too', 'slow', 'unknown']);
  });
});
