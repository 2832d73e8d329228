// URL_FETCH_ALLOW_HOSTS: the operator's deliberate exceptions to the address rules. An entry is a
// host name (matched exactly against the URL's host, without its port: every address that name
// resolves to is then allowed), an IP address or a CIDR network (IPv4 or IPv6; matched against
// the URL's literal address and against the addresses a name resolves to). Nothing else relaxes
// the rules: an IPv4 entry never matches an IPv4-mapped IPv6 address, for instance.
import { inCidr, parseCidr, parseIp, type Cidr, type Ip } from './ip.js';

export interface AllowList {
  /** Host names, lower case, without a trailing dot. */
  hosts: ReadonlySet<string>;
  networks: readonly Cidr[];
}

export const NOTHING_ALLOWED: AllowList = { hosts: new Set(), networks: [] };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_][a-z0-9_-]{0,62})*$/;

/** A host name as compared: lower case, no trailing dot. */
export const normalizeHost = (host: string) => host.toLowerCase().replace(/\.$/, '');

/** Why an entry cannot be used, or null when it can. */
export function allowEntryProblem(entry: string): string | null {
  if (parseCidr(entry)) return null;
  if (!parseIp(entry) && HOST_NAME.test(normalizeHost(entry))) return null;
  return `"${entry.slice(0, 100)}" is not a host name, an IP address or a CIDR network (entries carry no port or scheme)`;
}

/** The list from its entries (URL_FETCH_ALLOW_HOSTS, split on commas). Throws on an entry it cannot use. */
export function parseAllowList(entries: readonly string[]): AllowList {
  const hosts = new Set<string>();
  const networks: Cidr[] = [];
  for (const entry of entries) {
    const problem = allowEntryProblem(entry);
    if (problem) throw new Error(problem);
    const cidr = parseCidr(entry);
    if (cidr) networks.push(cidr);
    else hosts.add(normalizeHost(entry));
  }
  return { hosts, networks };
}

/** Whether the URL's host name is allowed (and with it, whatever it resolves to). */
export const allowsHost = (list: AllowList, host: string) => list.hosts.has(normalizeHost(host));

/** Whether the address is in an allowed network (or is an allowed address). */
export const allowsIp = (list: AllowList, ip: Ip) => list.networks.some((n) => inCidr(ip, n));
