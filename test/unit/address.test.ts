// Which addresses a server-side fetch may reach: every spelling of an address is the address it
// is, every non-public range is refused with its reason, and the allow list opens only what it names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyAddress, classifyIp, formatIp, parseIp } from '../../src/net/address.js';
import { allowEntryProblem, allowsHost, allowsIp, parseAllowList } from '../../src/net/allow-list.js';
import { loadConfig } from '../../src/config.js';

/** The host a URL really names, as the fetch sees it (WHATWG URL parsing first). */
const hostOf = (host: string) => new URL(`http://${host}/`).hostname;

describe('address spellings', () => {
  const loopback: string[] = ['127.0.0.1', '0x7f.1', '2130706433', '017700000001', '127.1', '0177.0.0.1', '0x7f000001', '127.0.0.1.', '127.0.1', '0x7F.0x0.0x0.0x1'];
  for (const spelling of loopback) {
    it(`${spelling} is 127.0.0.1, loopback, as parsed directly and through a URL`, () => {
      assert.equal(formatIp(parseIp(spelling)!), '127.0.0.1');
      assert.equal(formatIp(parseIp(hostOf(spelling))!), '127.0.0.1');
      assert.match(classifyAddress(spelling)!, /loopback/);
      assert.match(classifyAddress(hostOf(spelling))!, /loopback/);
    });
  }

  const v6: [string, string, RegExp][] = [
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1', /IPv4-mapped/],
    ['[::ffff:7f00:1]', '::ffff:7f00:1', /IPv4-mapped/],
    ['[::ffff:8.8.8.8]', '::ffff:808:808', /IPv4-mapped/],
    ['[::]', '::', /unspecified/],
    ['[0:0:0:0:0:0:0:1]', '::1', /loopback/],
    ['[::1]', '::1', /loopback/],
    ['[::127.0.0.1]', '::7f00:1', /IPv4-compatible/],
    ['[0000:0000::0001]', '::1', /loopback/],
  ];
  for (const [spelling, canonical, reason] of v6) {
    it(`${spelling} is ${canonical}: refused`, () => {
      assert.equal(formatIp(parseIp(spelling)!), canonical);
      assert.equal(formatIp(parseIp(hostOf(spelling))!), canonical);
      assert.match(classifyAddress(spelling)!, reason);
    });
  }

  it('names and malformed addresses are not addresses', () => {
    for (const text of ['example.com', 'localhost', '1.2.3.256', '1.2.65536', '1.16777216', '4294967296', '1.2.3.4.5', '0x1g', 'fe80::1%eth0', '']) {
      assert.equal(parseIp(text), null, text);
    }
  });
});

describe('address ranges', () => {
  const refused: [string, RegExp][] = [
    ['0.0.0.0', /unspecified/], ['0.1.2.3', /unspecified/],
    ['10.0.0.1', /private/], ['10.255.255.255', /private/],
    ['172.16.0.1', /private/], ['172.31.255.254', /private/],
    ['192.168.1.1', /private/],
    ['100.64.0.1', /carrier-grade NAT/], ['100.127.255.254', /carrier-grade NAT/],
    ['127.255.255.254', /loopback/],
    ['169.254.169.254', /metadata/], ['169.254.1.1', /link-local/],
    ['224.0.0.1', /multicast/], ['239.255.255.250', /multicast/],
    ['255.255.255.255', /broadcast/], ['240.0.0.1', /reserved/],
    ['192.0.0.8', /IETF/], ['192.0.2.1', /documentation/], ['198.51.100.7', /documentation/], ['203.0.113.9', /documentation/],
    ['198.18.0.1', /benchmarking/], ['198.19.255.1', /benchmarking/], ['192.88.99.1', /6to4 relay/],
    ['fc00::1', /unique local/], ['fd12:3456::1', /unique local/],
    ['fe80::1', /link-local/], ['febf::1', /link-local/], ['fec0::1', /site-local/],
    ['ff02::1', /multicast/], ['ff05::2', /multicast/],
    ['64:ff9b::10.0.0.1', /NAT64 address embedding 10\.0\.0\.1, a private/],
    ['64:ff9b::a9fe:a9fe', /NAT64 address embedding 169\.254\.169\.254, the cloud metadata/],
    ['64:ff9b:1::1', /local-use NAT64/],
    ['2002:7f00:1::', /6to4 address embedding 127\.0\.0\.1, a loopback/],
    ['2002:c0a8:101::1', /6to4 address embedding 192\.168\.1\.1/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
    ['2001:db8::1', /documentation/], ['2001:2::1', /IETF/], ['100::1', /discard/],
    ['1::1', /reserved IPv6/], ['4000::1', /reserved IPv6/],
  ];
  for (const [address, reason] of refused) {
    it(`refuses ${address}`, () => assert.match(classifyAddress(address) ?? 'allowed', reason));
  }

  const allowed = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '169.253.1.1', '11.0.0.1', '223.255.255.255',
    '2606:4700:4700::1111', '2a00:1450:4001::200e', '64:ff9b::8.8.8.8', '2002:808:808::1'];
  for (const address of allowed) {
    it(`allows ${address}`, () => assert.equal(classifyAddress(address), null));
  }

  it('every refusal is a phrase that reads after "is"', () => {
    for (const [address] of refused) assert.match(classifyIp(parseIp(address)!)!, /^(a|an|the) /);
  });
});

describe('URL_FETCH_ALLOW_HOSTS', () => {
  const list = parseAllowList(['images.internal', 'Cdn.Example.', '10.1.2.3', '192.168.0.0/16', 'fd00::/8', '[::1]']);
  const ip = (t: string) => parseIp(t)!;

  it('host names match exactly, case and a trailing dot aside, and nothing else', () => {
    assert.ok(allowsHost(list, 'images.internal'));
    assert.ok(allowsHost(list, 'IMAGES.internal.'));
    assert.ok(allowsHost(list, 'cdn.example'));
    assert.ok(!allowsHost(list, 'evil.images.internal'));
    assert.ok(!allowsHost(list, 'images.internal.evil'));
    assert.ok(!allowsHost(list, '10.1.2.3'), 'an address entry is not a host name entry');
  });

  it('addresses and CIDRs match their own family only', () => {
    assert.ok(allowsIp(list, ip('10.1.2.3')));
    assert.ok(!allowsIp(list, ip('10.1.2.4')));
    assert.ok(allowsIp(list, ip('192.168.44.5')));
    assert.ok(allowsIp(list, ip('0xc0a80001')), 'any spelling of an allowed address');
    assert.ok(!allowsIp(list, ip('192.169.0.1')));
    assert.ok(allowsIp(list, ip('fd12::1')));
    assert.ok(!allowsIp(list, ip('fc00::1')));
    assert.ok(allowsIp(list, ip('::1')));
    assert.ok(!allowsIp(list, ip('127.0.0.1')), '::1 does not allow 127.0.0.1');
    assert.ok(!allowsIp(list, ip('::ffff:10.1.2.3')), 'an IPv4 entry does not allow the IPv4-mapped address');
  });

  it('is empty by default, and refuses entries it cannot use at start', () => {
    assert.deepEqual(loadConfig({}).URL_FETCH_ALLOW_HOSTS, []);
    assert.deepEqual(loadConfig({ URL_FETCH_ALLOW_HOSTS: ' a.example , 10.0.0.0/8 ' }).URL_FETCH_ALLOW_HOSTS, ['a.example', '10.0.0.0/8']);
    for (const bad of ['a.example:8080', 'http://a.example', '10.0.0.0/33', '10.0.0.0/8/1', 'a b', '*.example.com']) {
      assert.ok(allowEntryProblem(bad), bad);
      assert.throws(() => loadConfig({ URL_FETCH_ALLOW_HOSTS: bad }), /URL_FETCH_ALLOW_HOSTS=/);
    }
    assert.equal(loadConfig({ URL_FETCH_TIMEOUT_SECONDS: '' }).URL_FETCH_TIMEOUT_SECONDS, 20);
  });
});
