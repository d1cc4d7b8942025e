/**
 * A fix made in the kernel only: on every node, flannel.1 is rebuilt by hand on the host-only NIC
 * (same VNI, MAC and address as flanneld gave it) and each peer's route, neighbour and fdb entry
 * are written again pointing at the peer's host-only address - the commands a learner would type
 * after reading `ip -d link show flannel.1` and `bridge fdb show` on each node.
 */
import { defineFix } from '../../../labs/scenarios/index.ts';

interface Vtep {
  node: string;
  hostOnly: string;
  mac: string;
  /** flannel.1's own address, e.g. 10.244.1.0 */
  address: string;
  podCIDR: string;
}

export default defineFix(async (ctx) => {
  const nodes = (await ctx.getJson<{ items: any[] }>(['nodes']))?.items ?? [];
  const vteps: Vtep[] = await Promise.all(
    ctx.nodes.map(async (n) => {
      const obj = nodes.find((x) => x.metadata.name === n.name);
      const mac = (await ctx.shOk(n.name, 'cat /sys/class/net/flannel.1/address')).trim();
      const address = (await ctx.shOk(n.name, "ip -4 -o addr show dev flannel.1 | awk '{print $4}'"))
        .trim()
        .split('/')[0];
      return {
        node: n.name,
        hostOnly: ctx.address(n.name, 'enp0s3'),
        mac,
        address,
        podCIDR: obj.spec.podCIDR,
      };
    }),
  );
  await Promise.all(
    vteps.map((me) => {
      const peers = vteps.filter((p) => p.node !== me.node);
      const script = [
        'set -e',
        'ip link del flannel.1',
        `ip link add flannel.1 type vxlan id 1 local ${me.hostOnly} dev enp0s3 dstport 8472 nolearning`,
        `ip link set flannel.1 address ${me.mac} mtu 1450`,
        `ip addr add ${me.address}/32 dev flannel.1`,
        'ip link set flannel.1 up',
        ...peers.flatMap((p) => [
          `ip route replace ${p.podCIDR} via ${p.address} dev flannel.1 onlink`,
          `ip neigh replace ${p.address} lladdr ${p.mac} dev flannel.1 nud permanent`,
          `bridge fdb replace ${p.mac} dev flannel.1 dst ${p.hostOnly} self permanent`,
        ]),
        'ip -d link show flannel.1 | grep -o "local [0-9.]* dev [a-z0-9]*"',
        'bridge fdb show dev flannel.1',
      ].join('\n');
      return ctx.shOk(me.node, script);
    }),
  );
});
