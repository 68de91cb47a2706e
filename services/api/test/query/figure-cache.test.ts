import { describe, expect, it } from 'vitest';
import { createChangeTracker } from '../../src/derived/change-tracker.ts';
import { createFigureCache, type FigureCache } from '../../src/query/figure-cache.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A figure that counts how often it was computed and returns the data it saw. */
function counter() {
  let data = 0;
  let computations = 0;
  return {
    set: (value: number) => (data = value),
    compute: async () => {
      computations++;
      const seen = data;
      await sleep(20);
      return seen;
    },
    computations: () => computations,
  };
}

/** Reads of a figure that takes 300 ms from nothing (slow), returning `data()` as it was when it started. */
function slowFigure(cache: FigureCache, project: string, data: () => number) {
  return () =>
    cache.get(project, 'slow', async () => {
      const seen = data();
      await sleep(300);
      return seen;
    });
}

describe('figure cache', () => {
  it('with no staleness allowed, recomputes exactly when the project\'s data changed', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 0 });
    const figure = counter();
    const project = `p-${Math.random()}`;
    expect(await cache.get(project, 'k', figure.compute)).toBe(0);
    expect(await cache.get(project, 'k', figure.compute)).toBe(0);
    expect(figure.computations()).toBe(1);
    figure.set(1);
    changes.markProjectChanged(project);
    expect(await cache.get(project, 'k', figure.compute)).toBe(1);
    expect(figure.computations()).toBe(2);
  });

  it('keeps a figure as of a day current through changes of later days only', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 0 });
    const figure = counter();
    const project = `p-${Math.random()}`;
    const read = () => cache.get(project, 'k', figure.compute, '2026-03-10');
    expect(await read()).toBe(0);
    // Events of later days: the figure as of 2026-03-10 is what it was.
    figure.set(1);
    changes.markProjectChanged(project, ['2026-03-11', '2026-03-12']);
    expect(await read()).toBe(0);
    expect(figure.computations()).toBe(1);
    // Events of the day itself, of an earlier one, or of every day (a link): recomputed.
    for (const days of [['2026-03-10'], ['2026-03-12', '2026-02-01'], undefined]) {
      changes.markProjectChanged(project, days);
      expect(await read()).toBe(1);
    }
    expect(figure.computations()).toBe(4);
  });

  it('serves a figure as of a day within the staleness bound counted from the first change of that day or an earlier one', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 100, unchangedRefreshMs: 3_600_000 });
    const figure = counter();
    const project = `p-${Math.random()}`;
    await cache.get(project, 'k', figure.compute, '2026-03-10');
    // A later day changed long ago; the day itself only now: the stale figure is served while it refreshes.
    changes.markProjectChanged(project, ['2026-03-11']);
    await sleep(150);
    figure.set(7);
    changes.markProjectChanged(project, ['2026-03-09']);
    expect(await cache.get(project, 'k', figure.compute, '2026-03-10')).toBe(0);
    await sleep(60);
    expect(await cache.get(project, 'k', figure.compute, '2026-03-10')).toBe(7);
  });

  it('hands an incremental figure its last value and the days changed since, or nothing when any day may have changed', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 0, unchangedRefreshMs: 3_600_000 });
    const project = `p-${Math.random()}`;
    const handed: Array<{ value: string[]; changedDays: readonly string[] } | undefined> = [];
    // The figure: the days changed, in order, as far as it was told; afresh: ['all'].
    const read = () =>
      cache.incremental<string[]>(project, 'k', async (since) => {
        handed.push(since);
        return since ? [...since.value, ...[...since.changedDays].sort()] : ['all'];
      });
    expect(await read()).toEqual(['all']);
    changes.markProjectChanged(project, ['2026-03-02']);
    changes.markProjectChanged(project, ['2026-03-01']);
    expect(await read()).toEqual(['all', '2026-03-01', '2026-03-02']);
    expect(await read()).toEqual(['all', '2026-03-01', '2026-03-02']);
    expect(handed).toHaveLength(2);
    changes.markProjectChanged(project);
    expect(await read()).toEqual(['all']);
    expect(handed.at(-1)).toBeUndefined();
  });

  it('a fresh reader is never served a stale figure, and shares the refresh the other readers start', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 60_000, unchangedRefreshMs: 3_600_000, refreshConcurrency: 1, lightFigureMs: 0 });
    const figure = counter();
    const project = `p-${Math.random()}`;
    expect(await cache.get(project, 'k', figure.compute)).toBe(0);
    figure.set(1);
    changes.markProjectChanged(project, ['2026-03-01']);
    // A reader within the bound: the stale figure, and a refresh started (waiting for its turn).
    expect(await cache.get(project, 'k', figure.compute)).toBe(0);
    expect(await cache.fresh(() => cache.get(project, 'k', figure.compute))).toBe(1);
    expect(figure.computations()).toBe(2);
    // The refresh the fresh reader waited for is kept for everyone.
    expect(await cache.get(project, 'k', figure.compute)).toBe(1);
    expect(figure.computations()).toBe(2);
  });

  it('shares one computation between concurrent readers', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 0 });
    const figure = counter();
    const answers = await Promise.all(Array.from({ length: 5 }, () => cache.get('shared', 'k', figure.compute)));
    expect(answers).toEqual([0, 0, 0, 0, 0]);
    expect(figure.computations()).toBe(1);
  });

  it('within the staleness bound, serves the cached figure and refreshes it in the background', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 400 });
    const figure = counter();
    const project = `p-${Math.random()}`;
    expect(await cache.get(project, 'k', figure.compute)).toBe(0);
    figure.set(1);
    changes.markProjectChanged(project);
    // Served at once from the cache; a refresh starts.
    expect(await cache.get(project, 'k', figure.compute)).toBe(0);
    expect(figure.computations()).toBe(2);
    await sleep(60);
    expect(await cache.get(project, 'k', figure.compute)).toBe(1);
  });

  it('waits for a fresh figure once the data changed longer ago than the bound allows', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 100 });
    const figure = counter();
    const project = `p-${Math.random()}`;
    await cache.get(project, 'k', figure.compute);
    figure.set(7);
    changes.markProjectChanged(project);
    await sleep(150);
    expect(await cache.get(project, 'k', figure.compute)).toBe(7);
  });

  it('counts staleness from the first change a figure misses, not from its computation: an old figure of data that just changed is served', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 100, unchangedRefreshMs: 3_600_000 });
    const figure = counter();
    const project = `p-${Math.random()}`;
    await cache.get(project, 'k', figure.compute);
    // Computed long before the bound; the data changes only now.
    await sleep(150);
    figure.set(7);
    changes.markProjectChanged(project);
    expect(await cache.get(project, 'k', figure.compute)).toBe(0);
    await sleep(60);
    expect(await cache.get(project, 'k', figure.compute)).toBe(7);
    expect(figure.computations()).toBe(2);
  });

  it('a reader past the bound joins the refresh of the current data already running', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 100, unchangedRefreshMs: 3_600_000 });
    let data = 0;
    let computations = 0;
    const slow = async () => {
      computations++;
      const seen = data;
      await sleep(300);
      return seen;
    };
    const project = `p-${Math.random()}`;
    await cache.get(project, 'k', slow);
    data = 7;
    changes.markProjectChanged(project);
    expect(await cache.get(project, 'k', slow)).toBe(0);
    await sleep(150);
    expect(await cache.get(project, 'k', slow)).toBe(7);
    expect(computations).toBe(2);
  });

  it('serves an unchanged figure at once and refreshes it in the background (events stored by another instance)', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 100, unchangedRefreshMs: 100 });
    const figure = counter();
    const project = `p-${Math.random()}`;
    await cache.get(project, 'k', figure.compute);
    figure.set(7);
    await sleep(150);
    expect(await cache.get(project, 'k', figure.compute)).toBe(0);
    await sleep(60);
    expect(await cache.get(project, 'k', figure.compute)).toBe(7);
  });

  it('refreshes a figure made of other figures from their current data, never from their stale copies', async () => {
    const changes = createChangeTracker();
    // A long bound and no unchanged refresh: only a version change refreshes anything here.
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 60_000, unchangedRefreshMs: 3_600_000 });
    const inner = counter();
    const project = `p-${Math.random()}`;
    // A comparison of two tables, the segment facts of scores …: the outer figure reads an inner one.
    const outer = async () => 10 * (await cache.get(project, 'inner', inner.compute));
    expect(await cache.get(project, 'outer', outer)).toBe(0);
    inner.set(1);
    changes.markProjectChanged(project);
    // Stale within the bound: served, and refreshed in the background.
    expect(await cache.get(project, 'outer', outer)).toBe(0);
    await sleep(100);
    expect(await cache.get(project, 'outer', outer)).toBe(10);
    // A reader of the inner figure alone meanwhile got the refresh the outer one started.
    expect(await cache.get(project, 'inner', inner.compute)).toBe(1);
    expect(inner.computations()).toBe(2);
  });

  it('a figure made of other figures whose refresh of older data still runs computes them once more', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 60_000, unchangedRefreshMs: 3_600_000 });
    const inner = counter();
    const project = `p-${Math.random()}`;
    const outer = async () => 10 * (await cache.get(project, 'inner', inner.compute));
    expect(await cache.get(project, 'outer', outer)).toBe(0);
    inner.set(1);
    changes.markProjectChanged(project);
    // A reader of the inner figure starts its refresh (it will see 1) …
    expect(await cache.get(project, 'inner', inner.compute)).toBe(0);
    // … and newer data arrives before it ends.
    inner.set(2);
    changes.markProjectChanged(project);
    expect(await cache.get(project, 'outer', outer)).toBe(0);
    await sleep(100);
    expect(await cache.get(project, 'outer', outer)).toBe(20);
  });

  it('runs at most refreshConcurrency background refreshes at once, so readers keep pooled connections', async () => {
    const changes = createChangeTracker();
    // Every figure counts as slow here.
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 60_000, unchangedRefreshMs: 3_600_000, refreshConcurrency: 1, lightFigureMs: 0 });
    let running = 0;
    let most = 0;
    let data = 0;
    const figure = async () => {
      running++;
      most = Math.max(most, running);
      const seen = data;
      await sleep(40);
      running--;
      return seen;
    };
    const project = `p-${Math.random()}`;
    await Promise.all(['a', 'b', 'c'].map((key) => cache.get(project, key, figure)));
    expect(most).toBe(3);
    most = 0;
    data = 1;
    changes.markProjectChanged(project);
    // Three stale figures served at once; their refreshes run one after the other.
    expect(await Promise.all(['a', 'b', 'c'].map((key) => cache.get(project, key, figure)))).toEqual([0, 0, 0]);
    await sleep(200);
    expect(await Promise.all(['a', 'b', 'c'].map((key) => cache.get(project, key, figure)))).toEqual([1, 1, 1]);
    expect(most).toBe(1);
  });

  it('refreshes a figure that was quick to compute at once, not behind the slow ones', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 60_000, unchangedRefreshMs: 3_600_000, refreshConcurrency: 1, lightFigureMs: 100 });
    let data = 0;
    const figure = (ms: number) => async () => {
      const seen = data;
      await sleep(ms);
      return seen;
    };
    const project = `p-${Math.random()}`;
    await Promise.all([cache.get(project, 'slow', figure(300)), cache.get(project, 'quick', figure(10))]);
    data = 1;
    changes.markProjectChanged(project);
    // The slow figure's refresh takes the only turn; the quick one's does not wait for it.
    expect(await cache.get(project, 'slow', figure(300))).toBe(0);
    expect(await cache.get(project, 'quick', figure(10))).toBe(0);
    await sleep(80);
    expect(await cache.get(project, 'quick', figure(10))).toBe(1);
    expect(await cache.get(project, 'slow', figure(300))).toBe(0);
  });

  it('refreshes an incremental figure that starts from its kept value at once, though it was slow from nothing', async () => {
    for (const [changedDay, atOnce] of [['2026-03-05', true], ['2026-02-01', false]] as const) {
      const changes = createChangeTracker();
      const cache = createFigureCache({ versions: changes, maxStalenessMs: 60_000, unchangedRefreshMs: 3_600_000, refreshConcurrency: 1, lightFigureMs: 100 });
      let data = 0;
      const project = `p-${Math.random()}`;
      const slow = slowFigure(cache, project, () => data);
      // From nothing 150 ms (slow); from its kept value (changes of March only) 10 ms.
      const kept = () =>
        cache.incremental(
          project,
          'kept',
          async (since) => {
            const seen = data;
            await sleep(since && since.changedDays.every((day) => day >= '2026-03-01') ? 10 : 150);
            return seen;
          },
          undefined,
          (days) => days.every((day) => day >= '2026-03-01'),
        );
      await Promise.all([slow(), kept()]);
      data = 1;
      changes.markProjectChanged(project, [changedDay]);
      expect(await slow()).toBe(0);
      expect(await kept()).toBe(0);
      await sleep(80);
      // From the kept value: no turn taken, done before the slow figure's refresh. A change of an earlier day: behind it.
      expect(await kept(), changedDay).toBe(atOnce ? 1 : 0);
    }
  });

  it('refreshes an unchanged incremental figure (the safety net) afresh, waiting for its turn like any slow figure', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 60_000, unchangedRefreshMs: 100, refreshConcurrency: 1, lightFigureMs: 100 });
    let data = 0;
    const project = `p-${Math.random()}`;
    const slow = slowFigure(cache, project, () => data);
    // From nothing 150 ms (slow); from its kept value 10 ms. Each computation notes what it started from.
    const started: Array<'kept' | 'nothing'> = [];
    const kept = () =>
      cache.incremental(
        project,
        'kept',
        async (since) => {
          started.push(since ? 'kept' : 'nothing');
          const seen = data;
          await sleep(since ? 10 : 150);
          return seen;
        },
        undefined,
        () => true,
      );
    await Promise.all([slow(), kept()]);
    // Data changed where this instance was not told (another instance's events, its feed lost).
    data = 1;
    await sleep(150);
    expect(await slow()).toBe(0);
    expect(await kept()).toBe(0);
    await sleep(80);
    // Behind the slow figure's refresh, which holds the only turn.
    expect(started).toEqual(['nothing']);
    expect(await kept()).toBe(0);
    await sleep(450);
    expect(started).toEqual(['nothing', 'nothing']);
    expect(await kept()).toBe(1);
  });

  it('judges a figure quick or slow by its computation, not by its wait for a turn', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 60_000, unchangedRefreshMs: 3_600_000, refreshConcurrency: 1, lightFigureMs: 100 });
    let data = 0;
    // The first computation of `once` is slow (a cold start), its refreshes quick.
    let onceMs = 150;
    const figure = (key: string, ms: () => number) => () =>
      cache.get(project, key, async () => {
        const seen = data;
        await sleep(ms());
        return seen;
      });
    const project = `p-${Math.random()}`;
    const slow = figure('slow', () => 300);
    const once = figure('once', () => onceMs);
    await Promise.all([slow(), once()]);
    onceMs = 10;
    const changeAndRead = async (value: number) => {
      data = value;
      changes.markProjectChanged(project);
      await slow();
      await once();
    };
    // Slow last time: its refresh waits behind the slow figure's (300 ms), then computes in 10 ms.
    await changeAndRead(1);
    await sleep(400);
    expect(await once()).toBe(1);
    // Judged by those 10 ms, not by the wait: the next refresh runs at once.
    await changeAndRead(2);
    await sleep(80);
    expect(await once()).toBe(2);
  });

  it('a refresh reading a figure whose own refresh waits for its turn does not wait for it (no deadlock)', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 60_000, unchangedRefreshMs: 3_600_000, refreshConcurrency: 1, lightFigureMs: 0 });
    const inner = counter();
    const project = `p-${Math.random()}`;
    const outer = async () => {
      // Reads its part only after the part's own refresh was queued behind this one.
      await sleep(30);
      return 10 * (await cache.get(project, 'inner', inner.compute));
    };
    expect(await cache.get(project, 'outer', outer)).toBe(0);
    inner.set(1);
    changes.markProjectChanged(project);
    // The outer refresh takes the only turn; the inner one queues behind it.
    expect(await cache.get(project, 'outer', outer)).toBe(0);
    expect(await cache.get(project, 'inner', inner.compute)).toBe(0);
    await sleep(200);
    expect(await cache.get(project, 'outer', outer)).toBe(10);
    expect(await cache.get(project, 'inner', inner.compute)).toBe(1);
  });

  it('keeps figures per day and recomputes only the days whose events changed', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 0 });
    const project = `p-${Math.random()}`;
    const data = new Map([['2026-03-01', 1], ['2026-03-02', 2], ['2026-03-03', 3]]);
    const computed: string[] = [];
    const computeDay = async (day: string) => {
      computed.push(day);
      return data.get(day)!;
    };
    const days = [...data.keys()];
    expect(await cache.days(project, 'k', days, computeDay)).toEqual([1, 2, 3]);
    expect(await cache.days(project, 'k', days, computeDay)).toEqual([1, 2, 3]);
    expect(computed).toEqual(days);

    data.set('2026-03-02', 20);
    changes.markProjectChanged(project, ['2026-03-02']);
    expect(await cache.days(project, 'k', days, computeDay)).toEqual([1, 20, 3]);
    expect(computed).toEqual([...days, '2026-03-02']);

    // No days named: an identity link or membership may re-attribute any day.
    data.set('2026-03-01', 10);
    changes.markProjectChanged(project);
    expect(await cache.days(project, 'k', days, computeDay)).toEqual([10, 20, 3]);
    expect(computed).toHaveLength(days.length * 2 + 1);
  });

  it('reads the changes of its own tracker only: two apps in one process never share them', async () => {
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 0 });
    const figure = counter();
    const project = `p-${Math.random()}`;
    expect(await cache.get(project, 'k', figure.compute)).toBe(0);
    figure.set(1);
    createChangeTracker().markProjectChanged(project);
    expect(await cache.get(project, 'k', figure.compute)).toBe(0);
    expect(figure.computations()).toBe(1);
    changes.markProjectChanged(project);
    expect(await cache.get(project, 'k', figure.compute)).toBe(1);
  });
});
