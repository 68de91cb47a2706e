import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorizationParts, bearerToken } from '../../src/http/authorization-header.ts';

describe('the Authorization header', () => {
  it('takes a scheme, spaces and one token, with spaces or tabs around', () => {
    expect(authorizationParts('Bearer sk_abc')).toEqual({ scheme: 'bearer', credentials: 'sk_abc' });
    expect(authorizationParts('basic   d2tfYWJjOg==')).toEqual({ scheme: 'basic', credentials: 'd2tfYWJjOg==' });
    expect(authorizationParts(' \tBEARER\t sk_abc \t')).toEqual({ scheme: 'bearer', credentials: 'sk_abc' });
    expect(bearerToken('Bearer  sk_abc ')).toBe('sk_abc');
  });

  it('reads nothing from a second word, other whitespace, or no token', () => {
    for (const header of ['Bearer sk_abc extra', 'Bearer\u00a0sk_abc', 'Bearer sk_abc\u2028', 'Bearer\nsk_abc', 'Bearer', 'Bearer ', 'sk_abc', '', 'Be arer sk_abc', undefined, 42]) {
      expect(authorizationParts(header), JSON.stringify(header)).toBeUndefined();
    }
    expect(bearerToken('Basic d2tfYWJjOg==')).toBeUndefined();
  });

  it('property: a token padded with spaces and tabs reads as itself; one with other whitespace inside reads as nothing', () => {
    const token = fc.string({ unit: fc.constantFrom(...'abcXYZ019_-+/='), minLength: 1, maxLength: 40 });
    const padding = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 4 });
    fc.assert(
      fc.property(token, padding, padding, fc.string({ unit: fc.constantFrom(' ', '\t'), minLength: 1, maxLength: 3 }), (value, before, after, gap) => {
        expect(bearerToken(`${before}Bearer${gap}${value}${after}`)).toBe(value);
      }),
    );
    fc.assert(
      fc.property(token, token, fc.constantFrom(' ', '\t', '\u00a0', '\u2028', '\n', '\r'), (a, b, inside) => {
        expect(bearerToken(`Bearer ${a}${inside}${b}`)).toBeUndefined();
      }),
    );
  });
});
