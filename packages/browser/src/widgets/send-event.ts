import type { WidgetTracker } from './types.js';

/**
 * A widget's way to send its events: through `tracker`'s normal queue, with `base` (the survey or
 * campaign) in every event's properties, flushed at once. Never throws into the host page.
 */
export const eventSender =
  (tracker: WidgetTracker, base: Record<string, unknown>) =>
  (event: string, properties?: Record<string, unknown>): void => {
    try {
      tracker.track(event, { ...base, ...properties });
      void tracker.flush?.();
    } catch {
      // never throw into the host page
    }
  };
