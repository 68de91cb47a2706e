import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKind, addressProblem, resolveTarget } from '../../src/webhooks/target-guard.ts';

describe('the SSRF guard', () => {
  it('names the kind of every non-public address', () => {
    const cases: Array<[string, string | undefined]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['172.32.0.1', undefined],
      ['192.168.10.1', 'private'],
      ['100.64.0.1', 'shared (CGNAT)'],
      ['100.127.255.255', 'shared (CGNAT)'],
      ['100.128.0.1', undefined],
      ['169.254.169.254', 'metadata'],
      ['fd00:ec2::254', 'metadata'],
      ['169.254.3.4', 'link-local'],
      ['fe80::1', 'link-local'],
      ['fc00::1', 'unique local'],
      ['fdff:ffff::1', 'unique local'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['224.0.0.251', 'multicast'],
      ['ff02::fb', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['::ffff:10.1.1.1', 'private'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:169.254.169.254', 'metadata'],
      ['64:ff9b::127.0.0.1', 'loopback'],
      ['8.8.8.8', undefined],
      ['93.184.215.14', undefined],
      ['2606:4700:4700::1111', undefined],
    ];
    for (const [address, kind] of cases) expect(addressKind(address), address).toBe(kind);
  });

  it('allows private kinds only with the setting, and metadata, unspecified and multicast never', () => {
    expect(addressProblem('127.0.0.1', true)).toBeUndefined();
    expect(addressProblem('10.0.0.1', true)).toBeUndefined();
    expect(addressProblem('127.0.0.1', false)).toMatch(/loopback address.*UPTAKE_WEBHOOK_ALLOW_PRIVATE=1/);
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '0.0.0.0', '224.0.0.1']) expect(addressProblem(address, true), address).toBeDefined();
  });

  it('refuses every IPv4 address in the private ranges, written plain or IPv4-mapped', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const privateAddress = fc.oneof(
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
      fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([b, c, d]) => `172.${b}.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `127.${b}.${c}.${d}`),
      fc.tuple(fc.integer({ min: 64, max: 127 }), octet, octet).map(([b, c, d]) => `100.${b}.${c}.${d}`),
    );
    fc.assert(
      fc.property(privateAddress, fc.boolean(), (address, mapped) => {
        expect(addressProblem(mapped ? `::ffff:${address}` : address, false)).toBeDefined();
      }),
    );
  });

  it('checks every address a name resolves to, and literals without DNS', async () => {
    await expect(resolveTarget('localhost', false)).rejects.toThrow(/loopback/);
    await expect(resolveTarget('[::1]', false)).rejects.toThrow(/loopback/);
    await expect(resolveTarget('name.invalid', false)).rejects.toThrow(/does not resolve/);
    expect(await resolveTarget('localhost', true)).not.toHaveLength(0);
    expect(await resolveTarget('8.8.8.8', false)).toEqual([{ address: '8.8.8.8', family: 4 }]);
  });
});
