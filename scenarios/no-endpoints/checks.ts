/**
 * The Service seen from nodes and pods (refused at once while it has no endpoints), every backend
 * answering, the two things a learner would look at (`kubectl get ep`, the REJECT rule), that the
 * endpoints are the Deployment's own pods, and the constraints: the ClusterIP clients use stays,
 * and so does the readinessProbe.
 */

import type { CheckContext, PodInfo } from '../../labs/scenarios/index.ts';
import { defineChecks, t } from '../../labs/scenarios/index.ts';

async function clusterIP(ctx: CheckContext): Promise<string | undefined> {
  return (await ctx.probe.service('default', 'hostnames'))?.clusterIP;
}

const NO_SERVICE = t(
  'Service hostnames does not exist (kubectl get svc hostnames).',
  'Service hostnames 不存在（kubectl get svc hostnames）。',
);

function refusedNote(failures: string[]): { en: string; zh: string } {
  return failures.some((f) => /refused|^curl: \(7\)/i.test(f))
    ? {
        en: ' A connection refused at once (curl: "Couldn\'t connect to server" after a few ms) is kube-proxy rejecting connections to a Service that has no ready endpoint.',
        zh: "连接被立刻拒绝（curl 在几毫秒内报“Couldn't connect to server”），是 kube-proxy 在拒绝访问一个没有就绪 endpoint 的 Service。",
      }
    : { en: '', zh: '' };
}

/** Ready pods of Deployment hostnames (by its own selector and ownership). */
async function deploymentPods(ctx: CheckContext): Promise<PodInfo[] | undefined> {
  const d = await ctx.getJson<any>(['deployment', 'hostnames']);
  if (!d) return undefined;
  const selector = Object.entries(d.spec.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = await ctx.probe.pods('default', selector);
  return pods.filter(
    (p) =>
      p.owner?.kind === 'ReplicaSet' && p.owner.name.startsWith('hostnames-') && p.ready && !p.terminating,
  );
}

export default defineChecks({
  'service-answers-from-nodes': async (ctx) => {
    const ip = await clusterIP(ctx);
    if (!ip) return ctx.fail(NO_SERVICE);
    const runs = await ctx.probe.onEveryNode((node) => ctx.probe.httpMany(node, `http://${ip}/`, 9));
    const bad = runs.filter((r) => !r.value.ok);
    if (bad.length === 0) return ctx.pass();
    const failures = bad.flatMap((b) => b.value.failures);
    const note = refusedNote(failures);
    const list = bad
      .map((b) => `${b.node}: ${b.value.failures.length}/${b.value.total} failed (${b.value.failures[0]})`)
      .join('; ');
    return ctx.fail(
      t(`http://${ip}/ does not answer: ${list}.${note.en}`, `http://${ip}/ 没有应答：${list}。${note.zh}`),
    );
  },

  'service-answers-from-pods': async (ctx) => {
    const probes = await ctx.probe.probePods();
    const missing = ctx.nodes.filter((n) => !probes.has(n.name)).map((n) => n.name);
    if (missing.length)
      return ctx.fail(
        t(
          `The grader's probe pod is not running on ${missing.join(', ')} (namespace lab-probes).`,
          `评分用的探测 Pod 没有在 ${missing.join('、')} 上运行（命名空间 lab-probes）。`,
        ),
      );
    const url = 'http://hostnames.default.svc.cluster.local/';
    const runs = await Promise.all(
      [...probes].map(async ([node, p]) => ({
        node,
        r: await ctx.probe.httpMany({ pod: { namespace: p.namespace, name: p.name } }, url, 6),
      })),
    );
    const bad = runs.filter((x) => !x.r.ok);
    if (bad.length === 0) return ctx.pass();
    const note = refusedNote(bad.flatMap((b) => b.r.failures));
    const list = bad
      .map((b) => `${b.node}: ${b.r.failures.length}/${b.r.total} failed (${b.r.failures[0]})`)
      .join('; ');
    // Rule DNS in or out, as a learner would next.
    const [first] = [...probes.values()];
    const [resolved, ip] = await Promise.all([
      ctx.probe.dns(
        { pod: { namespace: first.namespace, name: first.name } },
        'hostnames.default.svc.cluster.local',
      ),
      clusterIP(ctx),
    ]);
    const dns =
      ip && resolved.includes(ip)
        ? {
            en: ` The name resolves to the ClusterIP ${ip}: DNS is fine.`,
            zh: `名字解析到了 ClusterIP ${ip}：DNS 没有问题。`,
          }
        : {
            en: ` The name resolves to ${resolved.join(', ') || 'nothing'}.`,
            zh: `名字解析结果为 ${resolved.join('、') || '空'}。`,
          };
    return ctx.fail(
      t(
        `Pods calling ${url} get no answer: ${list}.${dns.en}${note.en}`,
        `Pod 访问 ${url} 没有应答：${list}。${dns.zh}${note.zh}`,
      ),
    );
  },

  'every-backend-answers': async (ctx) => {
    const ip = await clusterIP(ctx);
    if (!ip) return ctx.fail(NO_SERVICE);
    const expected =
      ctx.variant === 'manual'
        ? ((ctx.facts.servers as string[] | undefined) ?? [])
        : ((await deploymentPods(ctx)) ?? []).map((p) => p.name);
    if (expected.length === 0)
      return ctx.fail(
        t(
          'No hostnames server is ready, so there is nothing the Service could reach.',
          '没有就绪的 hostnames 服务端，Service 无处可达。',
        ),
      );
    const r = await ctx.probe.httpMany(ctx.controlPlane(), `http://${ip}/`, 8 * expected.length);
    const missing = expected.filter((name) => !r.byBody.has(name));
    if (r.answers.length > 0 && missing.length === 0) return ctx.pass();
    return ctx.fail(
      t(
        `Not every hostnames server answers through the Service: never heard from ${missing.join(', ')} in ${r.total} requests${r.answers.length ? ` (answers came from ${[...r.byBody.keys()].join(', ')})` : ' (no answer at all)'}.`,
        `并非每个 hostnames 服务端都能通过 Service 应答：${r.total} 次请求中从未收到 ${missing.join('、')} 的应答${r.answers.length ? `（应答来自 ${[...r.byBody.keys()].join('、')}）` : '（完全没有应答）'}。`,
      ),
    );
  },

  'endpoints-listed': async (ctx) => {
    // What a learner would type first; its table is the evidence.
    await ctx.kubectl(['get', 'endpoints', 'hostnames']);
    const ep = await ctx.probe.endpoints('default', 'hostnames');
    if (ep && ep.ready.length > 0) return ctx.pass();
    const notReady = ep?.notReady.length ?? 0;
    const why = !ep
      ? t('There is no Endpoints object named hostnames.', '没有名为 hostnames 的 Endpoints 对象。')
      : t(
          `kubectl get endpoints hostnames shows <none>${notReady ? ` (${notReady} address(es) are listed as not ready)` : ''}. A Service sends traffic only to the ready addresses of its Endpoints.`,
          `kubectl get endpoints hostnames 显示 <none>${notReady ? `（有 ${notReady} 个地址处于未就绪状态）` : ''}。Service 只把流量发往其 Endpoints 中已就绪的地址。`,
        );
    return ctx.fail(why);
  },

  'no-reject-rule': async (ctx) => {
    const runs = await ctx.probe.onEveryNode((node) =>
      ctx.probe.iptablesGrep(node, /"default\/hostnames(:[^"]*)? has no endpoints"/),
    );
    const bad = runs.filter((r) => r.value.length > 0);
    if (bad.length === 0) return ctx.pass();
    return ctx.fail(
      t(
        `kube-proxy still rejects the Service on ${bad.map((b) => b.node).join(', ')}: ${bad[0].value[0]}`,
        `kube-proxy 仍在 ${bad.map((b) => b.node).join('、')} 上拒绝这个 Service：${bad[0].value[0]}`,
      ),
    );
  },

  'endpoints-follow-deployment': async (ctx) => {
    const [pods, ep] = await Promise.all([deploymentPods(ctx), ctx.probe.endpoints('default', 'hostnames')]);
    await ctx.kubectl(['get', 'pods', '-l', 'app', '-L', 'app', '-o', 'wide']);
    if (!pods) return ctx.fail(t('Deployment hostnames does not exist.', 'Deployment hostnames 不存在。'));
    const listed = new Set((ep?.ready ?? []).map((a) => a.targetRef?.name ?? a.ip));
    const own = new Set(pods.map((p) => p.name));
    const strangers = [...listed].filter((n) => !own.has(n));
    const left = [...own].filter((n) => !listed.has(n));
    if (listed.size > 0 && strangers.length === 0 && left.length === 0) return ctx.pass();
    return ctx.fail(
      t(
        `The Service's endpoints are not the Deployment's ready pods: ${[
          listed.size === 0 ? 'it has no endpoints at all' : '',
          strangers.length ? `listed but not pods of Deployment hostnames: ${strangers.join(', ')}` : '',
          left.length ? `ready pods of the Deployment not listed: ${left.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; ')}. The next rollout replaces whatever does not come from the Deployment's template.`,
        `Service 的 endpoints 不是 Deployment 的就绪 Pod：${[
          listed.size === 0 ? '完全没有 endpoint' : '',
          strangers.length ? `列出了不属于 Deployment hostnames 的 Pod：${strangers.join('、')}` : '',
          left.length ? `未列出 Deployment 的就绪 Pod：${left.join('、')}` : '',
        ]
          .filter(Boolean)
          .join('；')}。下一次滚动更新会替换掉一切不是来自 Deployment 模板的东西。`,
      ),
    );
  },

  'same-cluster-ip': async (ctx) => {
    const want = ctx.facts.clusterIP as string | undefined;
    await ctx.kubectl(['get', 'service', 'hostnames']);
    const ip = await clusterIP(ctx);
    if (ip && ip === want) return ctx.pass();
    return ctx.fail(
      ip
        ? t(
            `Service hostnames now has ClusterIP ${ip}; it was ${want}. It was deleted and created again, and every client configured with ${want} is now refused.`,
            `Service hostnames 现在的 ClusterIP 是 ${ip}，原来是 ${want}。它被删除后重建了，所有配置了 ${want} 的客户端现在都会被拒绝。`,
          )
        : NO_SERVICE,
    );
  },

  'readiness-probe-kept': async (ctx) => {
    const d = await ctx.getJson<any>(['deployment', 'hostnames']);
    const c = d?.spec.template.spec.containers.find((x: any) => x.name === 'hostnames');
    ctx.record({
      ran: "kubectl get deployment hostnames -o jsonpath='{.spec.template.spec.containers[0].readinessProbe}'",
      target: 'kubectl',
      exitCode: 0,
      output: c?.readinessProbe ? JSON.stringify(c.readinessProbe) : '(none)',
      ms: 0,
    });
    if (c?.readinessProbe) return ctx.pass();
    return ctx.fail(
      t(
        'The hostnames container has no readinessProbe any more. Without one, a pod gets traffic before it can answer, and keeps getting it when it stops answering.',
        'hostnames 容器已经没有 readinessProbe 了。没有它，Pod 在能应答之前就会收到流量，停止应答后也照样收到。',
      ),
    );
  },
});
