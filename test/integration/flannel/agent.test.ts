/**
 * The flannel agent against the real kernel of a virtualbox-3node lab, run as the seed's fix has it
 * (--iface=enp0s3): how it follows peer Nodes, honours flannel's annotations, chooses interfaces
 * by regex and reachability, keeps its iptables rules, and what it leaves behind when it stops.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlannelExitError } from '../../../labs/agents/flannel/agent.ts';
import { CNI_CONFLIST_PATH, installCni } from '../../../labs/agents/flannel/files.ts';
import {
  createFlannelLab,
  type FlannelLab,
  fdbDestinations,
  flannelAddon,
  isRoot,
  NODES,
  nodeObject,
  until,
} from './helpers.ts';

const ARGS = ['--ip-masq', '--kube-subnet-mgr', '--iface=enp0s3', '--iptables-resync=1'];
const P = 'flannel.alpha.coreos.com';

interface PeerEntries {
  routes: string[];
  neighbours: string[];
  fdb: string[];
}

describe.skipIf(!isRoot)('flannel agent on the real kernel', () => {
  let fl: FlannelLab;

  const entries = async (node: string): Promise<PeerEntries> => {
    const ns = fl.lab.netns(node);
    const out = await fl.sh(
      ns,
      'sh',
      '-c',
      'ip route show dev flannel.1; echo --; ip neigh show dev flannel.1; echo --; bridge fdb show dev flannel.1',
    );
    const [routes, neighbours, fdb] = out.split('--\n').map((part) =>
      part
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    );
    return { routes: routes!, neighbours: neighbours!, fdb: fdb! };
  };
  const natRules = async (node: string) =>
    (await fl.sh(fl.lab.netns(node), 'iptables-save', '-t', 'nat'))
      .split('\n')
      .filter((l) => l.includes('FLANNEL'));
  const filterRules = async (node: string) =>
    (await fl.sh(fl.lab.netns(node), 'iptables-save', '-t', 'filter'))
      .split('\n')
      .filter((l) => l.includes('FLANNEL'));
  const converged = () =>
    until('every node to point at both peers on the host-only network', async () => {
      const dsts = await Promise.all(NODES.map((n) => fdbDestinations(fl, n.name)));
      return dsts.every((d) => d.length === 2 && d.every((ip) => ip.startsWith('192.168.56.')));
    });
  const restart = async (node: string, args: string[]) => {
    fl.logs.set(node, []);
    await fl.agents.get(node)!.restart({ args });
    return fl.logs.get(node)!.join('\n');
  };

  beforeAll(async () => {
    fl = await createFlannelLab({ pods: false });
    await Promise.all(NODES.map((n) => fl.agent(n.name, ARGS).start()));
    await converged();
  });

  afterAll(async () => {
    await fl?.dispose();
  });

  it('writes the masquerade and forward rules exactly as flanneld v0.26 does', async () => {
    expect(await natRules('ubuntu02')).toEqual([
      ':FLANNEL-POSTRTG - [0:0]',
      '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
      '-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s 10.244.1.0/24 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
      '-A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
    ]);
    expect(await filterRules('ubuntu02')).toEqual([
      ':FLANNEL-FWD - [0:0]',
      '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
      '-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT',
      '-A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT',
    ]);
  });

  it('gives each peer a permanent neighbour, an fdb entry and an onlink route', async () => {
    const mac3 = fl.agents.get('ubuntu03')!.status!.vtepMac;
    const e = await entries('ubuntu02');
    expect(e.routes.sort()).toEqual([
      '10.244.0.0/24 via 10.244.0.0 onlink',
      '10.244.2.0/24 via 10.244.2.0 onlink',
    ]);
    expect(e.neighbours).toContain(`10.244.2.0 lladdr ${mac3} PERMANENT`);
    expect(e.fdb).toContain(`${mac3} dst 192.168.56.13 self permanent`);
  });

  it('removes a deleted peer within about 100 ms and adds it back when it returns', async () => {
    const before = fl.nodes.get('ubuntu03')!;
    const mac3 = fl.agents.get('ubuntu03')!.status!.vtepMac;
    fl.logs.set('ubuntu02', []);
    fl.nodes.delete('ubuntu03');
    const removedMs = await until('ubuntu03 to be gone from ubuntu02', async () => {
      const e = await entries('ubuntu02');
      return (
        !e.routes.some((l) => l.startsWith('10.244.2.0/24')) &&
        !e.neighbours.some((l) => l.startsWith('10.244.2.0 ')) &&
        !e.fdb.some((l) => l.startsWith(mac3))
      );
    });
    expect(removedMs).toBeLessThan(250);
    expect(fl.logs.get('ubuntu02')!.join('\n')).toMatch(
      / subnet\.go:152\] Batch elem \[0\] is \{ lease\.Event\{Type:1, Lease:lease\.Lease\{EnableIPv4:true, EnableIPv6:false, Subnet:ip\.IP4Net\{IP:0xaf40200, PrefixLen:0x18\}/,
    );

    fl.nodes.set(before);
    const addedMs = await until('ubuntu03 to be back on ubuntu02', async () =>
      (await entries('ubuntu02')).fdb.includes(`${mac3} dst 192.168.56.13 self permanent`),
    );
    expect(addedMs).toBeLessThan(250);
    console.log(`peer removed after ${removedMs.toFixed(0)} ms, re-added after ${addedMs.toFixed(0)} ms`);
  });

  it('follows a peer whose public-ip-overwrite annotation moves it, replacing the fdb destination', async () => {
    const mac3 = fl.agents.get('ubuntu03')!.status!.vtepMac;
    fl.nodes.annotate('ubuntu03', { [`${P}/public-ip-overwrite`]: '192.168.56.99' });
    const text = await restart('ubuntu03', ARGS);
    expect(text).toContain(
      `Overriding public ip with '192.168.56.99' from node annotation '${P}/public-ip-overwrite'`,
    );
    expect(fl.nodes.get('ubuntu03')!.metadata.annotations![`${P}/public-ip`]).toBe('192.168.56.99');
    // The VTEP itself still sends from its interface address; only what peers send to changes.
    expect(await fl.sh(fl.lab.netns('ubuntu03'), 'ip', '-d', 'link', 'show', 'flannel.1')).toContain(
      'local 192.168.56.13 dev enp0s3',
    );
    await until('ubuntu02 to send to the overwritten address', async () =>
      (await entries('ubuntu02')).fdb.includes(`${mac3} dst 192.168.56.99 self permanent`),
    );
    expect((await entries('ubuntu02')).fdb.filter((l) => l.startsWith(mac3))).toHaveLength(1);

    fl.nodes.annotate('ubuntu03', { [`${P}/public-ip-overwrite`]: null });
    await restart('ubuntu03', ARGS);
    await converged();
    expect((await entries('ubuntu02')).fdb).toContain(`${mac3} dst 192.168.56.13 self permanent`);
  });

  it('uses the interface owning the node-public-ip annotation when no --iface is given', async () => {
    fl.nodes.annotate('ubuntu01', { [`${P}/node-public-ip`]: '192.168.56.11' });
    const text = await restart('ubuntu01', ['--ip-masq', '--kube-subnet-mgr']);
    expect(text).toMatch(/ match\.go:\d+\] Searching for interface using 192\.168\.56\.11$/m);
    expect(text).toMatch(/ match\.go:264\] Using interface with name enp0s3 and address 192\.168\.56\.11$/m);
    expect(text).toMatch(/ match\.go:\d+\] Using 192\.168\.56\.11 as external address$/m);
    expect(text).not.toContain('Determining IP address of default interface');
    fl.nodes.annotate('ubuntu01', { [`${P}/node-public-ip`]: null });
  });

  it('matches --iface-regex against addresses, then falls back to --iface-can-reach', async () => {
    let text = await restart('ubuntu01', [
      '--ip-masq',
      '--kube-subnet-mgr',
      '--iface-regex=^192\\.168\\.56\\.',
    ]);
    expect(text).toMatch(/ match\.go:264\] Using interface with name enp0s3 and address 192\.168\.56\.11$/m);

    text = await restart('ubuntu01', [
      '--ip-masq',
      '--kube-subnet-mgr',
      '--iface=nosuch',
      '--iface-regex=^eth[0-9]+$',
      '--iface-can-reach=192.168.56.1',
    ]);
    expect(text).toContain(
      'Could not find valid interface matching nosuch: error looking up interface nosuch: route ip+net: no such network interface',
    );
    expect(text).toMatch(
      /Could not find valid interface matching \^eth\[0-9\]\+\$: Could not match pattern \^eth\[0-9\]\+\$ to any of the available network interfaces \(lo:\[\], enp0s3:\[192\.168\.56\.11\], enp0s8:\[10\.0\.2\.15\], flannel\.1:\[10\.244\.0\.0\]\)$/m,
    );
    expect(text).toMatch(
      / match\.go:\d+\] Determining interface to use based on given ifcanreach: 192\.168\.56\.1$/m,
    );
    expect(text).toMatch(/ match\.go:264\] Using interface with name enp0s3 and address 192\.168\.56\.11$/m);
    await converged();
  });

  it('re-adds iptables rules deleted by hand on its next resync, and logs it', async () => {
    const ns = fl.lab.netns('ubuntu02');
    const intact = await natRules('ubuntu02');
    fl.logs.set('ubuntu02', []);
    await fl.sh(
      ns,
      'iptables',
      '-t',
      'nat',
      '-D',
      'POSTROUTING',
      '-m',
      'comment',
      '--comment',
      'flanneld masq',
      '-j',
      'FLANNEL-POSTRTG',
    );
    await fl.sh(ns, 'iptables', '-t', 'nat', '-D', 'FLANNEL-POSTRTG', '2');
    const repairedMs = await until(
      'the nat rules to come back',
      async () => (await natRules('ubuntu02')).join('\n') === intact.join('\n'),
      3000,
    );
    expect(repairedMs).toBeLessThan(2500);
    const text = fl.logs.get('ubuntu02')!.join('\n');
    expect(text).toMatch(
      / iptables\.go:504\] Some iptables rules are missing; deleting and recreating rules$/m,
    );
    expect(text).toMatch(/ iptables\.go:372\] bootstrap done$/m);
    // Only the broken group was rebuilt.
    expect(text.match(/bootstrap done/g)).toHaveLength(1);

    await fl.sh(ns, 'iptables', '-F', 'FLANNEL-FWD');
    expect(await fl.agents.get('ubuntu02')!.checkIptablesNow()).toEqual(['forward']);
    expect((await filterRules('ubuntu02')).length).toBe(4);
    expect(await fl.agents.get('ubuntu02')!.checkIptablesNow()).toEqual([]);
  });

  it('on SIGTERM deletes its iptables rules but leaves flannel.1, routes and fdb; SIGKILL leaves everything', async () => {
    const agent = fl.agents.get('ubuntu02')!;
    const before = await entries('ubuntu02');
    expect(await agent.stop()).toEqual({ code: 0, reason: 'terminated' });
    expect(agent.state).toBe('stopped');
    expect(await natRules('ubuntu02')).toEqual([':FLANNEL-POSTRTG - [0:0]']);
    expect(await filterRules('ubuntu02')).toEqual([':FLANNEL-FWD - [0:0]']);
    expect(await entries('ubuntu02')).toEqual(before);
    expect(fl.logs.get('ubuntu02')!.at(-1)).toMatch(/ main\.go:\d+\] Exiting cleanly\.\.\.$/);

    await agent.start();
    expect((await natRules('ubuntu02')).length).toBe(8);
    expect(await agent.stop({ graceful: false })).toEqual({ code: 137, reason: 'killed' });
    expect((await natRules('ubuntu02')).length).toBe(8);
    expect(await entries('ubuntu02')).toEqual(before);
    await agent.start();
  });

  it('keeps subnet.env across restarts and recycles masquerade rules only when the subnet changed', async () => {
    const text = await restart('ubuntu02', ARGS);
    expect(text).not.toContain('trying to recycle old iptables rules');
    expect(text).not.toContain('no subnet found for key: FLANNEL_SUBNET');
    expect(text).toContain('no subnet found for key: FLANNEL_IPV6_NETWORK in file: /run/flannel/subnet.env');
    expect(await readFile(fl.lab.nodeFile('ubuntu02', '/run/flannel/subnet.env'), 'utf8')).toBe(
      'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
    );
  });

  it('exits when its Node has no pod CIDR yet (after creating flannel.1, as flanneld does)', async () => {
    await fl.agents.get('ubuntu01')!.stop({ graceful: false });
    await fl.sh(fl.lab.netns('ubuntu01'), 'ip', 'link', 'del', 'flannel.1');
    const saved = fl.nodes.get('ubuntu01')!;
    fl.nodes.set(nodeObject('ubuntu01', undefined));
    fl.logs.set('ubuntu01', []);
    const agent = fl.agent('ubuntu01', ARGS);
    const err = await agent.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlannelExitError);
    expect(fl.logs.get('ubuntu01')!.at(-1)).toMatch(
      /^E\d{4} [\d:.]+ {7}1 main\.go:\d+\] Error registering network: failed to acquire lease: node "ubuntu01" pod cidr not assigned$/,
    );
    expect(await fl.sh(fl.lab.netns('ubuntu01'), 'ip', '-o', 'link', 'show', 'flannel.1')).toContain(
      'flannel.1',
    );
    fl.nodes.set(saved);
    await agent.start();
    expect(agent.state).toBe('running');
  });

  it('installs the CNI config byte for byte, so a ConfigMap edit arrives only with the next pod start', async () => {
    const { cniConf } = await flannelAddon();
    const path = await installCni(fl.lab.nodeRoot('ubuntu02'), cniConf);
    expect(path).toBe(fl.lab.nodeFile('ubuntu02', CNI_CONFLIST_PATH));
    expect(await readFile(path, 'utf8')).toBe(cniConf);
    expect(JSON.parse(cniConf).plugins[0].delegate.hairpinMode).toBe(true);
    const edited = cniConf.replace('"hairpinMode": true', '"hairpinMode": false');
    await installCni(fl.lab.nodeRoot('ubuntu02'), edited);
    expect(await readFile(path, 'utf8')).toContain('"hairpinMode": false');
  });
});
