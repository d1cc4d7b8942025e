import { describe, expect, it } from 'vitest';
import {
  type SelectionInput,
  selectExternalInterface,
  usableIPv4,
} from '../../../labs/agents/flannel/iface.ts';
import type { KernelSnapshot, LinkInfo } from '../../../labs/agents/flannel/linkstate.ts';

function link(
  index: number,
  name: string,
  addrs: (string | [string, { dynamic?: boolean; deprecated?: boolean }])[],
  mtu = 1500,
): LinkInfo {
  return {
    index,
    name,
    mtu,
    flags: ['UP'],
    addrs: addrs.map((a) => {
      const [ip, f] = typeof a === 'string' ? [a, {}] : a;
      return { ip, prefixLen: 24, dynamic: f.dynamic ?? false, deprecated: f.deprecated ?? false };
    }),
  };
}

/** A seed-000 VM: lo, enp0s3 host-only (static), enp0s8 NAT (DHCP) carrying the default route. */
function vm(overrides: Partial<KernelSnapshot> = {}): KernelSnapshot {
  return {
    links: [
      link(1, 'lo', ['127.0.0.1'], 65536),
      link(2, 'enp0s3', ['192.168.56.12']),
      link(3, 'enp0s8', [['10.0.2.15', { dynamic: true }]]),
    ],
    defaultRoutes: [{ dev: 'enp0s8', gateway: '10.0.2.2' }],
    routeGet: new Map(),
    ...overrides,
  };
}

const none: SelectionInput = { iface: [], ifaceRegex: [], ifaceCanReach: '', publicIP: '', publicIPv6: '' };

function messages(r: ReturnType<typeof selectExternalInterface>): string[] {
  return r.logs.map((l) => `${l.severity} ${l.source}] ${l.message}`);
}

describe('choosing the external interface as flanneld does', () => {
  it('takes the default route’s interface when nothing is specified (the seed-000 fault)', () => {
    const r = selectExternalInterface(none, vm());
    expect(r.ok && r.ext).toMatchObject({
      iface: { name: 'enp0s8', index: 3 },
      ifaceAddr: '10.0.2.15',
      extAddr: '10.0.2.15',
    });
    expect(messages(r)).toEqual([
      'I match.go:211] Determining IP address of default interface',
      'I match.go:264] Using interface with name enp0s8 and address 10.0.2.15',
      'I match.go:286] Defaulting external address to interface address (10.0.2.15)',
    ]);
  });

  it('follows the first default route the kernel lists (moving the default route is the other fix)', () => {
    const r = selectExternalInterface(none, vm({ defaultRoutes: [{ dev: 'enp0s3' }, { dev: 'enp0s8' }] }));
    expect(r.ok && r.ext.iface.name).toBe('enp0s3');
  });

  it('is fatal without a default route', () => {
    const r = selectExternalInterface(none, vm({ defaultRoutes: [] }));
    expect(r.ok).toBe(false);
    expect(messages(r).at(-1)).toBe(
      'E main.go:301] Failed to find any valid interface to use: failed to get default interface: unable to find default route',
    );
  });

  it('tries each --iface in order, by name or by address, logging each miss', () => {
    const r = selectExternalInterface({ ...none, iface: ['eth1', '192.168.56.12'] }, vm());
    expect(r.ok && r.ext).toMatchObject({ iface: { name: 'enp0s3' }, ifaceAddr: '192.168.56.12' });
    expect(messages(r)).toEqual([
      'I main.go:309] Could not find valid interface matching eth1: error looking up interface eth1: route ip+net: no such network interface',
      'I match.go:93] Searching for interface using 192.168.56.12',
      'I match.go:264] Using interface with name enp0s3 and address 192.168.56.12',
      'I match.go:286] Defaulting external address to interface address (192.168.56.12)',
    ]);
  });

  it('is fatal when no option matches, with flanneld’s message last', () => {
    const r = selectExternalInterface({ ...none, iface: ['nosuch'] }, vm());
    expect(r.ok).toBe(false);
    expect(messages(r)).toEqual([
      'I main.go:309] Could not find valid interface matching nosuch: error looking up interface nosuch: route ip+net: no such network interface',
      'E main.go:340] Failed to find interface to use that matches the interfaces and/or regexes provided',
    ]);
  });

  it('matches --iface-regex against addresses before names, after every --iface failed', () => {
    const byAddr = selectExternalInterface(
      { ...none, iface: ['nosuch'], ifaceRegex: ['^192\\.168\\.56\\.'] },
      vm(),
    );
    expect(byAddr.ok && byAddr.ext).toMatchObject({ iface: { name: 'enp0s3' }, ifaceAddr: '192.168.56.12' });
    const byName = selectExternalInterface({ ...none, ifaceRegex: ['^enp0s[38]$'] }, vm());
    expect(byName.ok && byName.ext.iface.name).toBe('enp0s3');
    const miss = selectExternalInterface({ ...none, ifaceRegex: ['^eth'] }, vm());
    expect(messages(miss)[0]).toBe(
      'I main.go:322] Could not find valid interface matching ^eth: Could not match pattern ^eth to any of the available network interfaces (lo:[], enp0s3:[192.168.56.12], enp0s8:[10.0.2.15])',
    );
  });

  it('falls back to --iface-can-reach: the route’s device and source address', () => {
    const snap = vm({ routeGet: new Map([['192.168.56.1', { dev: 'enp0s3', prefsrc: '192.168.56.12' }]]) });
    const r = selectExternalInterface({ ...none, ifaceRegex: ['^eth'], ifaceCanReach: '192.168.56.1' }, snap);
    expect(r.ok && r.ext).toMatchObject({ iface: { name: 'enp0s3' }, ifaceAddr: '192.168.56.12' });
    expect(messages(r)).toContain(
      'I match.go:205] Determining interface to use based on given ifcanreach: 192.168.56.1',
    );
    const unreachable = selectExternalInterface(
      { ...none, ifaceCanReach: '203.0.113.9' },
      vm({ defaultRoutes: [], routeGet: new Map([['203.0.113.9', { error: 'network is unreachable' }]]) }),
    );
    expect(messages(unreachable).slice(-2)).toEqual([
      "I main.go:334] Could not find valid interface matching ifaceCanReach: 203.0.113.9: failed to get ifcanreach based interface: couldn't lookup route to 203.0.113.9: network is unreachable",
      'E main.go:340] Failed to find interface to use that matches the interfaces and/or regexes provided',
    ]);
  });

  it('uses --public-ip (or the node-public-ip annotation) to find the interface and as external address', () => {
    const r = selectExternalInterface({ ...none, publicIP: '192.168.56.12' }, vm());
    expect(r.ok && r.ext).toMatchObject({
      iface: { name: 'enp0s3' },
      ifaceAddr: '192.168.56.12',
      extAddr: '192.168.56.12',
    });
    expect(messages(r)).toContain('I match.go:282] Using 192.168.56.12 as external address');
    const nat = selectExternalInterface({ ...none, iface: ['enp0s8'], publicIP: '198.51.100.12' }, vm());
    expect(nat.ok && nat.ext).toMatchObject({ ifaceAddr: '10.0.2.15', extAddr: '198.51.100.12' });
    const missing = selectExternalInterface({ ...none, publicIP: '192.168.56.99' }, vm());
    expect(messages(missing).at(-1)).toBe(
      'E main.go:301] Failed to find any valid interface to use: error looking up interface 192.168.56.99: no interface with given IP found',
    );
  });

  it('prefers static over DHCP and global over link-local addresses, skipping deprecated ones', () => {
    const l = link(2, 'eth0', [
      '169.254.1.1',
      ['10.0.0.5', { dynamic: true }],
      ['10.0.0.9', { deprecated: true }],
      '10.0.0.6',
      '127.0.0.2',
    ]);
    expect(usableIPv4(l)).toEqual(['10.0.0.6', '10.0.0.5', '169.254.1.1']);
    const noAddr = selectExternalInterface(
      { ...none, iface: ['eth9'] },
      vm({ links: [...vm().links, link(9, 'eth9', [])] }),
    );
    expect(messages(noAddr)[0]).toBe(
      'I main.go:309] Could not find valid interface matching eth9: failed to find IPv4 address for interface eth9',
    );
  });
});
