/**
 * Seed 003 as a graded scenario: the cluster network's gateway route deleted, the default route on
 * the business NIC. Host processes and hostNetwork pods time out on 172.24.0.1 while the apiservers
 * answer directly and pods are fine; conntrack shows the business source [UNREPLIED]. The seed's
 * `ip r add 172.24.0.0/13 dev enslf0`, made persistent, passes every check; moving the default
 * route back and a route that a reboot loses are caught.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injected } from './expectations.ts';
import {
  describeFixes,
  describeHealthy,
  explainSkip,
  failing,
  grade,
  kubectlJson,
  netnsAvailable,
  type ScenarioLab,
  scenarioLab,
  sh,
  summary,
} from './harness.ts';

const INJECTED = injected('service-route-src');

explainSkip();

describe.skipIf(!netnsAvailable)('scenario service-route-src (netns driver)', () => {
  let t: ScenarioLab;

  beforeAll(async () => {
    t = await scenarioLab('service-route-src');
  }, 120_000);

  afterAll(async () => {
    summary(t);
    await t?.dispose();
  });

  it('the worker times out on 172.24.0.1 from a business source, but reaches the apiservers directly', async () => {
    const route = await sh(t.lab, 'gaia-node1', 'ip route get 172.24.0.1');
    expect(route.stdout).toMatch(/dev enslf1 src 10\.141\.13\.190/);
    const svc = await sh(t.lab, 'gaia-node1', 'curl -sk --connect-timeout 1 -m 2 https://172.24.0.1/healthz');
    expect(svc.code).toBe(28);
    const ct = await sh(t.lab, 'gaia-node1', 'conntrack -L -d 172.24.0.1 2>/dev/null');
    expect(ct.stdout).toMatch(/src=10\.141\.13\.190 dst=172\.24\.0\.1 .*\[UNREPLIED\]/);
    for (const ip of ['10.0.0.8', '10.0.0.12']) {
      const direct = await sh(t.lab, 'gaia-node1', `curl -sk -m 5 https://${ip}:6443/healthz`);
      expect(direct.stdout).toBe('ok');
    }
    const rules = await sh(
      t.lab,
      'gaia-node1',
      'iptables-save -t nat | grep "default/kubernetes:https cluster IP"',
    );
    expect(rules.stdout).toContain('-d 172.24.0.1/32');
  });

  it('the cloud-disk plugin logs its i/o timeouts', async () => {
    const pods = (await kubectlJson(t.lab, ['get', 'pods', '-n', 'kube-system', '-l', 'app=cloud-disk-node']))
      .items;
    const worker = pods.find((p: any) => p.spec.nodeName === 'gaia-node1');
    let logs = '';
    for (let i = 0; i < 40 && !logs.includes('i/o timeout'); i++) {
      logs = (await t.lab.kubectl(['logs', '-n', 'kube-system', worker.metadata.name])).stdout;
      if (!logs.includes('i/o timeout')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(logs).toMatch(/dial tcp 172\.24\.0\.1:443: i\/o timeout/);
  });

  it('check fails on the checks that name the fault', async () => {
    const r = await grade(t, 'injected');
    expect(failing(r)).toEqual(INJECTED);
    expect(r.checks.find((c) => c.id === 'survives-reboot')?.skipped).toBe(true);
    const c = r.checks.find((x) => x.id === 'nodes-reach-kubernetes-svc')!;
    expect(c.why).toContain('gaia-node1: 6/6 timed out');
    expect(c.evidence.map((e) => e.ran)).toContain('ip route get 172.24.0.1');
  });

  describeFixes(
    'service-route-src',
    undefined,
    () => t,
    () => INJECTED,
  );
});

describe.skipIf(!netnsAvailable)('service-route-src without its fault (netns driver)', () => {
  describeHealthy('service-route-src');
});
