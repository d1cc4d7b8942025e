/**
 * The seed's other option: make the host-only NIC carry the default route, so that flanneld's
 * default choice is the right one. On every node: a default route via the VirtualBox host with a
 * lower metric than DHCP's, in netplan (for the next boot) and in the kernel (for now); then
 * flannel restarted so it chooses again.
 */
import { defineFix } from '../../../labs/scenarios/index.ts';

const ON_EVERY_NODE = `
set -e
f=/etc/netplan/50-cloud-init.yaml
new=$(awk '{ print }
  /^        - 192\\.168\\.56\\.[0-9]+\\/24$/ {
    print "      routes:"
    print "        - to: default"
    print "          via: 192.168.56.1"
    print "          metric: 50"
  }' "$f")
printf '%s\\n' "$new" > "$f"
ip route add default via 192.168.56.1 dev enp0s3 metric 50
ip route show default
`;

export default defineFix(async (ctx) => {
  await Promise.all(ctx.nodes.map((n) => ctx.shOk(n.name, ON_EVERY_NODE)));
  await ctx.shOk(
    ctx.controlPlane(),
    'kubectl -n kube-flannel delete pod -l app=flannel && kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=60s',
  );
});
