/**
 * Outcomes from the places the seed names: every node and the hostNetwork cloud-disk plugin
 * through the kubernetes Service; the apiservers directly; pods (which were never broken) as a
 * guard. The constraint: the default route stays on the business NIC.
 */

import type { CheckContext } from '../../labs/scenarios/index.ts';
import { defineChecks, t } from '../../labs/scenarios/index.ts';

const KUBERNETES = 'https://172.24.0.1/healthz';
const CLUSTER_NIC = 'enslf0';

/** Each node's business gateway, as setup found it (10.141.13.1 in the incident). */
function businessGateways(ctx: CheckContext): Record<string, string> {
  return (ctx.facts.businessGateways as Record<string, string> | undefined) ?? {};
}
// A TLS handshake may take a while on a busy machine; a connection that never comes back is what counts.
const TLS = { insecure: true, timeoutMs: 1000, totalMs: 4000 } as const;

/** What a learner would look at on a node where the Service times out. */
async function explain(ctx: CheckContext, node: string): Promise<void> {
  await ctx.probe.routeGet(node, '172.24.0.1');
  await ctx.sh(node, 'conntrack -L -d 172.24.0.1 2>/dev/null | head -3');
}

export default defineChecks({
  'nodes-reach-kubernetes-svc': async (ctx) => {
    const runs = await ctx.probe.onEveryNode((node) => ctx.probe.httpMany(node, KUBERNETES, 6, TLS));
    const bad = runs.filter((r) => !r.value.ok);
    if (bad.length === 0) return ctx.pass();
    await Promise.all(bad.map((b) => explain(ctx, b.node)));
    const list = bad
      .map((b) => `${b.node}: ${b.value.failures.length}/${b.value.total} timed out`)
      .join('; ');
    return ctx.fail(
      t(
        `Connections from the node itself to 172.24.0.1:443 fail (${list}). The DNAT to an apiserver happens, but the source the kernel chose for 172.24.0.1 is the business address (ip route get 172.24.0.1), and no answer comes back to it.`,
        `节点自身到 172.24.0.1:443 的连接失败（${list}）。DNAT 到 apiserver 是发生了的，但内核为 172.24.0.1 选的源地址是业务网地址（ip route get 172.24.0.1），应答回不到这个地址。`,
      ),
    );
  },

  'host-network-pods-reach-apiserver': async (ctx) => {
    const pods = (await ctx.probe.pods('kube-system', 'app=cloud-disk-node')).filter(
      (p) => p.phase === 'Running' && !p.terminating,
    );
    const missing = ctx.nodes.filter((n) => !pods.some((p) => p.node === n.name)).map((n) => n.name);
    if (missing.length)
      return ctx.fail(
        t(
          `The cloud-disk plugin is not running on ${missing.join(', ')} (kubectl -n kube-system get pods -l app=cloud-disk-node).`,
          `云盘插件没有在 ${missing.join('、')} 上运行（kubectl -n kube-system get pods -l app=cloud-disk-node）。`,
        ),
      );
    const runs = await Promise.all(
      pods.map(async (p) => ({
        pod: p,
        r: await ctx.probe.httpMany(
          { pod: { namespace: p.namespace, name: p.name } },
          'https://kubernetes.default.svc/healthz',
          4,
          TLS,
        ),
      })),
    );
    const bad = runs.filter((x) => !x.r.ok);
    if (bad.length === 0) return ctx.pass();
    await Promise.all(
      bad.map((b) => ctx.probe.logs(b.pod.namespace, b.pod.name, /i\/o timeout|listed persistent volumes/)),
    );
    const list = bad
      .map((b) => `${b.pod.node}: ${b.r.failures.length}/${b.r.total} failed (${b.r.failures[0]})`)
      .join('; ');
    return ctx.fail(
      t(
        `The cloud-disk plugin runs on the host network, so it is a host process as far as routing goes: ${list}.`,
        `云盘插件运行在主机网络上，就路由而言它就是宿主机进程：${list}。`,
      ),
    );
  },

  'apiservers-answer-directly': async (ctx) => {
    // The masters' cluster-network addresses (10.0.0.8 and 10.0.0.12 in the incident).
    const targets = ctx.nodes
      .filter((n) => n.role === 'control-plane')
      .map((n) => `https://${ctx.address(n.name, CLUSTER_NIC)}:6443/healthz`);
    // The first packet to a master may wait for ARP (about a second): allow for it.
    const runs = await Promise.all(
      ctx.nodes.flatMap((n) =>
        targets.map(async (url) => ({
          node: n.name,
          url,
          r: await ctx.probe.http(n.name, url, { insecure: true, timeoutMs: 3000, totalMs: 5000 }),
        })),
      ),
    );
    const bad = runs.filter((x) => !x.r.ok);
    if (bad.length === 0) return ctx.pass();
    const list = bad.map((b) => `${b.node} -> ${b.url}: ${b.r.error}`).join('; ');
    return ctx.fail(
      t(
        `An apiserver does not answer on the cluster network: ${list}. Something broke enslf0 itself.`,
        `在集群网络上直接访问 apiserver 没有应答：${list}。enslf0 本身出了问题。`,
      ),
    );
  },

  'pods-reach-kubernetes-svc': async (ctx) => {
    const probes = await ctx.probe.probePods();
    const missing = ctx.nodes.filter((n) => !probes.has(n.name)).map((n) => n.name);
    if (missing.length)
      return ctx.fail(
        t(
          `The grader's probe pod is not running on ${missing.join(', ')} (namespace lab-probes).`,
          `评分用的探测 Pod 没有在 ${missing.join('、')} 上运行（命名空间 lab-probes）。`,
        ),
      );
    const runs = await Promise.all(
      [...probes].map(async ([node, p]) => ({
        node,
        r: await ctx.probe.httpMany({ pod: { namespace: p.namespace, name: p.name } }, KUBERNETES, 4, TLS),
      })),
    );
    const bad = runs.filter((x) => !x.r.ok);
    if (bad.length === 0) return ctx.pass();
    const list = bad
      .map((b) => `${b.node}: ${b.r.failures.length}/${b.r.total} failed (${b.r.failures[0]})`)
      .join('; ');
    return ctx.fail(
      t(
        `Pods can no longer reach the kubernetes Service: ${list}. They could before the fix - what else changed?`,
        `Pod 也访问不了 kubernetes Service 了：${list}。修复之前它们是能访问的——还改了什么？`,
      ),
    );
  },

  'default-route-on-enslf1': async (ctx) => {
    if (!ctx.facts.businessDefaultRoute) {
      ctx.record({
        ran: 'the business network change',
        target: 'lab',
        exitCode: 0,
        output:
          'not made in this lab (built with --no-fault): the cluster gateway is still the default route',
        ms: 0,
      });
      return ctx.pass();
    }
    const runs = await ctx.probe.onEveryNode(async (node) => {
      const out = (await ctx.shOk(node, 'ip route show default')).trim();
      const lines = out.split('\n').filter((l) => l.startsWith('default'));
      const first = lines[0] ?? '';
      const [, via, dev] = /\bvia (\S+) dev (\S+)/.exec(first) ?? [];
      const ok =
        via === businessGateways(ctx)[node] &&
        dev === 'enslf1' &&
        !lines.some((l) => /\bdev enslf0\b/.test(l));
      return { ok, out: out || '(no default route)' };
    });
    const bad = runs.filter((r) => !r.value.ok);
    if (bad.length === 0) return ctx.pass();
    const list = bad.map((b) => `${b.node}: ${b.value.out.split('\n').join(' | ')}`).join('; ');
    return ctx.fail(
      t(
        `The default route must stay on enslf1 via the business gateway (the business team needs it there): ${list}.`,
        `默认路由必须保持在 enslf1 上、经业务网网关（业务方需要这样）：${list}。`,
      ),
    );
  },
});
