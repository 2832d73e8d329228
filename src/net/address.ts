// Which IP addresses a server-side fetch may connect to: public ones only. Every address is
// classified from its bytes (src/net/ip.ts parses every spelling), so "0x7f.1", "2130706433" and
// "[::ffff:7f00:1]" are all the loopback address they are. Addresses that carry an IPv4 address
// inside an IPv6 one are judged by the IPv4 address where it is routable (NAT64, 6to4), and
// refused outright where they only make sense on this host or its network (mapped, compatible,
// Teredo).
import { formatIp, inCidr, parseCidr, parseIp, type Cidr, type Ip } from './ip.js';

export { formatIp, inCidr, parseCidr, parseIp, type Cidr, type Ip } from './ip.js';

interface Range {
  cidr: Cidr;
  reason: string;
  /** For ranges that embed an IPv4 address: the address, judged instead of the range. */
  embedded?: (bytes: Uint8Array) => Ip;
}

const v4At = (offset: number) => (bytes: Uint8Array): Ip => ({ family: 4, bytes: bytes.slice(offset, offset + 4) });

const range = (text: string, reason: string, embedded?: Range['embedded']): Range => ({ cidr: parseCidr(text)!, reason, embedded });

/** Refused IPv4 networks; the first match gives the reason (more specific first). */
const IPV4: Range[] = [
  range('0.0.0.0/8', 'an unspecified address ("this network", 0.0.0.0/8)'),
  range('10.0.0.0/8', 'a private network address (10.0.0.0/8)'),
  range('100.64.0.0/10', 'a carrier-grade NAT address (100.64.0.0/10)'),
  range('127.0.0.0/8', 'a loopback address (127.0.0.0/8, this machine)'),
  range('169.254.169.254/32', 'the cloud metadata address (169.254.169.254, link-local)'),
  range('169.254.0.0/16', 'a link-local address (169.254.0.0/16)'),
  range('172.16.0.0/12', 'a private network address (172.16.0.0/12)'),
  range('192.0.0.0/24', 'an IETF protocol assignment address (192.0.0.0/24)'),
  range('192.0.2.0/24', 'a documentation address (192.0.2.0/24)'),
  range('192.88.99.0/24', 'a 6to4 relay anycast address (192.88.99.0/24)'),
  range('192.168.0.0/16', 'a private network address (192.168.0.0/16)'),
  range('198.18.0.0/15', 'a benchmarking address (198.18.0.0/15)'),
  range('198.51.100.0/24', 'a documentation address (198.51.100.0/24)'),
  range('203.0.113.0/24', 'a documentation address (203.0.113.0/24)'),
  range('224.0.0.0/4', 'a multicast address (224.0.0.0/4)'),
  range('255.255.255.255/32', 'the broadcast address (255.255.255.255)'),
  range('240.0.0.0/4', 'a reserved address (240.0.0.0/4)'),
];

/** Refused (or embedding) IPv6 networks; the first match decides. */
const IPV6: Range[] = [
  range('::/128', 'the unspecified IPv6 address (::)'),
  range('::1/128', 'the IPv6 loopback address (::1, this machine)'),
  range('::ffff:0:0/96', 'an IPv4-mapped IPv6 address (::ffff:0:0/96)'),
  range('::/96', 'an IPv4-compatible IPv6 address (::/96, deprecated)'),
  range('64:ff9b::/96', 'a NAT64 address', v4At(12)),
  range('64:ff9b:1::/48', 'a local-use NAT64 address (64:ff9b:1::/48)'),
  range('100::/64', 'a discard-only address (100::/64)'),
  range('2001::/32', 'a Teredo tunnel address (2001::/32)'),
  range('2001:db8::/32', 'a documentation address (2001:db8::/32)'),
  range('2001::/23', 'an IETF protocol assignment address (2001::/23)'),
  range('2002::/16', 'a 6to4 address', v4At(2)),
  range('fc00::/7', 'a unique local address (fc00::/7, a private network)'),
  range('fe80::/10', 'a link-local address (fe80::/10)'),
  range('fec0::/10', 'a site-local address (fec0::/10, deprecated)'),
  range('ff00::/8', 'a multicast address (ff00::/8)'),
];

/** Only 2000::/3 is global unicast; anything else left over is reserved. */
const GLOBAL_UNICAST = parseCidr('2000::/3')!;

/** Null when the address is public; else why it is refused, in words ("a loopback address (127.0.0.0/8, this machine)"). */
export function classifyIp(ip: Ip): string | null {
  const found = (ip.family === 4 ? IPV4 : IPV6).find((r) => inCidr(ip, r.cidr));
  if (found?.embedded) {
    const inner = found.embedded(ip.bytes);
    const why = classifyIp(inner);
    return why && `${found.reason} embedding ${formatIp(inner)}, ${why}`;
  }
  if (found) return found.reason;
  if (ip.family === 6 && !inCidr(ip, GLOBAL_UNICAST)) return 'a reserved IPv6 address (outside the global unicast range 2000::/3)';
  return null;
}

/** classifyIp for a text address in any spelling; a text that is no address is refused as such. */
export function classifyAddress(text: string): string | null {
  const ip = parseIp(text);
  return ip ? classifyIp(ip) : `not an IP address ("${text.slice(0, 64)}")`;
}
