/** The key an event is counted under in the derived tables: the track name, or a `$` marker. */
export function eventKey(type: 'identify' | 'group' | 'track' | 'page', event: string | null): string {
  if (type === 'track') return event ?? '';
  return type === 'page' ? '$page' : `$${type}`;
}

/** UTC day (`YYYY-MM-DD`) of an instant. */
export function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}
