/**
 * Small integers for user and account ids, so per-day figures (a day's active users, active
 * account-user pairs) fit in Int32Arrays instead of arrays of strings.
 *
 * A numbering only grows and never renumbers: a number, once given, names the same id for as long
 * as anything holds the numbering. Every part numbered with one keeps a reference to it
 * (`NumberedIds`) and is always read with it, never with a newer numbering, so no figure can read
 * a stale number. The figure cache hands out the current numbering of a project (starting a new
 * one once it is full) and counts the bytes of every numbering its cached parts hold: a numbering
 * is freed with the last cached part using it (see figure-cache.ts).
 */
export type Numbering = { readonly ids: string[]; readonly numbers: Map<string, number>; bytes: number };

/** Numbers of some ids, with the numbering that gave them. */
export type NumberedIds = { readonly numbering: Numbering; readonly numbers: Int32Array };

const numberings = new WeakSet<Numbering>();

/** Estimated bytes one id takes in a numbering: the string, its slot in `ids`, its Map entry. */
const idBytes = (id: string) => 72 + 2 * id.length;

export function createNumbering(): Numbering {
  const numbering: Numbering = { ids: [], numbers: new Map(), bytes: 64 };
  numberings.add(numbering);
  return numbering;
}

export function isNumbering(value: unknown): value is Numbering {
  return typeof value === 'object' && value !== null && numberings.has(value as Numbering);
}

export function numberOf(numbering: Numbering, id: string): number {
  let number = numbering.numbers.get(id);
  if (number === undefined) {
    number = numbering.ids.length;
    numbering.ids.push(id);
    numbering.numbers.set(id, number);
    numbering.bytes += idBytes(id);
  }
  return number;
}

/**
 * Parts in one numbering, to combine them: theirs when they all share one (the usual case),
 * otherwise a numbering made for this computation, into which every part is translated by id.
 *
 * @example
 * const { ids, numbers } = inOneNumbering(parts); // ids[numbers[0][0]] is the id of part 0's first number
 */
export function inOneNumbering(parts: readonly NumberedIds[]): { numbering: Numbering; ids: readonly string[]; numbers: Int32Array[] } {
  const first = parts[0]?.numbering;
  if (!first) return { numbering: createNumbering(), ids: [], numbers: [] };
  if (parts.every((part) => part.numbering === first)) return { numbering: first, ids: first.ids, numbers: parts.map((part) => part.numbers) };
  const common = createNumbering();
  const numbers = parts.map((part) => Int32Array.from(part.numbers, (number) => numberOf(common, part.numbering.ids[number]!)));
  return { numbering: common, ids: common.ids, numbers };
}
