// IP addresses as bytes: every spelling a URL host or inet_aton accepts ("0x7f.1", "2130706433",
// "017700000001", "[::ffff:7f00:1]", "::ffff:127.0.0.1") is parsed to the same bytes, and networks
// (CIDRs) are matched on those bytes. No I/O.
import net from 'node:net';

/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
export interface Ip {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** One IPv4 part as inet_aton reads it: 0x… hexadecimal, 0… octal, else decimal. */
function ipv4Part(part: string): number | null {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (/^0[0-7]*$/.test(part)) return parseInt(part, 8);
  if (/^[1-9][0-9]*$/.test(part)) return Number(part);
  return null;
}

/** inet_aton's forms: a, a.b, a.b.c, a.b.c.d, each part decimal, octal or hex; the last part fills the rest. */
function parseIpv4(text: string): Ip | null {
  const parts = text.replace(/\.$/, '').split('.');
  if (parts.length > 4) return null;
  const values = parts.map(ipv4Part);
  if (values.some((v) => v === null)) return null;
  const nums = values as number[];
  const last = nums.pop()!;
  if (nums.some((v) => v > 255) || last >= 256 ** (4 - nums.length)) return null;
  let value = last;
  nums.forEach((v, i) => (value += v * 256 ** (3 - i)));
  return { family: 4, bytes: Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255) };
}

function parseIpv6(text: string): Ip | null {
  if (!net.isIPv6(text) || text.includes('%')) return null; // zone ids (fe80::1%eth0) are not accepted
  // A dotted IPv4 tail ("::ffff:127.0.0.1") becomes its two hexadecimal groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const hex = (a: string, b: string) => ((Number(a) << 8) | Number(b)).toString(16);
  const s = dotted ? `${text.slice(0, dotted.index)}${hex(dotted[1]!, dotted[2]!)}:${hex(dotted[3]!, dotted[4]!)}` : text;
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [left, right] = s.split('::');
  const l = groupsOf(left!);
  const r = right === undefined ? [] : groupsOf(right);
  const groups = right === undefined ? l : [...l, ...Array<number>(8 - l.length - r.length).fill(0), ...r];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => ((bytes[2 * i] = g >> 8), (bytes[2 * i + 1] = g & 255)));
  return { family: 6, bytes };
}

/** An IP address in any spelling a URL host or inet_aton accepts (IPv6 with or without brackets); null for a name. */
export function parseIp(text: string): Ip | null {
  const t = text.trim();
  const inner = t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t;
  if (inner.includes(':')) return parseIpv6(inner);
  return parseIpv4(inner);
}

/** The usual text of an address: dotted IPv4, or compressed IPv6. */
export function formatIp(ip: Ip): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (ip.bytes[2 * i]! << 8) | ip.bytes[2 * i + 1]!);
  let best = { start: -1, len: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { start: i, len: j - i };
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.len).join(':')}`;
}

/** A network: an address and a prefix length. */
export interface Cidr {
  ip: Ip;
  prefix: number;
}

/** "10.0.0.0/8", "fc00::/7", or one address (a full-length prefix). Null when it is neither. */
export function parseCidr(text: string): Cidr | null {
  const [addr, len, extra] = text.trim().split('/');
  if (extra !== undefined || addr === undefined) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  if (len === undefined) return { ip, prefix: max };
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) return null;
  return { ip, prefix: Number(len) };
}

/** Whether the address is in the network (the same family only: an IPv4 network never matches IPv6). */
export function inCidr(ip: Ip, cidr: Cidr): boolean {
  if (ip.family !== cidr.ip.family) return false;
  for (let bit = 0; bit < cidr.prefix; bit++) {
    const mask = 0x80 >> bit % 8;
    if ((ip.bytes[bit >> 3]! & mask) !== (cidr.ip.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}
