/**
 * Outcomes first: node-to-pod and pod-to-pod across nodes, the Service from every node; then where
 * flannel sends its vxlan packets (the mechanism the log line names). Persistence is declared in
 * scenario.yaml (flannel restarted, every node rebooted).
 */

import type { CheckContext, PodInfo } from '../../labs/scenarios/index.ts';
import { defineChecks, t } from '../../labs/scenarios/index.ts';

const IT_WORKS = 'It works!';

async function httpdPods(ctx: CheckContext): Promise<PodInfo[]> {
  return (await ctx.probe.pods('default', 'run=httpd')).filter(
    (p) => p.ip && p.phase === 'Running' && !p.terminating,
  );
}

interface Pair {
  from: string;
  pod: PodInfo;
  ok: boolean;
  error?: string;
}

function verdict(ctx: CheckContext, pairs: Pair[], what: { en: string; zh: string }) {
  const failed = pairs.filter((p) => !p.ok);
  if (failed.length === 0) return ctx.pass();
  const crossOnly = failed.every((f) => f.from !== f.pod.node);
  const sameWorks = pairs.some((p) => p.ok && p.from === p.pod.node);
  const shown = failed
    .slice(0, 3)
    .map((f) => `${f.from} -> ${f.pod.ip} (on ${f.pod.node}): ${f.error ?? 'wrong answer'}`)
    .join('; ');
  const list = failed.length > 3 ? `${shown}; and ${failed.length - 3} more` : shown;
  const pattern =
    crossOnly && sameWorks
      ? {
          en: ' Every failure crosses nodes, while pods on the requester’s own node answer.',
          zh: '所有失败都是跨节点的，而同一节点上的 Pod 都能应答。',
        }
      : { en: '', zh: '' };
  return ctx.fail(
    t(
      `${failed.length} of ${pairs.length} requests ${what.en} failed: ${list}.${pattern.en}`,
      `${what.zh}的 ${pairs.length} 次请求中有 ${failed.length} 次失败：${list}。${pattern.zh}`,
    ),
  );
}

export default defineChecks({
  'nodes-reach-pods': async (ctx) => {
    const pods = await httpdPods(ctx);
    if (pods.length === 0)
      return ctx.fail(
        t(
          'No httpd pod is running (kubectl get pods -l run=httpd).',
          '没有运行中的 httpd Pod（kubectl get pods -l run=httpd）。',
        ),
      );
    const pairs = await Promise.all(
      ctx.nodes.flatMap((n) =>
        pods.map(async (pod): Promise<Pair> => {
          const r = await ctx.probe.http(n.name, `http://${pod.ip}/`);
          return { from: n.name, pod, ok: r.ok && r.body.includes(IT_WORKS), error: r.error };
        }),
      ),
    );
    return verdict(ctx, pairs, { en: 'from the nodes to the httpd pods', zh: '从节点到 httpd Pod ' });
  },

  'pods-reach-pods': async (ctx) => {
    const [pods, probes] = await Promise.all([httpdPods(ctx), ctx.probe.probePods()]);
    if (pods.length === 0) return ctx.fail(t('No httpd pod is running.', '没有运行中的 httpd Pod。'));
    const missing = ctx.nodes.filter((n) => !probes.has(n.name)).map((n) => n.name);
    if (missing.length)
      return ctx.fail(
        t(
          `The grader's probe pod is not running on ${missing.join(', ')} (namespace lab-probes).`,
          `评分用的探测 Pod 没有在 ${missing.join('、')} 上运行（命名空间 lab-probes）。`,
        ),
      );
    const pairs = await Promise.all(
      [...probes].flatMap(([node, probe]) =>
        pods.map(async (pod): Promise<Pair> => {
          const r = await ctx.probe.http(
            { pod: { namespace: probe.namespace, name: probe.name } },
            `http://${pod.ip}/`,
          );
          return { from: node, pod, ok: r.ok && r.body.includes(IT_WORKS), error: r.error };
        }),
      ),
    );
    return verdict(ctx, pairs, {
      en: 'from a pod on each node to the httpd pods',
      zh: '从各节点上的 Pod 到 httpd Pod ',
    });
  },

  'service-from-nodes': async (ctx) => {
    const svc = await ctx.probe.service('default', 'httpd-svc');
    if (!svc) return ctx.fail(t('Service httpd-svc does not exist.', 'Service httpd-svc 不存在。'));
    const url = `http://${svc.clusterIP}:8080/`;
    const runs = await ctx.probe.onEveryNode((node) => ctx.probe.httpMany(node, url, 12));
    const bad = runs.filter((r) => !r.value.ok);
    if (bad.length === 0) return ctx.pass();
    const list = bad
      .map((r) => `${r.node}: ${r.value.failures.length}/${r.value.total} failed (${r.value.failures[0]})`)
      .join('; ');
    return ctx.fail(
      t(
        `Requests to httpd-svc (${url}) fail: ${list}. kube-proxy spreads them over all three pods, so a request fails whenever the pick is a pod the node cannot reach.`,
        `访问 httpd-svc（${url}）失败：${list}。kube-proxy 把请求分摊到三个 Pod 上，只要选中一个本节点访问不到的 Pod，请求就会失败。`,
      ),
    );
  },

  'vtep-on-host-only': async (ctx) => {
    const flannel = await ctx.probe.pods('kube-flannel', 'app=flannel');
    const results = await ctx.probe.onEveryNode(async (node) => {
      const want = ctx.address(node, 'enp0s3');
      const r = await ctx.sh(
        node,
        'ip -d link show flannel.1 | grep -o "local [0-9.]* dev [a-z0-9]*"; bridge fdb show dev flannel.1 | grep -o "dst [0-9.]*"',
      );
      const local = /local (\S+) dev (\S+)/.exec(r.stdout);
      const peers = [...r.stdout.matchAll(/dst (\S+)/g)].map((m) => m[1]);
      const hostOnly = ctx.nodes.filter((n) => n.name !== node).map((n) => ctx.address(n.name, 'enp0s3'));
      const strayPeers = peers.filter((p) => !hostOnly.includes(p));
      const pod = flannel.find((p) => p.node === node && !p.terminating);
      const chose = pod
        ? await ctx.probe.logs('kube-flannel', pod.name, /Using interface with name/, 'kube-flannel')
        : [];
      const ok =
        local?.[1] === want && local?.[2] === 'enp0s3' && peers.length > 0 && strayPeers.length === 0;
      return {
        ok,
        want,
        local: local ? `${local[1]} dev ${local[2]}` : 'missing',
        peers,
        chose: chose.at(-1),
      };
    });
    const bad = results.filter((r) => !r.value.ok);
    if (bad.length === 0) return ctx.pass();
    const list = bad
      .map(
        (r) =>
          `${r.node}: flannel.1 local ${r.value.local}, peers at ${r.value.peers.join(', ') || 'none'} (expected local ${r.value.want} dev enp0s3, peers at their enp0s3 addresses)`,
      )
      .join('; ');
    const logged = bad.find((r) => r.value.chose)?.value.chose;
    const line = logged ? logged.replace(/^.*\] /, '') : undefined;
    return ctx.fail(
      t(
        `${list}.${line ? ` flanneld logs: "${line}".` : ''} An enp0s8 address is a node's own NAT address (10.0.2.15 on every VirtualBox VM), which no other node can reach, so vxlan packets sent there never arrive.`,
        `${list}。${line ? `flanneld 日志：“${line}”。` : ''}enp0s8 上的地址是节点自己的 NAT 地址（每台 VirtualBox 虚拟机都是 10.0.2.15），其他节点到不了，发往那里的 vxlan 包永远到不了对端。`,
      ),
    );
  },
});
