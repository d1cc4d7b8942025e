/**
 * The outcome that matters (each hostnames pod reaching its own Service, including the requests
 * kube-proxy sends back to the pod itself), the guard that other pods still reach it, and the
 * mechanism as seed 002 shows it: hairpin_mode of each hostnames pod's cni0 port. Persistence
 * (new pods, flannel restarted) is declared in scenario.yaml.
 */

import type { CheckContext, PodInfo } from '../../labs/scenarios/index.ts';
import { defineChecks, t } from '../../labs/scenarios/index.ts';

async function hostnamesPods(ctx: CheckContext): Promise<PodInfo[]> {
  return (await ctx.probe.pods('default', 'app=hostnames')).filter(
    (p) => p.ip && p.phase === 'Running' && !p.terminating,
  );
}

async function serviceURL(ctx: CheckContext): Promise<string | undefined> {
  const svc = await ctx.probe.service('default', 'hostnames');
  return svc ? `http://${svc.clusterIP}/` : undefined;
}

const NO_SERVICE = t('Service hostnames does not exist.', 'Service hostnames 不存在。');
const NO_PODS = t(
  'No hostnames pod is running (kubectl get pods -l app=hostnames).',
  '没有运行中的 hostnames Pod（kubectl get pods -l app=hostnames）。',
);

export default defineChecks({
  'pods-reach-own-service': async (ctx) => {
    const [pods, url] = await Promise.all([hostnamesPods(ctx), serviceURL(ctx)]);
    if (!url) return ctx.fail(NO_SERVICE);
    if (pods.length === 0) return ctx.fail(NO_PODS);
    const runs = await Promise.all(
      pods.map(async (pod) => {
        const from = { pod: { namespace: pod.namespace, name: pod.name } };
        // With three endpoints about one request in three comes back to the pod itself; keep asking
        // until that has happened, so a pass means the hairpin path was really taken.
        let r = await ctx.probe.httpMany(from, url, 15, { tool: 'wget' });
        if (r.ok && !r.byBody.has(pod.name)) r = await ctx.probe.httpMany(from, url, 15, { tool: 'wget' });
        return { pod, r };
      }),
    );
    const bad = runs.filter((x) => !x.r.ok);
    if (bad.length === 0) return ctx.pass();
    const list = bad
      .map(
        (b) =>
          `${b.pod.name} (${b.pod.ip}): ${b.r.failures.length}/${b.r.total} timed out, its own name came back ${b.r.byBody.get(b.pod.name) ?? 0} times`,
      )
      .join('; ');
    return ctx.fail(
      t(
        `A pod calling its own Service times out whenever kube-proxy picks the pod itself: ${list}. Answers from the other pods come back fine.`,
        `Pod 访问自己的 Service 时，只要 kube-proxy 选中的正是它自己，请求就会超时：${list}。其他 Pod 的应答都正常。`,
      ),
    );
  },

  'other-pods-reach-service': async (ctx) => {
    const [probes, url] = await Promise.all([ctx.probe.probePods(), serviceURL(ctx)]);
    if (!url) return ctx.fail(NO_SERVICE);
    const runs = await Promise.all(
      [...probes].map(async ([node, p]) => ({
        node,
        r: await ctx.probe.httpMany({ pod: { namespace: p.namespace, name: p.name } }, url, 9),
      })),
    );
    const missing = ctx.nodes.filter((n) => !probes.has(n.name)).map((n) => n.name);
    const bad = runs.filter((x) => !x.r.ok);
    if (bad.length === 0 && missing.length === 0) return ctx.pass();
    const list = [
      ...bad.map((b) => `${b.node}: ${b.r.failures.length}/${b.r.total} failed (${b.r.failures[0]})`),
      ...missing.map((n) => `${n}: no probe pod running (namespace lab-probes)`),
    ].join('; ');
    return ctx.fail(
      t(
        `Other pods no longer reach the hostnames Service: ${list}. They did before the fix - what else changed?`,
        `其他 Pod 也访问不了 hostnames Service 了：${list}。修复之前它们是能访问的——还改了什么？`,
      ),
    );
  },

  'hairpin-on-for-hostnames': async (ctx) => {
    const pods = (await hostnamesPods(ctx)).filter((p) => p.node);
    if (pods.length === 0) return ctx.fail(NO_PODS);
    const results = await Promise.all(
      pods.map(async (pod) => {
        // The pod's eth0 knows the index of its peer, the veth on the node's cni0.
        const peer = await ctx.exec({ pod: { namespace: pod.namespace, name: pod.name } }, [
          'cat',
          '/sys/class/net/eth0/iflink',
        ]);
        const index = peer.stdout.trim();
        const r = await ctx.sh(
          pod.node!,
          `for d in /sys/devices/virtual/net/cni0/brif/veth*/hairpin_mode; do v=\${d%/hairpin_mode}; v=\${v##*/}; [ "$(cat /sys/class/net/$v/ifindex)" = "${index}" ] && echo "$d = $(cat $d)"; done`,
        );
        const line = r.stdout.trim();
        return { pod, line, on: /= 1$/.test(line) };
      }),
    );
    const bad = results.filter((x) => !x.on);
    if (bad.length === 0) return ctx.pass();
    const list = bad
      .map((b) => `${b.pod.name} on ${b.pod.node}: ${b.line || 'no port found on cni0'}`)
      .join('; ');
    return ctx.fail(
      t(
        `Hairpin is off on the cni0 ports of these pods: ${list}. Without it the bridge will not send a frame back out of the port it came in on - which is exactly what a request from a pod to itself through the Service needs.`,
        `这些 Pod 在 cni0 上的端口没有开启 hairpin：${list}。没有 hairpin，网桥不会把帧从进来的那个端口再发回去——而 Pod 经 Service 访问自己恰恰需要这样。`,
      ),
    );
  },
});
