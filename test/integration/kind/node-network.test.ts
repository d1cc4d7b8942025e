/**
 * The shell a kind node runs at build and at reboot, run for real in a network namespace standing
 * in for the node container: veth NICs named and addressed as Docker would leave them (eth0 on
 * kind's network, eth1 on the NAT network with Docker's default route), then the node's first boot
 * from its persistent files, then a learner's hand-made changes undone by a reboot. The files are
 * written to a temporary directory instead of the node's /etc.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutFor } from '../../../labs/drivers/kind/layout.ts';
import { type NicFacts, nodeSetupScript, SCRIPT_PRELUDE } from '../../../labs/drivers/kind/persistent.ts';
import { planReboot } from '../../../labs/drivers/kind/reboot.ts';
import { environment } from '../../../labs/environments/index.ts';
import { parsePersistentConfig } from '../../../labs/netns/build/netplan.ts';
import { LIVE_STATE_QUERY, parseLiveState } from '../../../labs/netns/build/node-network.ts';

const ns = `svcl-tk${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'svcl-t-kindnode-'));
const canNetns = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;

const KIND: NicFacts = { mac: '02:42:ac:1e:00:02', ip: '172.30.0.2', prefix: '24', gateway: '172.30.0.1' };
const NAT: NicFacts = { mac: '02:42:ac:1f:00:02', ip: '172.31.0.2', prefix: '24', gateway: '172.31.0.1' };

function inNs(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'sh'], { input: script, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ip(...args: string[]): string {
  return spawnSync('ip', ['-n', ns, ...args], { encoding: 'utf8' }).stdout;
}

const t = environment('virtualbox-3node');
const node = layoutFor('demo', t).nodes[1];
// Keep to per-namespace keys that exist in any network namespace; the files go to the temp dir.
node.spec.sysctls = {
  'net.ipv4.ip_forward': '1',
  'net.ipv4.conf.all.rp_filter': '2',
  'net.ipv4.conf.default.rp_filter': '2',
};
node.spec.persistent = {
  netplan: join(dir, 'netplan/50-cloud-init.yaml'),
  sysctl: join(dir, 'sysctl.d/k8s.conf'),
};
const facts = { enp0s3: KIND, enp0s8: NAT };

beforeAll(() => {
  if (!canNetns) return;
  const setup = [
    `netns add ${ns}`,
    `netns add ${ns}h`,
    // The other ends stay "on the host" (a namespace of their own), as Docker's bridge ports do.
    `-n ${ns} link add eth0 address ${KIND.mac} type veth peer name k0 netns ${ns}h`,
    `-n ${ns} link add eth1 address ${NAT.mac} type veth peer name n0 netns ${ns}h`,
    `-n ${ns}h link set k0 up`,
    `-n ${ns}h link set n0 up`,
    `-n ${ns} link set lo up`,
    `-n ${ns} link set eth0 up`,
    `-n ${ns} link set eth1 up`,
    `-n ${ns} addr add 172.30.0.2/24 dev eth0`,
    `-n ${ns} addr add 172.31.0.2/24 dev eth1`,
    `-n ${ns} route add default via 172.31.0.1 dev eth1`,
  ];
  for (const line of setup) expect(spawnSync('ip', line.split(' ')).status, line).toBe(0);
});

afterAll(() => {
  spawnSync('ip', ['netns', 'del', ns]);
  spawnSync('ip', ['netns', 'del', `${ns}h`]);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!canNetns)(
  `kind node network scripts${canNetns ? '' : ' (skipped: needs root and ip netns)'}`,
  () => {
    it('first boot renames the NICs by MAC, keeps Docker’s addresses and takes the default route from DHCP', () => {
      const r = inNs(nodeSetupScript(t, node, facts));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const links = JSON.parse(ip('-j', 'link', 'show')) as { ifname: string; address: string }[];
      expect(links.map((l) => [l.ifname, l.address]).filter(([n]) => n !== 'lo')).toEqual([
        ['enp0s3', KIND.mac],
        ['enp0s8', NAT.mac],
      ]);
      expect(ip('-4', '-o', 'addr', 'show', 'dev', 'enp0s3')).toContain('inet 172.30.0.2/24');
      expect(ip('route', 'show', 'default').trim()).toBe(
        'default via 172.31.0.1 dev enp0s8 proto dhcp src 172.31.0.2 metric 100',
      );
      expect(inNs('sysctl -n net.ipv4.conf.enp0s3.rp_filter').stdout.trim()).toBe('2');
      const file = readFileSync(node.spec.persistent.netplan, 'utf8');
      expect(parsePersistentConfig(file).ethernets.enp0s8).toMatchObject({ setName: 'enp0s8', dhcp4: true });
    });

    it('a reboot undoes a hand-made route, link, rule and sysctl, and keeps what the files say', () => {
      const changes = [
        'ip route add 10.99.0.0/16 dev enp0s3',
        'ip link add cni0 type bridge',
        'ip rule add priority 100 table 100',
        'ip route add default via 172.30.0.1 dev enp0s3 table 100',
        'sysctl -q -w net.ipv4.conf.all.rp_filter=0',
      ];
      expect(inNs(changes.join('\n')).status).toBe(0);
      const live = parseLiveState(
        spawnSync('ip', ['-n', ns, '-j', '-batch', '-'], {
          input: `${LIVE_STATE_QUERY.join('\n')}\n`,
          encoding: 'utf8',
        }).stdout,
      );
      const reboot = planReboot({
        config: parsePersistentConfig(readFileSync(node.spec.persistent.netplan, 'utf8')),
        sysctlFiles: [{ name: 'k8s.conf', text: readFileSync(node.spec.persistent.sysctl, 'utf8') }],
        live,
        hardware: [
          { network: 'kind', ...KIND },
          { network: 'svcl-demo-natnet-ubuntu02', ...NAT },
        ],
        iptablesSave: '',
      });
      // The network part only: this namespace has no kubelet to stop.
      const r = inNs([...SCRIPT_PRELUDE, ...reboot.network, 'exit $status', ''].join('\n'));
      expect(r.status, r.stderr).toBe(0);
      expect(ip('route')).not.toContain('10.99.0.0/16');
      expect(ip('link', 'show')).not.toContain('cni0');
      expect(ip('rule')).not.toContain('lookup 100');
      expect(ip('route', 'show', 'table', '100')).toBe('');
      expect(ip('route', 'show', 'default').trim()).toBe(
        'default via 172.31.0.1 dev enp0s8 proto dhcp src 172.31.0.2 metric 100',
      );
      expect(inNs('sysctl -n net.ipv4.conf.all.rp_filter').stdout.trim()).toBe('2');
    });
  },
);
