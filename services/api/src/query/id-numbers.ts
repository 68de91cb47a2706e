/**
 * Small integers for user and account ids, per project, so per-day figures (a day's active users,
 * active account-user pairs) fit in Int32Arrays instead of arrays of strings. A numbering only
 * grows, for the life of the process (one entry per id ever seen in a figure).
 */
export type Numbering = { ids: string[]; numbers: Map<string, number> };

const numberings = new Map<string, Numbering>();

export function numberingOf(kind: 'users' | 'accounts', projectId: string): Numbering {
  const key = `${kind}\u0000${projectId}`;
  let numbering = numberings.get(key);
  if (!numbering) numberings.set(key, (numbering = { ids: [], numbers: new Map() }));
  return numbering;
}

export function numberOf(numbering: Numbering, id: string): number {
  let number = numbering.numbers.get(id);
  if (number === undefined) {
    number = numbering.ids.length;
    numbering.ids.push(id);
    numbering.numbers.set(id, number);
  }
  return number;
}
