import { describe, expect, it } from 'vitest';
import {
  buildRules,
  jumpRules,
  type KubeProxyConfig,
  masqueradeMark,
  missingJumpsRestore,
  probability,
  type RulesInput,
  savedProbability,
} from '../../../labs/agents/kube-proxy/rules.ts';
import {
  chainRules,
  declaredChains,
  hostnames,
  kubeDns,
  kubernetesService,
  normaliseDump,
  service,
  slice,
  tableLines,
} from './fixtures.ts';

const withCIDR: KubeProxyConfig = { clusterCIDR: '10.244.0.0/16', masqueradeAll: false };

function rules(partial: Partial<RulesInput>): string {
  return buildRules({
    nodeName: 'ubuntu02',
    nodeIPs: ['192.168.56.12'],
    config: withCIDR,
    services: [],
    endpointSlices: [],
    ...partial,
  }).restore;
}

describe('probabilities', () => {
  it('are written with 10 decimals, as kube-proxy formats 1/n', () => {
    expect(probability(3)).toBe('0.3333333333');
    expect(probability(2)).toBe('0.5000000000');
    expect(probability(7)).toBe('0.1428571429');
  });

  it('come back from iptables-save as the statistic match stores them', () => {
    expect(savedProbability(probability(3))).toBe('0.33333333349');
    expect(savedProbability(probability(2))).toBe('0.50000000000');
    expect(savedProbability(probability(4))).toBe('0.25000000000');
  });

  it('use the masquerade mark formatted like %#08x', () => {
    expect(masqueradeMark()).toBe('0x00004000');
    expect(masqueradeMark(15)).toBe('0x00008000');
  });
});

describe('seed 002: hostnames with three ready endpoints', () => {
  const restore = rules({ services: [hostnames.service], endpointSlices: [hostnames.slice] });

  it('is exactly what kube-proxy writes, table by table and rule by rule', () => {
    expect(restore).toBe(
      [
        '*filter',
        ':KUBE-SERVICES - [0:0]',
        ':KUBE-EXTERNAL-SERVICES - [0:0]',
        ':KUBE-FORWARD - [0:0]',
        ':KUBE-NODEPORTS - [0:0]',
        ':KUBE-PROXY-FIREWALL - [0:0]',
        ':KUBE-FIREWALL - [0:0]',
        '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
        '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        'COMMIT',
        '*nat',
        ':KUBE-SERVICES - [0:0]',
        ':KUBE-NODEPORTS - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-SVC-ODX2UBAZM7RQWOIU - [0:0]',
        ':KUBE-SEP-7MW3KEEC4RCNSIJ2 - [0:0]',
        ':KUBE-SEP-J2MZVQ3C4ISRWBMA - [0:0]',
        ':KUBE-SEP-ZAXEEPMOXFOGCEPP - [0:0]',
        '-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN',
        '-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000',
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
        '-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000',
        '-A KUBE-SERVICES -m comment --comment "default/hostnames:default cluster IP" -m tcp -p tcp -d 10.0.1.175 --dport 80 -j KUBE-SVC-ODX2UBAZM7RQWOIU',
        '-A KUBE-SVC-ODX2UBAZM7RQWOIU -m comment --comment "default/hostnames:default cluster IP" -m tcp -p tcp -d 10.0.1.175 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-ODX2UBAZM7RQWOIU -m comment --comment "default/hostnames:default -> 10.244.1.7:9376" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-7MW3KEEC4RCNSIJ2',
        '-A KUBE-SVC-ODX2UBAZM7RQWOIU -m comment --comment "default/hostnames:default -> 10.244.2.3:9376" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-J2MZVQ3C4ISRWBMA',
        '-A KUBE-SVC-ODX2UBAZM7RQWOIU -m comment --comment "default/hostnames:default -> 10.244.3.6:9376" -j KUBE-SEP-ZAXEEPMOXFOGCEPP',
        '-A KUBE-SEP-7MW3KEEC4RCNSIJ2 -m comment --comment default/hostnames:default -s 10.244.1.7 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-7MW3KEEC4RCNSIJ2 -m comment --comment default/hostnames:default -m tcp -p tcp -j DNAT --to-destination 10.244.1.7:9376',
        '-A KUBE-SEP-J2MZVQ3C4ISRWBMA -m comment --comment default/hostnames:default -s 10.244.2.3 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-J2MZVQ3C4ISRWBMA -m comment --comment default/hostnames:default -m tcp -p tcp -j DNAT --to-destination 10.244.2.3:9376',
        '-A KUBE-SEP-ZAXEEPMOXFOGCEPP -m comment --comment default/hostnames:default -s 10.244.3.6 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-ZAXEEPMOXFOGCEPP -m comment --comment default/hostnames:default -m tcp -p tcp -j DNAT --to-destination 10.244.3.6:9376',
        '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('spreads load 1/3, then 1/2 of the rest, then the last endpoint takes what is left', () => {
    const svc = chainRules(restore, 'nat', 'KUBE-SVC-ODX2UBAZM7RQWOIU').filter((l) => l.includes(' -> '));
    expect(svc.map((l) => /--probability (\S+)/.exec(l)?.[1] ?? 'last')).toEqual([
      '0.3333333333',
      '0.5000000000',
      'last',
    ]);
  });

  it('orders endpoints by their ip:port text, not by slice order', () => {
    const reversed = { ...hostnames.slice, endpoints: [...(hostnames.slice.endpoints ?? [])].reverse() };
    expect(rules({ services: [hostnames.service], endpointSlices: [reversed] })).toBe(restore);
  });

  it('keeps the nodeports jump as the very last KUBE-SERVICES rule', () => {
    const svcRules = chainRules(
      rules({
        services: [hostnames.service, kubeDns.service],
        endpointSlices: [hostnames.slice, kubeDns.slice],
      }),
      'nat',
      'KUBE-SERVICES',
    );
    expect(svcRules.at(-1)).toContain(
      '"kubernetes service nodeports; NOTE: this must be the last rule in this chain"',
    );
    expect(svcRules.filter((l) => l.includes('KUBE-NODEPORTS'))).toHaveLength(1);
  });
});

describe('no endpoints (seeds 001, 002)', () => {
  const noSelector = service('default', 'fake-endpoint', {
    clusterIP: '10.101.117.0',
    ports: [{ name: '80', protocol: 'TCP', port: 80, targetPort: 80 }],
  });

  it('rejects in the filter table and writes no nat chains for the service', () => {
    const restore = rules({ services: [noSelector] });
    expect(chainRules(restore, 'filter', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "default/fake-endpoint:80 has no endpoints" -m tcp -p tcp -d 10.101.117.0 --dport 80 -j REJECT',
    ]);
    expect(declaredChains(restore, 'nat').filter((c) => /^KUBE-(SVC|SEP|EXT)-/.test(c))).toEqual([]);
    expect(tableLines(restore, 'nat').join('\n')).not.toContain('10.101.117.0');
  });

  it('counts endpoints that are not ready (failing readinessProbe) as none', () => {
    const notReady = slice(
      'default',
      'hostnames',
      [{ ip: '10.244.1.7', ready: false, serving: false }],
      [{ name: 'default', port: 9376 }],
    );
    const restore = rules({ services: [hostnames.service], endpointSlices: [notReady] });
    expect(chainRules(restore, 'filter', 'KUBE-SERVICES')[0]).toContain(
      '"default/hostnames:default has no endpoints"',
    );
    expect(restore).not.toContain('KUBE-SVC-');
  });

  it('falls back to serving endpoints that are terminating when nothing is ready', () => {
    const draining = slice(
      'default',
      'hostnames',
      [
        { ip: '10.244.1.7', ready: false, serving: true, terminating: true },
        { ip: '10.244.2.3', ready: false, serving: false, terminating: true },
      ],
      [{ name: 'default', port: 9376 }],
    );
    const restore = rules({ services: [hostnames.service], endpointSlices: [draining] });
    expect(chainRules(restore, 'nat', 'KUBE-SVC-ODX2UBAZM7RQWOIU').filter((l) => l.includes(' -> '))).toEqual(
      [
        '-A KUBE-SVC-ODX2UBAZM7RQWOIU -m comment --comment "default/hostnames:default -> 10.244.1.7:9376" -j KUBE-SEP-7MW3KEEC4RCNSIJ2',
      ],
    );
  });

  it('ignores terminating endpoints while ready ones exist, and prefers the live copy of a reused IP', () => {
    const mixed = [
      slice(
        'default',
        'hostnames',
        [{ ip: '10.244.1.7', ready: false, serving: true, terminating: true }],
        [{ name: 'default', port: 9376 }],
        'a',
      ),
      slice(
        'default',
        'hostnames',
        [{ ip: '10.244.1.7' }, { ip: '10.244.2.3', ready: false, terminating: true }],
        [{ name: 'default', port: 9376 }],
        'b',
      ),
    ];
    const restore = rules({ services: [hostnames.service], endpointSlices: mixed });
    expect(chainRules(restore, 'nat', 'KUBE-SVC-ODX2UBAZM7RQWOIU').filter((l) => l.includes(' -> '))).toEqual(
      [
        '-A KUBE-SVC-ODX2UBAZM7RQWOIU -m comment --comment "default/hostnames:default -> 10.244.1.7:9376" -j KUBE-SEP-7MW3KEEC4RCNSIJ2',
      ],
    );
  });

  it('matches slice ports to service ports by name and protocol', () => {
    const wrongName = slice('default', 'hostnames', [{ ip: '10.244.1.7' }], [{ name: 'http', port: 9376 }]);
    expect(rules({ services: [hostnames.service], endpointSlices: [wrongName] })).toContain(
      'has no endpoints',
    );
  });
});

describe('seed 003: the masquerade rule depends on the cluster CIDR', () => {
  const input = { services: [kubernetesService.service], endpointSlices: [kubernetesService.slice] };
  const masqRules = (config: KubeProxyConfig) =>
    chainRules(rules({ ...input, config }), 'nat', 'KUBE-SVC-NPX46M4PTMTKRN6Y').filter((l) =>
      l.endsWith('-j KUBE-MARK-MASQ'),
    );

  it('without clusterCIDR, host traffic to the ClusterIP keeps its source (the fault can appear)', () => {
    expect(masqRules({ masqueradeAll: false })).toEqual([]);
    expect(masqRules({ clusterCIDR: '', masqueradeAll: false })).toEqual([]);
  });

  it('with clusterCIDR, everything not from a pod is masqueraded (the fault is hidden)', () => {
    expect(masqRules({ clusterCIDR: '172.16.0.0/16', masqueradeAll: false })).toEqual([
      '-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https cluster IP" -m tcp -p tcp -d 172.24.0.1 --dport 443 ! -s 172.16.0.0/16 -j KUBE-MARK-MASQ',
    ]);
  });

  it('with masqueradeAll, every packet to the ClusterIP is marked', () => {
    expect(masqRules({ masqueradeAll: true })).toEqual([
      '-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https cluster IP" -m tcp -p tcp -d 172.24.0.1 --dport 443 -j KUBE-MARK-MASQ',
    ]);
    expect(masqRules({ clusterCIDR: '172.16.0.0/16', masqueradeAll: true })).toHaveLength(1);
  });

  it('still names both apiservers, hairpin rule and DNAT per endpoint', () => {
    const restore = rules({ ...input, config: { masqueradeAll: false } });
    expect(restore).toContain(
      '-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https -> 10.0.0.12:6443" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-',
    );
    expect(restore).toMatch(
      /-A KUBE-SEP-\w+ -m comment --comment default\/kubernetes:https -s 10\.0\.0\.8 -j KUBE-MARK-MASQ/,
    );
    expect(restore).toMatch(/--to-destination 10\.0\.0\.8:6443\n/);
  });
});

describe('kube-dns over UDP and TCP', () => {
  const restore = rules({ services: [kubeDns.service], endpointSlices: [kubeDns.slice] });

  it('gets one chain per protocol with the known hash', () => {
    expect(declaredChains(restore, 'nat')).toContain('KUBE-SVC-TCOU7JCQXEZGVUNU');
    expect(declaredChains(restore, 'nat')).toContain('KUBE-SVC-ERIFXISQEP7F7OF4');
    expect(restore).toContain(
      '-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp -p udp -d 10.96.0.10 --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU',
    );
  });

  it('DNATs UDP with the udp match', () => {
    expect(restore).toMatch(
      /-A KUBE-SEP-\w+ -m comment --comment kube-system\/kube-dns:dns -m udp -p udp -j DNAT --to-destination 10\.244\.0\.2:53/,
    );
  });
});

describe('NodePort with externalTrafficPolicy Local', () => {
  const web = service('default', 'web', {
    type: 'NodePort',
    externalTrafficPolicy: 'Local',
    clusterIP: '10.96.5.5',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
  });
  const webSlice = slice(
    'default',
    'web',
    [
      { ip: '10.244.1.4', node: 'ubuntu01' },
      { ip: '10.244.2.4', node: 'ubuntu02' },
    ],
    [{ name: 'http', port: 8080 }],
  );

  it('on a node with a local endpoint: NodePort -> KUBE-EXT -> KUBE-SVL with only that endpoint', () => {
    const restore = rules({ nodeName: 'ubuntu02', services: [web], endpointSlices: [webSlice] });
    expect(chainRules(restore, 'nat', 'KUBE-NODEPORTS')).toEqual([
      '-A KUBE-NODEPORTS -m comment --comment default/web:http -m tcp -p tcp --dport 30080 -j KUBE-EXT-CDGGSHYLG3RE2FKL',
    ]);
    expect(chainRules(restore, 'nat', 'KUBE-EXT-CDGGSHYLG3RE2FKL')).toEqual([
      '-A KUBE-EXT-CDGGSHYLG3RE2FKL -m comment --comment "pod traffic for default/web:http external destinations" -s 10.244.0.0/16 -j KUBE-SVC-CDGGSHYLG3RE2FKL',
      '-A KUBE-EXT-CDGGSHYLG3RE2FKL -m comment --comment "masquerade LOCAL traffic for default/web:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ',
      '-A KUBE-EXT-CDGGSHYLG3RE2FKL -m comment --comment "route LOCAL traffic for default/web:http external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-CDGGSHYLG3RE2FKL',
      '-A KUBE-EXT-CDGGSHYLG3RE2FKL -j KUBE-SVL-CDGGSHYLG3RE2FKL',
    ]);
    expect(chainRules(restore, 'nat', 'KUBE-SVL-CDGGSHYLG3RE2FKL')).toEqual([
      '-A KUBE-SVL-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.2.4:8080" -j KUBE-SEP-' +
        /KUBE-SEP-(\w+)/.exec(
          restore.split('\n').find((l) => l.includes('--to-destination 10.244.2.4:8080'))!,
        )![1],
    ]);
    // The ClusterIP still balances over every endpoint.
    expect(
      chainRules(restore, 'nat', 'KUBE-SVC-CDGGSHYLG3RE2FKL').filter((l) => l.includes(' -> ')),
    ).toHaveLength(2);
    expect(tableLines(restore, 'filter').join('\n')).not.toContain('has no local endpoints');
  });

  it('on a node without one: KUBE-EXT only short-circuits local traffic and the filter table drops the rest', () => {
    const restore = rules({ nodeName: 'ubuntu03', services: [web], endpointSlices: [webSlice] });
    expect(chainRules(restore, 'nat', 'KUBE-EXT-CDGGSHYLG3RE2FKL').map((l) => l.split(' -j ')[1])).toEqual([
      'KUBE-SVC-CDGGSHYLG3RE2FKL',
      'KUBE-MARK-MASQ',
      'KUBE-SVC-CDGGSHYLG3RE2FKL',
    ]);
    expect(declaredChains(restore, 'nat')).not.toContain('KUBE-SVL-CDGGSHYLG3RE2FKL');
    expect(chainRules(restore, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP',
    ]);
  });

  it('a Cluster-policy NodePort masquerades everything that enters by the node port', () => {
    const clusterWeb = service('default', 'web', { ...web.spec, externalTrafficPolicy: 'Cluster' });
    const restore = rules({ services: [clusterWeb], endpointSlices: [webSlice] });
    expect(chainRules(restore, 'nat', 'KUBE-EXT-CDGGSHYLG3RE2FKL')).toEqual([
      '-A KUBE-EXT-CDGGSHYLG3RE2FKL -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ',
      '-A KUBE-EXT-CDGGSHYLG3RE2FKL -j KUBE-SVC-CDGGSHYLG3RE2FKL',
    ]);
  });
});

describe('internalTrafficPolicy Local', () => {
  const svc = service('default', 'node-local', {
    clusterIP: '10.96.4.4',
    internalTrafficPolicy: 'Local',
    ports: [{ name: 'http', port: 80 }],
  });
  const sl = slice(
    'default',
    'node-local',
    [{ ip: '10.244.1.4', node: 'ubuntu01' }],
    [{ name: 'http', port: 80 }],
  );

  it('sends the ClusterIP to KUBE-SVL with local endpoints only', () => {
    const restore = rules({ nodeName: 'ubuntu01', services: [svc], endpointSlices: [sl] });
    expect(chainRules(restore, 'nat', 'KUBE-SERVICES')[0]).toMatch(
      /-d 10\.96\.4\.4 --dport 80 -j KUBE-SVL-\w+$/,
    );
    expect(declaredChains(restore, 'nat').some((c) => c.startsWith('KUBE-SVC-'))).toBe(false);
  });

  it('drops ClusterIP traffic on a node without a local endpoint', () => {
    const restore = rules({ nodeName: 'ubuntu02', services: [svc], endpointSlices: [sl] });
    expect(chainRules(restore, 'filter', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "default/node-local:http has no local endpoints" -m tcp -p tcp -d 10.96.4.4 --dport 80 -j DROP',
    ]);
    expect(declaredChains(restore, 'nat').some((c) => /^KUBE-(SVC|SVL|SEP)-/.test(c))).toBe(false);
  });
});

describe('the other kube-proxy configuration knobs', () => {
  it('writes no KUBE-FIREWALL and excludes 127.0.0.0/8 from node ports when localhost NodePorts are off', () => {
    const restore = rules({ config: { ...withCIDR, localhostNodePorts: false } });
    expect(declaredChains(restore, 'filter')).not.toContain('KUBE-FIREWALL');
    expect(chainRules(restore, 'nat', 'KUBE-SERVICES').at(-1)).toBe(
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS',
    );
  });

  it('jumps to KUBE-NODEPORTS per node address when nodePortAddresses is set', () => {
    const restore = rules({
      config: { ...withCIDR, nodePortAddresses: ['192.168.56.0/24'] },
      localAddresses: ['127.0.0.1', '10.0.2.15', '192.168.56.12', '10.244.2.1'],
    });
    expect(declaredChains(restore, 'filter')).not.toContain('KUBE-FIREWALL');
    expect(chainRules(restore, 'nat', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.56.12 -j KUBE-NODEPORTS',
    ]);
    const primary = rules({
      config: { ...withCIDR, nodePortAddresses: ['primary'] },
      localAddresses: ['192.168.56.12'],
    });
    expect(chainRules(primary, 'nat', 'KUBE-SERVICES')[0]).toContain('-d 192.168.56.12 -j KUBE-NODEPORTS');
  });

  it('skips the INVALID drop when nf_conntrack_tcp_be_liberal is set', () => {
    expect(
      chainRules(rules({ config: { ...withCIDR, conntrackTCPLiberal: true } }), 'filter', 'KUBE-FORWARD'),
    ).toHaveLength(2);
  });

  it('skips headless, ExternalName and other proxies’ services', () => {
    const restore = rules({
      services: [
        service('default', 'headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        service('default', 'ext', {
          type: 'ExternalName',
          externalName: 'example.com',
          ports: [{ port: 80 }],
        }),
        {
          ...service('default', 'other', { clusterIP: '10.96.7.7', ports: [{ port: 80 }] }),
          metadata: {
            namespace: 'default',
            name: 'other',
            labels: { 'service.kubernetes.io/service-proxy-name': 'x' },
          },
        },
      ],
    });
    expect(tableLines(restore, 'filter').join('\n')).not.toContain('has no endpoints');
    expect(declaredChains(restore, 'nat')).toEqual([
      'KUBE-SERVICES',
      'KUBE-NODEPORTS',
      'KUBE-POSTROUTING',
      'KUBE-MARK-MASQ',
    ]);
  });

  it('names an unnamed port by the service alone', () => {
    const svc = service('default', 'plain', { clusterIP: '10.96.8.8', ports: [{ port: 8080 }] });
    const sl = slice('default', 'plain', [{ ip: '10.244.1.9' }], [{ port: 8080 }]);
    const restore = rules({ services: [svc], endpointSlices: [sl] });
    expect(restore).toContain('--comment "default/plain cluster IP"');
    expect(restore).toContain('--comment "default/plain -> 10.244.1.9:8080"');
    expect(restore).toMatch(/--comment default\/plain -s 10\.244\.1\.9 -j KUBE-MARK-MASQ/);
  });
});

describe('resyncs', () => {
  it('deletes per-service chains that no longer belong to any service, never other chains', () => {
    const restore = rules({
      services: [hostnames.service],
      endpointSlices: [hostnames.slice],
      existingNatChains: [
        'KUBE-SERVICES',
        'KUBE-SVC-ODX2UBAZM7RQWOIU',
        'KUBE-SEP-OLDOLDOLDOLDOLD1',
        'FLANNEL-POSTRTG',
      ],
    });
    expect(declaredChains(restore, 'nat')).toContain('KUBE-SEP-OLDOLDOLDOLDOLD1');
    expect(tableLines(restore, 'nat').filter((l) => l.startsWith('-X'))).toEqual([
      '-X KUBE-SEP-OLDOLDOLDOLDOLD1',
    ]);
    // The -X lines come before the final nodeports jump.
    expect(tableLines(restore, 'nat').at(-1)).toContain('-j KUBE-NODEPORTS');
  });

  it('a partial sync rewrites KUBE-SERVICES but leaves unchanged services’ chains alone', () => {
    const restore = rules({
      services: [hostnames.service, kubeDns.service],
      endpointSlices: [hostnames.slice, kubeDns.slice],
      changedServices: new Set(['kube-system/kube-dns']),
      existingNatChains: ['KUBE-SVC-ODX2UBAZM7RQWOIU', 'KUBE-SEP-7MW3KEEC4RCNSIJ2'],
    });
    expect(
      chainRules(restore, 'nat', 'KUBE-SERVICES').some((l) => l.includes('KUBE-SVC-ODX2UBAZM7RQWOIU')),
    ).toBe(true);
    expect(declaredChains(restore, 'nat')).not.toContain('KUBE-SVC-ODX2UBAZM7RQWOIU');
    expect(declaredChains(restore, 'nat')).toContain('KUBE-SVC-TCOU7JCQXEZGVUNU');
    expect(restore).not.toContain('-X KUBE-SVC-ODX2UBAZM7RQWOIU');
  });
});

describe('session affinity ClientIP', () => {
  it('checks the recent list per endpoint before balancing and records the client in the SEP chain', () => {
    const svc = service('default', 'sticky', {
      clusterIP: '10.96.3.3',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      ports: [{ name: 'http', port: 80 }],
    });
    const sl = slice(
      'default',
      'sticky',
      [{ ip: '10.244.1.2' }, { ip: '10.244.2.2' }],
      [{ name: 'http', port: 80 }],
    );
    const restore = rules({ services: [svc], endpointSlices: [sl] });
    const svcChain = chainRules(restore, 'nat', 'KUBE-SVC-' + /KUBE-SVC-(\w+)/.exec(restore)![1]).filter(
      (l) => l.includes(' -> '),
    );
    expect(svcChain).toHaveLength(4);
    expect(svcChain[0]).toMatch(/-m recent --name (KUBE-SEP-\w+) --rcheck --seconds 600 --reap -j \1$/);
    expect(svcChain[2]).toContain('--probability 0.5000000000');
    expect(restore).toMatch(
      /-m recent --name (KUBE-SEP-\w+) --set -m tcp -p tcp -j DNAT --to-destination 10\.244\.1\.2:80/,
    );
  });
});

describe('the jumps from built-in chains', () => {
  it('are the ones kube-proxy ensures, with their conntrack state and comments', () => {
    const jumps = jumpRules({ localhostNodePorts: true }).map(
      (j) => `-t ${j.table} ${j.chain} ${j.args.join(' ')}`,
    );
    expect(jumps).toEqual([
      '-t filter INPUT -m conntrack --ctstate NEW -m comment --comment kubernetes externally-visible service portals -j KUBE-EXTERNAL-SERVICES',
      '-t filter FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes externally-visible service portals -j KUBE-EXTERNAL-SERVICES',
      '-t filter INPUT -m comment --comment kubernetes health check service ports -j KUBE-NODEPORTS',
      '-t filter FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      '-t filter OUTPUT -m conntrack --ctstate NEW -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      '-t filter FORWARD -m comment --comment kubernetes forwarding rules -j KUBE-FORWARD',
      '-t filter INPUT -m conntrack --ctstate NEW -m comment --comment kubernetes load balancer firewall -j KUBE-PROXY-FIREWALL',
      '-t filter OUTPUT -m conntrack --ctstate NEW -m comment --comment kubernetes load balancer firewall -j KUBE-PROXY-FIREWALL',
      '-t filter FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes load balancer firewall -j KUBE-PROXY-FIREWALL',
      '-t nat OUTPUT -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      '-t nat PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      '-t nat POSTROUTING -m comment --comment kubernetes postrouting rules -j KUBE-POSTROUTING',
      '-t filter INPUT -j KUBE-FIREWALL',
      '-t filter OUTPUT -j KUBE-FIREWALL',
    ]);
    expect(jumpRules({ localhostNodePorts: false }).some((j) => j.target === 'KUBE-FIREWALL')).toBe(false);
  });

  it('go in with one restore that declares only absent chains and inserts only absent jumps', () => {
    const jumps = jumpRules({ localhostNodePorts: false }).filter((j) => j.table === 'nat');
    const save = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ':KUBE-SERVICES - [0:0]',
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A POSTROUTING -j FLANNEL-POSTRTG',
      'COMMIT',
      '',
    ].join('\n');
    expect(missingJumpsRestore(save, jumps)).toBe(
      [
        '*nat',
        ':KUBE-POSTROUTING - [0:0]',
        '-I OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-I POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        'COMMIT',
        '',
      ].join('\n'),
    );
    const complete = save.replace(
      'COMMIT',
      [
        ':KUBE-POSTROUTING - [0:0]',
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        'COMMIT',
      ].join('\n'),
    );
    expect(missingJumpsRestore(complete, jumps)).toBeUndefined();
  });
});

describe('agreement with kube-proxy’s own overall-rules test', () => {
  // The services and the expected dump of TestOverallIPTablesRules in kubernetes/kubernetes
  // (pkg/proxy/iptables/proxier_test.go), with the node's nfacct counters present, no
  // --random-fully, cluster CIDR 10.0.0.0/8 and the mark printed as kube-proxy prints it.
  const services = [
    service('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] }),
    service(
      'ns2',
      'svc2',
      {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        clusterIP: '172.30.0.42',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
        externalIPs: ['192.168.99.22'],
        healthCheckNodePort: 30000,
      },
      { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
    ),
    service('ns3', 'svc3', {
      type: 'NodePort',
      clusterIP: '172.30.0.43',
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3003 }],
    }),
    service('ns4', 'svc4', {
      type: 'NodePort',
      clusterIP: '172.30.0.44',
      externalIPs: ['192.168.99.33'],
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }],
    }),
    service(
      'ns5',
      'svc5',
      {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Cluster',
        clusterIP: '172.30.0.45',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3002 }],
        healthCheckNodePort: 30000,
        loadBalancerSourceRanges: [' 203.0.113.0/25'],
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      },
      { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } },
    ),
    service('ns6', 'svc6', {
      clusterIP: '172.30.0.46',
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }],
    }),
  ];
  const p80 = [{ name: 'p80', port: 80, protocol: 'TCP' }];
  const slices = [
    slice('ns1', 'svc1', [{ ip: '10.180.0.1' }], p80),
    slice('ns2', 'svc2', [{ ip: '10.180.0.2' }], p80),
    slice('ns3', 'svc3', [{ ip: '10.180.0.3' }], p80),
    slice('ns4', 'svc4', [{ ip: '10.180.0.4' }, { ip: '10.180.0.5', node: 'test-node' }], p80),
    slice('ns5', 'svc5', [{ ip: '10.180.0.3' }], p80),
  ];
  const expected = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
:KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
:KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
:KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
:KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3003 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3002 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
COMMIT
`;

  it('produces the same rules, chain by chain', () => {
    const restore = buildRules({
      nodeName: 'test-node',
      nodeIPs: ['192.168.0.2'],
      config: { clusterCIDR: '10.0.0.0/8', masqueradeAll: false, nfacct: true, randomFully: false },
      services,
      endpointSlices: slices,
    }).restore.replaceAll('0x00004000', '0x4000');
    expect(normaliseDump(restore)).toBe(normaliseDump(expected));
  });
});
