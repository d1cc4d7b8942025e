import { describe, expect, it } from 'vitest';
import { parseKernelState } from '../../../labs/agents/flannel/linkstate.ts';
import { batchErrors, netlinkError } from '../../../labs/agents/flannel/runner.ts';

// `ip -d -j -force -batch -` output of a seed-000 node (trimmed to the fields read).
const ADDRS = JSON.stringify([
  {
    ifindex: 1,
    ifname: 'lo',
    mtu: 65536,
    flags: ['LOOPBACK', 'UP'],
    addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }],
  },
  {
    ifindex: 2,
    ifname: 'enp0s3',
    mtu: 1500,
    address: '08:00:27:56:00:12',
    flags: ['UP'],
    linkinfo: { info_kind: 'veth' },
    addr_info: [
      { family: 'inet', local: '192.168.56.12', prefixlen: 24 },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
    ],
  },
  {
    ifindex: 3,
    ifname: 'enp0s8',
    mtu: 1500,
    flags: ['UP'],
    addr_info: [{ family: 'inet', local: '10.0.2.15', prefixlen: 24, dynamic: true }],
  },
  {
    ifindex: 4,
    ifname: 'flannel.1',
    mtu: 1450,
    address: 'be:2f:16:18:32:b2',
    flags: ['UP'],
    linkinfo: {
      info_kind: 'vxlan',
      info_data: { id: 1, local: '10.0.2.15', link: 'enp0s8', port: 8472, learning: false, ttl: 0 },
    },
    addr_info: [{ family: 'inet', local: '10.244.1.0', prefixlen: 32 }],
  },
]);
const DEFAULTS = JSON.stringify([
  { type: 'unicast', dst: 'default', gateway: '10.0.2.2', dev: 'enp0s8', protocol: 'dhcp', metric: 100 },
]);

describe('reading the node’s links and routes', () => {
  it('parses links with their IPv4 addresses and vxlan details, and the default routes', () => {
    const s = parseKernelState(`${ADDRS}\n${DEFAULTS}\n`, '', []);
    expect(s.links.map((l) => [l.index, l.name, l.addrs.map((a) => a.ip)])).toEqual([
      [1, 'lo', ['127.0.0.1']],
      [2, 'enp0s3', ['192.168.56.12']],
      [3, 'enp0s8', ['10.0.2.15']],
      [4, 'flannel.1', ['10.244.1.0']],
    ]);
    expect(s.links[2]!.addrs[0]!.dynamic).toBe(true);
    expect(s.links[3]!.vxlan).toEqual({
      id: 1,
      local: '10.0.2.15',
      link: 'enp0s8',
      port: 8472,
      learning: false,
      gbp: false,
      l2miss: false,
    });
    expect(s.defaultRoutes).toEqual([{ dev: 'enp0s8', gateway: '10.0.2.2' }]);
  });

  it('pairs `route get` answers with their addresses, failed ones by their line number', () => {
    const get = JSON.stringify([{ dst: '192.168.56.1', dev: 'enp0s3', prefsrc: '192.168.56.12', flags: [] }]);
    const s = parseKernelState(
      `${ADDRS}\n${DEFAULTS}\n${get}\n`,
      'RTNETLINK answers: Network is unreachable\nCommand failed -:3\n',
      ['203.0.113.1', '192.168.56.1'],
    );
    expect(s.routeGet.get('203.0.113.1')).toEqual({ error: 'network is unreachable' });
    expect(s.routeGet.get('192.168.56.1')).toEqual({ dev: 'enp0s3', prefsrc: '192.168.56.12' });
  });

  it('turns batch errors into netlink-style messages by line', () => {
    expect(
      batchErrors(
        'RTNETLINK answers: No such file or directory\nCommand failed -:2\nError: Nexthop has invalid gateway.\nCommand failed -:5\n',
      ),
    ).toEqual(
      new Map([
        [1, 'no such file or directory'],
        [4, 'nexthop has invalid gateway.'],
      ]),
    );
    expect(netlinkError('RTNETLINK answers: File exists')).toBe('file exists');
  });
});
