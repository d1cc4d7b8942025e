/**
 * The seed's other option: make the host-only NIC carry the default route, so that flanneld's
 * default choice is the right one. On every node: a default route via the VirtualBox host with a
 * lower metric than DHCP's, in netplan (for the next boot) and in the kernel (for now); then
 * flannel restarted so it chooses again.
 */
import { defineFix } from '../../../labs/scenarios/index.ts';

const ON_EVERY_NODE = `
set -e
# The VirtualBox host is the host-only network's first address (192.168.56.1).
net=$(ip -4 -o route show dev enp0s3 proto kernel | awk '{ print $1; exit }')
host=$(echo "\${net%/*}" | awk -F. '{ printf "%d.%d.%d.%d", $1, $2, $3, $4 + 1 }')
f=/etc/netplan/50-cloud-init.yaml
new=$(awk -v host="$host" '{ print }
  /^      set-name: enp0s3$/ { inside = 1 }
  inside && /^        - [0-9.]+\\/[0-9]+$/ {
    print "      routes:"
    print "        - to: default"
    print "          via: " host
    print "          metric: 50"
    inside = 0
  }' "$f")
printf '%s\\n' "$new" > "$f"
ip route add default via "$host" dev enp0s3 metric 50
ip route show default
`;

export default defineFix(async (ctx) => {
  await Promise.all(ctx.nodes.map((n) => ctx.shOk(n.name, ON_EVERY_NODE)));
  await ctx.shOk(
    ctx.controlPlane(),
    'kubectl -n kube-flannel delete pod -l app=flannel && kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=60s',
  );
});
