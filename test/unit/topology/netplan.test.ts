import { describe, expect, it } from 'vitest';
import { twoMasterBusiness, virtualbox3Node } from '../../../labs/environments/index.ts';
import {
  PersistentConfigError,
  parseNetplanFiles,
  parsePersistentConfig,
  renderNetworkConfig,
  renderPersistentConfig,
} from '../../../labs/netns/build/netplan.ts';

function errorOf(fn: () => unknown): PersistentConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PersistentConfigError) return err;
    throw err;
  }
  throw new Error('expected a PersistentConfigError');
}

describe('netplan persistent config', () => {
  it('renders a node the way cloud-init writes 50-cloud-init.yaml: match by MAC, set-name, dhcp4', () => {
    const text = renderPersistentConfig(virtualbox3Node().nodes[1]);
    expect(text).toContain(
      [
        'network:',
        '  version: 2',
        '  ethernets:',
        '    enp0s3:',
        '      match:',
        '        macaddress: 08:00:27:56:00:12',
        '      set-name: enp0s3',
        '      addresses:',
        '        - 192.168.56.12/24',
        '    enp0s8:',
        '      match:',
        '        macaddress: 08:00:27:02:15:02',
        '      set-name: enp0s8',
        '      dhcp4: true',
        '',
      ].join('\n'),
    );
    expect(text.startsWith('#')).toBe(true);
  });

  it('parses back exactly what it rendered', () => {
    const node = twoMasterBusiness().nodes[2];
    const config = parsePersistentConfig(renderPersistentConfig(node));
    expect(config.ethernets.enslf0).toEqual({
      match: { macaddress: node.nics[0].mac },
      setName: 'enslf0',
      addresses: ['10.0.0.20/24'],
      dhcp4: false,
      routes: [{ to: 'default', via: '10.0.0.1', metric: 100 }],
    });
    expect(parsePersistentConfig(renderNetworkConfig(config))).toEqual(config);
  });

  it('reads what a learner typically adds: a device route with link scope, gateway4, on-link, from', () => {
    const config = parsePersistentConfig(`
network:
  version: 2
  ethernets:
    enslf0:
      addresses: [10.0.0.20/24]
      gateway4: 10.0.0.1
      routes:
        - to: 172.24.0.0/13
          scope: link
          from: 10.0.0.20
        - to: 203.0.113.0/24
          via: 10.0.9.1
          on-link: true
          metric: 5
`);
    expect(config.ethernets.enslf0.routes).toEqual([
      { to: 'default', via: '10.0.0.1' },
      { to: '172.24.0.0/13', scope: 'link', from: '10.0.0.20' },
      { to: '203.0.113.0/24', via: '10.0.9.1', onLink: true, metric: 5 },
    ]);
  });

  it('reports YAML syntax errors with file, line and column', () => {
    const e = errorOf(() =>
      parsePersistentConfig(
        'network:\n  version: 2\n  ethernets:\n    enp0s3:\n      addresses: [1.2.3.4/24]\n   dhcp4: true\n',
      ),
    );
    expect(e.problems).toEqual(['50-cloud-init.yaml:6:1: All mapping items must start at the same column']);
    expect(e.message).toBe(
      'invalid netplan configuration: 50-cloud-init.yaml:6:1: All mapping items must start at the same column',
    );
  });

  it('reports every schema problem with its key path, like netplan does for typos', () => {
    const e = errorOf(() =>
      parsePersistentConfig(
        'network:\n  version: 2\n  ethernets:\n    enp0s3:\n      adresses: [192.168.56.12/24]\n      addresses: [192.168.56.312/24]\n      routes:\n        - to: 172.24.0.0/13\n  bridges: {}\n',
        '99-fix.yaml',
      ),
    );
    expect(e.problems).toEqual([
      '99-fix.yaml: network.bridges: bridges are not supported in these labs (only ethernets)',
      expect.stringMatching(
        /^99-fix\.yaml: network\.ethernets\.enp0s3\.adresses: unknown key \(expected one of addresses, /,
      ),
      '99-fix.yaml: network.ethernets.enp0s3.addresses[0]: 192.168.56.312/24 is not an IPv4 CIDR (expected e.g. 192.168.56.12/24)',
      '99-fix.yaml: network.ethernets.enp0s3.routes[0]: a route without via needs scope: link (a device route such as ip route add 172.24.0.0/13 dev <nic>)',
    ]);
  });

  it('rejects a document without network: and a version other than 2', () => {
    expect(errorOf(() => parsePersistentConfig('ethernets: {}\n')).problems).toEqual([
      '50-cloud-init.yaml: network: missing (expected a top-level "network:" mapping)',
    ]);
    expect(errorOf(() => parsePersistentConfig('network:\n  version: 1\n')).problems).toEqual([
      '50-cloud-init.yaml: network.version: 1 is not supported (expected 2)',
    ]);
  });

  it('merges several files like netplan generate: later scalars win, sequences are appended', () => {
    const config = parseNetplanFiles([
      {
        name: '99-service-route.yaml',
        text: 'network:\n  ethernets:\n    enslf0:\n      mtu: 1450\n      routes:\n        - to: 172.24.0.0/13\n          scope: link\n',
      },
      {
        name: '50-cloud-init.yaml',
        text: 'network:\n  version: 2\n  ethernets:\n    enslf0:\n      mtu: 1500\n      addresses: [10.0.0.20/24]\n      routes:\n        - to: default\n          via: 10.0.0.1\n',
      },
    ]);
    expect(config.ethernets.enslf0).toMatchObject({
      mtu: 1450,
      addresses: ['10.0.0.20/24'],
      routes: [
        { to: 'default', via: '10.0.0.1' },
        { to: '172.24.0.0/13', scope: 'link' },
      ],
    });
  });
});
