import { describe, expect, it } from 'vitest';
import { parseEnvFile, renderSubnetEnv } from '../../../labs/agents/flannel/files.ts';
import { parseNetConf, vxlanBackendConfig } from '../../../labs/agents/flannel/netconf.ts';
import {
  annotationNames,
  leaseAnnotationsChanged,
  MemoryNodeSource,
  nodeToLease,
} from '../../../labs/agents/flannel/nodes.ts';

const ADDON_NET_CONF = `{
  "Network": "10.244.0.0/16",
  "EnableNFTables": false,
  "Backend": {
    "Type": "vxlan"
  }
}
`;

describe('net-conf.json', () => {
  it('reads the addon’s config as flannel does', () => {
    const c = parseNetConf(ADDON_NET_CONF);
    expect(c).toMatchObject({
      network: '10.244.0.0/16',
      backendType: 'vxlan',
      enableIPv4: true,
      enableNFTables: false,
    });
    expect(vxlanBackendConfig(c)).toEqual({
      vni: 1,
      port: 0,
      gbp: false,
      learning: false,
      directRouting: false,
    });
  });

  it('matches keys case-insensitively (Go encoding/json) and defaults the backend to udp', () => {
    expect(parseNetConf('{"network":"10.244.0.0/16"}')).toMatchObject({
      network: '10.244.0.0/16',
      backendType: 'udp',
    });
    const c = parseNetConf(
      '{"Network":"10.244.0.0/16","Backend":{"type":"vxlan","vni":42,"Port":4789,"DirectRouting":true}}',
    );
    expect(vxlanBackendConfig(c)).toMatchObject({ vni: 42, port: 4789, directRouting: true });
  });

  it('rejects what flannel rejects', () => {
    expect(() => parseNetConf('{"Backend":{"Type":"vxlan"}}')).toThrow(
      'please define a correct Network parameter in the flannel config',
    );
    expect(() => parseNetConf('{"Network": 10}')).toThrow(
      /cannot unmarshal number into Go struct field Config.Network/,
    );
    expect(() => parseNetConf('{"Network":"10.244.0.0/16",')).toThrow();
    expect(() =>
      vxlanBackendConfig(parseNetConf('{"Network":"10.244.0.0/16","Backend":{"VNI":"1"}}')),
    ).toThrow(/error decoding VXLAN backend config/);
  });
});

describe('node annotations and leases', () => {
  const names = annotationNames();
  const node = (annotations: Record<string, string>, podCIDR?: string) => ({
    metadata: { name: 'ubuntu03', annotations },
    spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
  });
  const managed = {
    [names.kubeSubnetManager]: 'true',
    [names.backendType]: 'vxlan',
    [names.backendData]: '{"VNI":1,"VtepMAC":"32:f9:52:ba:cd:aa"}',
    [names.publicIP]: '192.168.56.13',
  };

  it('uses flannel.alpha.coreos.com/ keys, or a custom prefix', () => {
    expect(names.publicIPOverwrite).toBe('flannel.alpha.coreos.com/public-ip-overwrite');
    expect(names.nodePublicIP).toBe('flannel.alpha.coreos.com/node-public-ip');
    expect(annotationNames('example.com').backendData).toBe('example.com/backend-data');
    expect(annotationNames('example.com/flannel-').backendData).toBe('example.com/flannel-backend-data');
  });

  it('turns a managed node into its lease, or says why not', () => {
    expect(nodeToLease(node(managed, '10.244.2.0/24'), names)).toEqual({
      subnet: '10.244.2.0/24',
      publicIP: '192.168.56.13',
      backendType: 'vxlan',
      backendData: '{"VNI":1,"VtepMAC":"32:f9:52:ba:cd:aa"}',
    });
    expect(nodeToLease(node({ ...managed, [names.publicIP]: 'x' }, '10.244.2.0/24'), names)).toEqual({
      error: 'invalid IP address',
    });
    expect(nodeToLease(node(managed), names)).toEqual({ error: 'invalid CIDR address: ' });
  });

  it('sees an update only when backend data, type or public IP change', () => {
    const a = node(managed, '10.244.2.0/24');
    expect(leaseAnnotationsChanged(a, node({ ...managed, other: 'x' }, '10.244.9.0/24'), names)).toBe(false);
    expect(leaseAnnotationsChanged(a, node({ ...managed, [names.publicIP]: '192.168.56.99' }), names)).toBe(
      true,
    );
  });

  it('MemoryNodeSource merges patches and notifies subscribers', () => {
    const src = new MemoryNodeSource([node({ a: '1' }, '10.244.2.0/24')]);
    let calls = 0;
    const off = src.subscribe(() => calls++);
    src.patchAnnotations('ubuntu03', { b: '2' });
    src.annotate('ubuntu03', { a: null });
    expect(src.get('ubuntu03')!.metadata.annotations).toEqual({ b: '2' });
    off();
    src.delete('ubuntu03');
    expect(calls).toBe(2);
    expect(src.list()).toEqual([]);
  });
});

describe('subnet.env', () => {
  it('is written as flanneld writes it and read back like godotenv', () => {
    const text = renderSubnetEnv({
      network: '10.244.0.0/16',
      subnet: '10.244.1.0/24',
      mtu: 1450,
      ipMasq: true,
    });
    expect(text).toBe(
      'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
    );
    expect(parseEnvFile(`# x\nexport A="1"\n${text}`)).toEqual(
      new Map([
        ['A', '1'],
        ['FLANNEL_NETWORK', '10.244.0.0/16'],
        ['FLANNEL_SUBNET', '10.244.1.1/24'],
        ['FLANNEL_MTU', '1450'],
        ['FLANNEL_IPMASQ', 'true'],
      ]),
    );
  });
});
