/**
 * Seed 002's advice: set the kubelet's hairpin mode (hairpin-veth) and restart it. With a CNI
 * runtime the kubelet no longer touches the pods' bridge ports, so nothing changes.
 */
import { defineFix } from '../../../labs/scenarios/index.ts';

export default defineFix(async (ctx) => {
  await Promise.all(
    ctx.nodes.map((n) =>
      ctx.shOk(
        n.name,
        "grep -q '^hairpinMode:' /var/lib/kubelet/config.yaml && sed -i 's/^hairpinMode:.*/hairpinMode: hairpin-veth/' /var/lib/kubelet/config.yaml || echo 'hairpinMode: hairpin-veth' >> /var/lib/kubelet/config.yaml; grep hairpinMode /var/lib/kubelet/config.yaml",
      ),
    ),
  );
  await ctx.lab.restart('kubelet');
});
