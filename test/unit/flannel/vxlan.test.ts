import { describe, expect, it } from 'vitest';
import type { LinkInfo } from '../../../labs/agents/flannel/linkstate.ts';
import {
  addDeviceLine,
  type DeviceSpec,
  firstAddress,
  peerAddOps,
  peerRemoveOps,
  planAddress,
  planDevice,
  randomMac,
  subnetInNetwork,
  vxlanIncompat,
} from '../../../labs/agents/flannel/vxlan.ts';

const links: LinkInfo[] = [
  { index: 2, name: 'enp0s3', mtu: 1500, flags: [], addrs: [] },
  { index: 3, name: 'enp0s8', mtu: 1500, flags: [], addrs: [] },
];
const want: DeviceSpec = {
  name: 'flannel.1',
  vni: 1,
  mtu: 1450,
  vtepIndex: 2,
  vtepDev: 'enp0s3',
  local: '192.168.56.12',
  port: 0,
  learning: false,
  gbp: false,
  mac: '0e:11:22:33:44:55',
};
function existing(v: Partial<NonNullable<LinkInfo['vxlan']>> = {}, addrs: LinkInfo['addrs'] = []): LinkInfo {
  return {
    index: 5,
    name: 'flannel.1',
    mtu: 1450,
    mac: 'be:2f:16:18:32:b2',
    flags: ['UP'],
    kind: 'vxlan',
    addrs,
    vxlan: {
      id: 1,
      local: '10.0.2.15',
      link: 'enp0s8',
      port: 8472,
      learning: false,
      gbp: false,
      l2miss: false,
      ...v,
    },
  };
}

describe('the flannel.1 device', () => {
  it('is created as flanneld creates it: VNI, local, dev, kernel-default port 8472, no learning, MTU-50', () => {
    expect(addDeviceLine(want)).toBe(
      'link add flannel.1 address 0e:11:22:33:44:55 mtu 1450 type vxlan id 1 local 192.168.56.12 dev enp0s3 dstport 8472 nolearning',
    );
    expect(addDeviceLine({ ...want, port: 4789, learning: true, gbp: true })).toMatch(
      /dstport 4789 learning gbp$/,
    );
  });

  it('is re-created when its external interface changed, reporting interface indexes as flanneld does', () => {
    expect(vxlanIncompat(want, existing(), [...links])).toBe('vtep (external) interface: 2 vs 3');
    const plan = planDevice(want, [...links, existing()]);
    expect(plan).toMatchObject({
      incompat: 'vtep (external) interface: 2 vs 3',
      lines: ['link del flannel.1', addDeviceLine(want)],
      mac: want.mac,
    });
  });

  it('compares VNI, then interface, then address, then port only when both are set', () => {
    expect(vxlanIncompat(want, existing({ id: 7 }), links)).toBe('vni: 1 vs 7');
    expect(vxlanIncompat(want, existing({ link: 'enp0s3' }), links)).toBe(
      'vtep (external) IP: 192.168.56.12 vs 10.0.2.15',
    );
    expect(vxlanIncompat(want, existing({ link: 'enp0s3', local: '192.168.56.12', port: 4789 }), links)).toBe(
      '',
    );
    expect(
      vxlanIncompat(
        { ...want, port: 8472 },
        existing({ link: 'enp0s3', local: '192.168.56.12', port: 4789 }),
        links,
      ),
    ).toBe('port: 8472 vs 4789');
    expect(vxlanIncompat(want, { ...existing(), kind: 'veth', vxlan: undefined }, links)).toBe(
      'link type: vxlan vs veth',
    );
  });

  it('is kept, with its own MAC, when compatible', () => {
    const same = existing({ link: 'enp0s3', local: '192.168.56.12' });
    expect(planDevice(want, [...links, same])).toEqual({ lines: [], mac: 'be:2f:16:18:32:b2', kept: same });
  });

  it('ends up with exactly one address of the flannel network: <subnet>/32', () => {
    const kept = existing({}, [
      { ip: '10.244.7.0', prefixLen: 32, dynamic: false, deprecated: false },
      { ip: '172.16.0.1', prefixLen: 24, dynamic: false, deprecated: false },
    ]);
    expect(planAddress('flannel.1', '10.244.1.0/24', '10.244.0.0/16', kept)).toEqual({
      lines: [
        'addr del 10.244.7.0/32 dev flannel.1',
        'addr add 10.244.1.0/32 dev flannel.1',
        'link set flannel.1 up',
      ],
      removed: ['10.244.7.0/32'],
    });
    expect(planAddress('flannel.1', '10.244.1.0/24', '10.244.0.0/16', undefined).lines).toEqual([
      'addr add 10.244.1.0/32 dev flannel.1',
      'link set flannel.1 up',
    ]);
  });
});

describe('peer entries', () => {
  const peer = { subnet: '10.244.2.0/24', publicIP: '192.168.56.13', vtepMac: '32:f9:52:ba:cd:aa' };

  it('are a permanent neighbour, an fdb entry and an onlink route via the peer’s .0', () => {
    expect(peerAddOps('flannel.1', peer, false).map((o) => `${o.tool} ${o.line}`)).toEqual([
      'ip neigh replace 10.244.2.0 lladdr 32:f9:52:ba:cd:aa dev flannel.1 nud permanent',
      'bridge fdb replace 32:f9:52:ba:cd:aa dev flannel.1 dst 192.168.56.13 self permanent',
      'ip route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink',
    ]);
    expect(peerRemoveOps('flannel.1', peer, false).map((o) => `${o.tool} ${o.line}`)).toEqual([
      'ip neigh del 10.244.2.0 dev flannel.1',
      'bridge fdb del 32:f9:52:ba:cd:aa dev flannel.1 dst 192.168.56.13 self',
      'ip route del 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink',
    ]);
  });

  it('are a plain route to the peer with DirectRouting on a shared network', () => {
    expect(peerAddOps('flannel.1', peer, true).map((o) => o.line)).toEqual([
      'route replace 10.244.2.0/24 via 192.168.56.13',
    ]);
  });
});

describe('addresses', () => {
  it('FLANNEL_SUBNET is the first address with the subnet’s prefix', () => {
    expect(firstAddress('10.244.1.0/24')).toBe('10.244.1.1/24');
  });
  it('a pod subnet must lie inside the flannel network', () => {
    expect(subnetInNetwork('10.244.0.0/16', '10.244.1.0/24')).toBe(true);
    expect(subnetInNetwork('10.244.0.0/16', '10.245.1.0/24')).toBe(false);
    expect(subnetInNetwork('10.244.0.0/24', '10.244.0.0/16')).toBe(false);
  });
  it('new VTEP MACs are unicast and locally administered', () => {
    expect(randomMac(() => new Uint8Array([0xff, 1, 2, 3, 4, 5]))).toBe('fe:01:02:03:04:05');
  });
});
