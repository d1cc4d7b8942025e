/**
 * Seed 000 reproduced on the real kernel: flanneld started without --iface takes the default-route
 * NIC, enp0s8, whose address 10.0.2.15 is the same on every VM. Every VTEP is `local 10.0.2.15`
 * and every peer's fdb entry points at 10.0.2.15 - an address of the sender itself - so pods reach
 * pods on their own node but never another node, and no VXLAN packet goes out of enp0s3. Restarted
 * with --iface=enp0s3 (the seed's fix), flannel re-creates flannel.1 on the host-only NIC, peers
 * point at 192.168.56.x and cross-node traffic flows over UDP 8472.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlannelExitError } from '../../../labs/agents/flannel/agent.ts';
import {
  capture,
  createFlannelLab,
  type FlannelLab,
  fdbDestinations,
  flannelAddon,
  isRoot,
  NODES,
  ping,
  until,
} from './helpers.ts';

const [n1, n2, n3] = NODES as [(typeof NODES)[0], (typeof NODES)[0], (typeof NODES)[0]];

describe.skipIf(!isRoot)('seed 000: flannel on the default-route NIC of dual-NIC VirtualBox nodes', () => {
  let fl: FlannelLab;
  let args: string[];
  const startMs: Record<string, number> = {};

  beforeAll(async () => {
    fl = await createFlannelLab();
    args = (await flannelAddon()).args;
    // The DaemonSet starts one flanneld per node at about the same time.
    await Promise.all(
      NODES.map(async (n) => {
        const agent = fl.agent(n.name, args);
        await agent.start();
        startMs[n.name] = agent.timings.total!;
      }),
    );
    // Each node learns its peers as they publish their leases.
    await until('every node to know both peers', async () => {
      const counts = await Promise.all(NODES.map((n) => fdbDestinations(fl, n.name)));
      return counts.every((c) => c.length === 2);
    });
  });

  afterAll(async () => {
    console.log(`flanneld start (ms): ${JSON.stringify(startMs)}`);
    await fl?.dispose();
  });

  it('runs the DaemonSet args from the addon, --ip-masq --kube-subnet-mgr, without --iface', () => {
    expect(args).toEqual(['--ip-masq', '--kube-subnet-mgr']);
    for (const n of NODES) expect(fl.agents.get(n.name)!.state).toBe('running');
  });

  it.each(NODES.map((n) => [n.name]))('%s picks enp0s8 / 10.0.2.15 and logs it as flanneld does', (name) => {
    const text = fl.logs.get(name)!.join('\n');
    expect(text).toMatch(
      /^I\d{4} \d\d:\d\d:\d\d\.\d{6} {7}1 main\.go:211\] CLI flags config: \{etcdEndpoints:/m,
    );
    expect(text).toContain('iface:[] ifaceRegex:[] ipMasq:true ifaceCanReach:');
    expect(text).toMatch(/ match\.go:211\] Determining IP address of default interface$/m);
    expect(text).toMatch(/ match\.go:264\] Using interface with name enp0s8 and address 10\.0\.2\.15$/m);
    expect(text).toMatch(
      / match\.go:286\] Defaulting external address to interface address \(10\.0\.2\.15\)$/m,
    );
    expect(text).toMatch(
      / vxlan\.go:141\] VXLAN config: VNI=1 Port=0 GBP=false Learning=false DirectRouting=false$/m,
    );
    expect(text).toMatch(/ main\.go:410\] Wrote subnet file to \/run\/flannel\/subnet\.env$/m);
    expect(text).toMatch(/ main\.go:414\] Running backend\.$/m);
    expect(text).toMatch(/ vxlan_network\.go:65\] watching for new subnet leases$/m);
    expect(text).toMatch(/ iptables\.go:125\] Setting up masking rules$/m);
    expect(text.match(/ iptables\.go:372\] bootstrap done$/gm)).toHaveLength(2);
  });

  it('publishes the wrong address in every node’s annotations', () => {
    for (const n of NODES) {
      const a = fl.nodes.get(n.name)!.metadata.annotations!;
      expect(a['flannel.alpha.coreos.com/public-ip']).toBe('10.0.2.15');
      expect(a['flannel.alpha.coreos.com/backend-type']).toBe('vxlan');
      expect(a['flannel.alpha.coreos.com/kube-subnet-manager']).toBe('true');
      expect(JSON.parse(a['flannel.alpha.coreos.com/backend-data']!)).toEqual({
        VNI: 1,
        VtepMAC: fl.agents.get(n.name)!.status!.vtepMac,
      });
    }
  });

  it('builds flannel.1 on enp0s8 with local 10.0.2.15 and points every peer at 10.0.2.15', async () => {
    const ns = fl.lab.netns(n2.name);
    const link = await fl.sh(ns, 'ip', '-d', 'link', 'show', 'flannel.1');
    expect(link).toMatch(/mtu 1450 /);
    expect(link).toMatch(/vxlan id 1 local 10\.0\.2\.15 dev enp0s8 srcport 0 0 dstport 8472 nolearning /);
    expect(await fl.sh(ns, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'flannel.1')).toContain(
      'inet 10.244.1.0/32',
    );
    expect(await fdbDestinations(fl, n2.name)).toEqual(['10.0.2.15', '10.0.2.15']);
    const routes = await fl.sh(ns, 'ip', 'route', 'show', 'dev', 'flannel.1');
    expect(routes).toContain('10.244.0.0/24 via 10.244.0.0 onlink');
    expect(routes).toContain('10.244.2.0/24 via 10.244.2.0 onlink');
    expect(await readFile(fl.lab.nodeFile(n2.name, '/run/flannel/subnet.env'), 'utf8')).toBe(
      'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
    );
  });

  it('lets a node and its own pod talk, as the seed saw', async () => {
    expect((await ping(fl, fl.lab.netns(n2.name), n2.podIP)).ok).toBe(true);
    expect((await ping(fl, `pod-${n2.name}`, n2.gateway)).ok).toBe(true);
  });

  it('fails cross-node: the encapsulated frame loops back and nothing leaves on UDP 8472 of enp0s3', async () => {
    const ns = fl.lab.netns(n2.name);
    const wire = await capture(fl, ns, 'enp0s3', 'udp port 8472');
    const loop = await capture(fl, ns, '-v', 'flannel.1', 'icmp');
    const podToPod = await ping(fl, `pod-${n2.name}`, n3.podIP);
    const nodeToPod = await ping(fl, ns, n1.podIP);
    const [onWire, onFlannel] = await Promise.all([wire.stop(), loop.stop()]);
    expect(podToPod.ok).toBe(false);
    expect(podToPod.output).toContain(`From ${n2.gateway} icmp_seq=1 Time to live exceeded`);
    expect(nodeToPod.ok).toBe(false);
    expect(onWire).toEqual([]);
    // Encapsulated for 10.0.2.15 - the sender's own address - the request comes straight back into
    // flannel.1 and is routed out again, one TTL less each round, until the TTL runs out (the
    // "Time to live exceeded" above comes from the sender's own cni0 address). tcpdump cannot keep
    // up with a loop of microseconds, so it sees only the first rounds.
    const ttls = new Set(
      onFlannel.flatMap((l, i) =>
        onFlannel[i + 1]?.includes(`${n2.podIP} > ${n3.podIP}: ICMP echo request`)
          ? [Number(/ttl (\d+)/.exec(l)?.[1])]
          : [],
      ),
    );
    expect(ttls.has(63)).toBe(true);
    expect(ttls.size).toBeGreaterThanOrEqual(5);
  });

  it('restarted with --iface=enp0s3, re-creates flannel.1 on the host-only NIC and cross-node traffic flows', async () => {
    const fixed = [...args, '--iface=enp0s3'];
    const macs = NODES.map((n) => fl.agents.get(n.name)!.status!.vtepMac);
    await Promise.all(NODES.map((n) => fl.agents.get(n.name)!.restart({ args: fixed })));
    await until('peers to point at the host-only addresses', async () => {
      const dsts = await Promise.all(NODES.map((n) => fdbDestinations(fl, n.name)));
      return dsts.every((d) => d.length === 2 && d.every((ip) => ip.startsWith('192.168.56.')));
    });
    const ns = fl.lab.netns(n2.name);
    const text = fl.logs.get(n2.name)!.join('\n');
    expect(text).toContain('CLI flags config: {');
    expect(text).toContain('iface:[enp0s3] ifaceRegex:[] ipMasq:true');
    expect(text).toMatch(/ main\.go:450\] shutdownHandler sent cancel signal\.\.\.$/m);
    expect(text).toMatch(/ iptables\.go:81\] iptables \(ipv4\): cleaning-up before exiting flannel\.\.\.$/m);
    expect(text).toMatch(/ vxlan\.go:155\] Interface flannel\.1 mac address set to: /m);
    expect(text).toMatch(
      /^W\d{4} [\d:.]+ {7}1 device\.go:\d+\] "flannel\.1" already exists with incompatible configuration: vtep \(external\) interface: 2 vs 3; recreating device$/m,
    );
    expect(text).toMatch(/ match\.go:264\] Using interface with name enp0s3 and address 192\.168\.56\.12$/m);
    expect(await fl.sh(ns, 'ip', '-d', 'link', 'show', 'flannel.1')).toMatch(
      /vxlan id 1 local 192\.168\.56\.12 dev enp0s3 srcport 0 0 dstport 8472 nolearning /,
    );
    // The stored MAC survives the re-creation, so peers' neighbour entries stay right.
    expect(NODES.map((n) => fl.agents.get(n.name)!.status!.vtepMac)).toEqual(macs);
    expect((await fdbDestinations(fl, n2.name)).sort()).toEqual(['192.168.56.11', '192.168.56.13']);
    expect(await fl.sh(ns, 'bridge', 'fdb', 'show', 'dev', 'flannel.1')).toContain(
      `${macs[2]} dst 192.168.56.13 self permanent`,
    );

    const wire = await capture(fl, ns, 'enp0s3', 'udp port 8472');
    const podToPod = await ping(fl, `pod-${n2.name}`, n3.podIP);
    const nodeToPod = await ping(fl, ns, n1.podIP);
    const onWire = await wire.stop();
    expect(podToPod).toMatchObject({ ok: true });
    expect(nodeToPod).toMatchObject({ ok: true });
    expect(onWire.some((l) => /192\.168\.56\.12\.\d+ > 192\.168\.56\.13\.8472: /.test(l))).toBe(true);
  });

  it('with --iface=nosuch, exits with the fatal message (CrashLoopBackOff on a real node)', async () => {
    await fl.agents.get(n1.name)!.stop({ graceful: false });
    fl.logs.set(n1.name, []);
    const agent = fl.agent(n1.name, [...args, '--iface=nosuch']);
    const err = await agent.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlannelExitError);
    expect((err as FlannelExitError).code).toBe(1);
    expect(await agent.exited).toMatchObject({ code: 1 });
    expect(agent.state).toBe('exited');
    const lines = fl.logs.get(n1.name)!;
    expect(lines.at(-2)).toMatch(
      / main\.go:\d+\] Could not find valid interface matching nosuch: error looking up interface nosuch: route ip\+net: no such network interface$/,
    );
    expect(lines.at(-1)).toMatch(
      /^E\d{4} [\d:.]+ {7}1 main\.go:\d+\] Failed to find interface to use that matches the interfaces and\/or regexes provided$/,
    );
  });
});
