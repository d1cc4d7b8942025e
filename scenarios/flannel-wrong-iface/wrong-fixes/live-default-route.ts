/** The default route moved to the host-only NIC with `ip route` only, then flannel restarted. */
import { defineFix } from '../../../labs/scenarios/index.ts';

export default defineFix(async (ctx) => {
  await Promise.all(
    ctx.nodes.map((n) => ctx.shOk(n.name, 'ip route add default via 192.168.56.1 dev enp0s3 metric 50')),
  );
  await ctx.shOk(
    ctx.controlPlane(),
    'kubectl -n kube-flannel delete pod -l app=flannel && kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=60s',
  );
});
