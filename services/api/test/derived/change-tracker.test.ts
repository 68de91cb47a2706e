import { describe, expect, it, vi } from 'vitest';
import { createChangeTracker } from '../../src/derived/change-tracker.ts';

describe('change tracker: when data first changed after a version', () => {
  it('answers the time of the first change after the version, of a day when one is named', () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const changes = createChangeTracker();
      const seen = changes.projectDataVersion('p');
      expect(changes.outdatedAt('p', seen)).toBeUndefined();
      vi.setSystemTime(2_000);
      changes.markProjectChanged('p', ['2026-03-01']);
      vi.setSystemTime(3_000);
      changes.markProjectChanged('p', ['2026-03-02']);
      expect(changes.outdatedAt('p', seen)).toBe(2_000);
      expect(changes.outdatedAt('p', seen, '2026-03-02')).toBe(3_000);
      expect(changes.outdatedAt('p', seen, '2026-03-03')).toBeUndefined();
      // A change naming no day changes every day.
      vi.setSystemTime(4_000);
      changes.markProjectChanged('p');
      expect(changes.outdatedAt('p', seen, '2026-03-03')).toBe(4_000);
      // Another project's changes are its own.
      expect(changes.outdatedAt('q', changes.projectDataVersion('q'))).toBeUndefined();
      // A version read after the changes is not outdated.
      expect(changes.outdatedAt('p', changes.projectDataVersion('p'))).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a version up to a day changes with changes naming that day, an earlier one or every day, not later days', () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const changes = createChangeTracker();
      const upTo = () => changes.dataVersionUpTo('p', '2026-03-10');
      const seen = changes.projectDataVersion('p');
      const before = upTo();
      const otherBefore = changes.dataVersionUpTo('q', '2026-03-10');
      changes.markProjectChanged('p', ['2026-03-11']);
      expect(upTo()).toBe(before);
      expect(changes.outdatedAt('p', seen, { upTo: '2026-03-10' })).toBeUndefined();
      vi.setSystemTime(2_000);
      changes.markProjectChanged('p', ['2026-03-12', '2026-03-10']);
      const afterDay = upTo();
      expect(afterDay).not.toBe(before);
      expect(changes.outdatedAt('p', seen, { upTo: '2026-03-10' })).toBe(2_000);
      expect(changes.outdatedAt('p', seen, { upTo: '2026-03-09' })).toBeUndefined();
      changes.markProjectChanged('p', ['2026-01-01']);
      expect(upTo()).not.toBe(afterDay);
      const afterEarlier = upTo();
      changes.markProjectChanged('p');
      expect(upTo()).not.toBe(afterEarlier);
      // Another project's changes are its own.
      expect(changes.dataVersionUpTo('q', '2026-03-10')).toBe(otherBefore);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a rebuild outdates every version before it, of projects it never saw too', () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const changes = createChangeTracker();
      const seenP = changes.projectDataVersion('p');
      const seenQ = changes.projectDataVersion('q');
      changes.markProjectChanged('p', ['2026-03-01']);
      vi.setSystemTime(5_000);
      changes.markAllProjectsChanged();
      expect(changes.outdatedAt('p', seenP, '2026-03-09')).toBe(5_000);
      expect(changes.outdatedAt('p', seenP)).toBe(1_000);
      expect(changes.outdatedAt('q', seenQ)).toBe(5_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a change no longer remembered (over ten seconds old) counts as long ago', () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const changes = createChangeTracker();
      const seen = changes.projectDataVersion('p');
      changes.markProjectChanged('p', ['2026-03-01']);
      // A busy project: a change every 100 ms for three minutes.
      for (let i = 1; i <= 1_800; i++) {
        vi.setSystemTime(1_000 + i * 100);
        changes.markProjectChanged('p', ['2026-03-02']);
      }
      expect(changes.outdatedAt('p', seen)).toBe(0);
      expect(changes.outdatedAt('p', seen, '2026-03-01')).toBe(0);
      const recent = changes.projectDataVersion('p');
      vi.setSystemTime(200_000);
      changes.markProjectChanged('p', ['2026-03-03']);
      expect(changes.outdatedAt('p', recent, '2026-03-03')).toBe(200_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('names the days changed since a version, or none known when a change named no day or is no longer kept', () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const changes = createChangeTracker();
      const seen = changes.projectDataVersion('p');
      expect(changes.changedDaysSince('p', seen)).toEqual([]);
      changes.markProjectChanged('p', ['2026-03-02', '2026-03-01']);
      const middle = changes.projectDataVersion('p');
      changes.markProjectChanged('p', ['2026-03-02', '2026-03-05']);
      expect(changes.changedDaysSince('p', seen)!.sort()).toEqual(['2026-03-01', '2026-03-02', '2026-03-05']);
      expect(changes.changedDaysSince('p', middle)!.sort()).toEqual(['2026-03-02', '2026-03-05']);
      expect(changes.changedDaysSince('p', changes.projectDataVersion('p'))).toEqual([]);
      expect(changes.changedDaysSince('q', changes.projectDataVersion('q'))).toEqual([]);
      // A link or membership: any day.
      changes.markProjectChanged('p');
      expect(changes.changedDaysSince('p', middle)).toBeNull();
      const afterLink = changes.projectDataVersion('p');
      changes.markProjectChanged('p', ['2026-03-06']);
      expect(changes.changedDaysSince('p', afterLink)).toEqual(['2026-03-06']);
      // Changes no longer kept: a busy project's record of three minutes ago.
      for (let i = 1; i <= 1_800; i++) {
        vi.setSystemTime(1_000 + i * 100);
        changes.markProjectChanged('p', ['2026-03-07']);
      }
      expect(changes.changedDaysSince('p', afterLink)).toBeNull();
      // A rebuild between.
      const beforeRebuild = changes.projectDataVersion('p');
      changes.markAllProjectsChanged();
      expect(changes.changedDaysSince('p', beforeRebuild)).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
