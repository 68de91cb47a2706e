/**
 * Whether events under the key `event` (a track event's name; '$page', '$identify', '$group' for
 * the other calls) make their user active that day (docs/api.md): track and page events, except
 * the events of Uptake's own prompts (`$nps_*` answers, `$message_*` of campaign messages: a
 * prompt shown is not use of the product). figure-sql/activity-rows.ts `isActivity` is the same
 * rule in SQL.
 *
 * @example
 * isActivityEvent('$page')         // true
 * isActivityEvent('$nps_response') // false
 * isActivityEvent('$message_shown') // false
 */
export function isActivityEvent(event: string): boolean {
  return !event.startsWith('$nps_') && !event.startsWith('$message_') && event !== '$identify' && event !== '$group';
}

/** Whether the key is a track event's own name (a feature a user can be said to have used). */
export function isTrackEvent(event: string): boolean {
  return event !== '$identify' && event !== '$group' && event !== '$page';
}
