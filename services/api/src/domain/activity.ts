/**
 * Whether events under the key `event` (a track event's name; '$page', '$identify', '$group' for
 * the other calls) make their user active that day (docs/api.md): track and page events,
 * `$nps_*` answers excepted. figure-sql/activity-rows.ts `isActivity` is the same rule in SQL.
 *
 * @example
 * isActivityEvent('$page')         // true
 * isActivityEvent('$nps_response') // false
 */
export function isActivityEvent(event: string): boolean {
  return !event.startsWith('$nps_') && event !== '$identify' && event !== '$group';
}

/** Whether the key is a track event's own name (a feature a user can be said to have used). */
export function isTrackEvent(event: string): boolean {
  return event !== '$identify' && event !== '$group' && event !== '$page';
}
