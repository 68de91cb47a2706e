import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * The SSRF guard of webhook targets (docs/webhooks.md, docs/security.md): a delivery may only go
 * to a public address. Checked when an endpoint is saved and again at every send, on the address
 * the connection then uses (DNS can change between the two).
 */

/** Why an address is refused; `private` kinds are allowed by `UPTAKE_WEBHOOK_ALLOW_PRIVATE=1`. */
export type AddressKind = 'loopback' | 'private' | 'shared (CGNAT)' | 'unique local' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'reserved';

const ALLOWED_WHEN_PRIVATE: ReadonlySet<AddressKind> = new Set(['loopback', 'private', 'shared (CGNAT)', 'unique local', 'link-local']);

// Most specific first: 169.254.169.254 is metadata before it is link-local.
const RANGES: Array<[AddressKind, 'ipv4' | 'ipv6', string, number]> = [
  ['metadata', 'ipv4', '169.254.169.254', 32],
  ['metadata', 'ipv4', '169.254.170.2', 32], // ECS task metadata
  ['metadata', 'ipv6', 'fd00:ec2::254', 128],
  ['unspecified', 'ipv4', '0.0.0.0', 8],
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['private', 'ipv4', '10.0.0.0', 8],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['shared (CGNAT)', 'ipv4', '100.64.0.0', 10],
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['reserved', 'ipv4', '192.0.0.0', 24],
  ['reserved', 'ipv4', '198.18.0.0', 15],
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4], // with 255.255.255.255
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['reserved', 'ipv6', '::', 96], // IPv4-compatible, deprecated
  ['unique local', 'ipv6', 'fc00::', 7],
  ['link-local', 'ipv6', 'fe80::', 10],
  ['reserved', 'ipv6', 'fec0::', 10], // site-local, deprecated
  ['multicast', 'ipv6', 'ff00::', 8],
];

const lists = RANGES.map(([kind, family, network, prefix]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { kind, family, list };
});

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible or NAT64 (64:ff9b::) IPv6 one. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:(?:0:)?|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:(?:0:)?|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** What kind of non-public address `address` is (an IP literal), or undefined when it is public. */
export function addressKind(address: string): AddressKind | undefined {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner !== undefined) return addressKind(inner);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return lists.find((entry) => entry.family === type && entry.list.check(address, type))?.kind;
}

/** Why the guard refuses `address`, or undefined when it may be a target. */
export function addressProblem(address: string, allowPrivate: boolean): string | undefined {
  const kind = addressKind(address);
  if (kind === undefined || (allowPrivate && ALLOWED_WHEN_PRIVATE.has(kind))) return undefined;
  const hint = ALLOWED_WHEN_PRIVATE.has(kind) ? ' (an operator may allow private targets with UPTAKE_WEBHOOK_ALLOW_PRIVATE=1)' : '';
  return `resolves to ${address}, a ${kind} address: webhooks are only sent to public addresses${hint}`;
}

/** A hostname as `URL` gives it, without the brackets of an IPv6 literal. */
export const bareHost = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

export type ResolvedAddress = { address: string; family: 4 | 6 };

/**
 * Every address `hostname` resolves to, checked: the first is what to connect to. Throws a
 * `TargetRefused` naming the first refused address, or when the name does not resolve.
 */
export async function resolveTarget(hostname: string, allowPrivate: boolean): Promise<ResolvedAddress[]> {
  const host = bareHost(hostname);
  let addresses: ResolvedAddress[];
  if (isIP(host) !== 0) {
    addresses = [{ address: host, family: isIP(host) as 4 | 6 }];
  } else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family as 4 | 6 }));
    } catch (error) {
      throw new TargetRefused(`host ${host} does not resolve (${(error as { code?: string }).code ?? 'DNS error'})`);
    }
  }
  if (addresses.length === 0) throw new TargetRefused(`host ${host} does not resolve`);
  // Every address: a name that resolves to one public and one private address is refused.
  for (const { address } of addresses) {
    const problem = addressProblem(address, allowPrivate);
    if (problem) throw new TargetRefused(`host ${host} ${problem}`);
  }
  return addresses;
}

export class TargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefused';
  }
}
