import fc from 'fast-check';

/**
 * Any JSON value a fuzz sends where one is expected: one of `leaves` (its hostile texts, numbers,
 * booleans, null …), or arrays and objects of such values (up to 4 items or keys, keys drawn
 * from `keys`), nested a few levels.
 *
 * @example
 * const value = hostileJson(hostileText, [hostileText, fc.integer(), fc.boolean(), fc.constant(null)]);
 */
export function hostileJson(keys: fc.Arbitrary<string>, leaves: ReadonlyArray<fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, ...leaves, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(keys, tie('value'), { maxKeys: 4 })),
  })).value;
}
