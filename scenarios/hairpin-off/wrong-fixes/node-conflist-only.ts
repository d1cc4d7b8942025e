/**
 * hairpinMode switched on in each node's /etc/cni/net.d/10-flannel.conflist by hand, then the
 * hostnames pods recreated. New pods do get hairpin - until flannel restarts and its install-cni
 * step copies the ConfigMap's hairpinMode false over the edited files.
 */
import { defineFix } from '../../../labs/scenarios/index.ts';

export default defineFix(async (ctx) => {
  await Promise.all(
    ctx.nodes.map((n) =>
      ctx.shOk(
        n.name,
        'sed -i \'s/"hairpinMode": false/"hairpinMode": true/\' /etc/cni/net.d/10-flannel.conflist && grep hairpinMode /etc/cni/net.d/10-flannel.conflist',
      ),
    ),
  );
  await ctx.shOk(ctx.controlPlane(), 'kubectl delete pod -l app=hostnames --wait=false');
});
