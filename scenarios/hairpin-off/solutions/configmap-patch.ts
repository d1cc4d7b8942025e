/**
 * The same fix with kubectl patch and pod deletions: the ConfigMap's cni-conf.json rewritten with
 * hairpinMode true, the flannel pods deleted (the DaemonSet brings them back, and their init
 * container copies the new configuration to each node), then the hostnames pods deleted.
 */
import { defineFix } from '../../../labs/scenarios/index.ts';

export default defineFix(async (ctx) => {
  const cm = await ctx.getJson<any>(['configmap', 'kube-flannel-cfg', '-n', 'kube-flannel']);
  const conf = JSON.parse(cm.data['cni-conf.json']);
  for (const p of conf.plugins) if (p.type === 'flannel') p.delegate = { ...p.delegate, hairpinMode: true };
  const patch = { data: { 'cni-conf.json': `${JSON.stringify(conf, null, 2)}\n` } };
  await ctx.shOk(
    ctx.controlPlane(),
    `kubectl -n kube-flannel patch configmap kube-flannel-cfg --type merge -p '${JSON.stringify(patch)}'`,
  );
  await ctx.shOk(
    ctx.controlPlane(),
    'kubectl -n kube-flannel delete pod -l app=flannel && kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=60s',
  );
  await ctx.shOk(ctx.controlPlane(), 'kubectl delete pod -l app=hostnames --wait=false');
});
