import type { FieldError } from '@uptake/protocol';
import type { SuppressionCandidate } from '../privacy/suppression.ts';
import type { EventRow } from './prepare-batch.ts';

/** The distinct ids a batch's events name (userId, anonymousId, account), to check against deleted ids. */
export function suppressionCandidates(rows: EventRow[]): SuppressionCandidate[] {
  const seen = new Map<string, SuppressionCandidate>();
  const add = (kind: SuppressionCandidate['kind'], id: string | null) => {
    if (id !== null) seen.set(`${kind}\u0000${id}`, { kind, id });
  };
  for (const row of rows) {
    add('user', row.userId);
    add('anonymous', row.anonymousId);
    add('account', row.accountId);
  }
  return [...seen.values()];
}

/**
 * The refusal of an event naming a deleted id (reason `deleted`, docs/privacy.md), naming the
 * field; undefined when it names none. The message never repeats the id.
 */
export function deletedIdError(row: EventRow, suppressed: Set<string>): FieldError | undefined {
  const message = (what: string) => `deleted: this ${what} was deleted, and its events are refused (docs/privacy.md, Deletion)`;
  if (row.userId !== null && suppressed.has(`user\u0000${row.userId}`)) return { path: 'userId', message: message('userId') };
  if (row.anonymousId !== null && suppressed.has(`anonymous\u0000${row.anonymousId}`)) return { path: 'anonymousId', message: message('anonymousId') };
  if (row.accountId !== null && suppressed.has(`account\u0000${row.accountId}`)) {
    const path = row.type === 'group' ? 'groupId' : typeof row.context?.['groupId'] === 'string' ? 'context.groupId' : 'properties.accountId';
    return { path, message: message('account') };
  }
  return undefined;
}
