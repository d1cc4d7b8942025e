/**
 * Seed 000 as a graded scenario: flanneld on the default-route NIC (enp0s8, 10.0.2.15 on every
 * VM). The symptom is real - same-node pod traffic works, cross-node traffic does not, flannel
 * logs the NIC it chose - and `check` fails on the checks that name it; every reference solution
 * (the seed's `--iface=enp0s3` + `kubectl replace --force -f kube-flannel.yml` among them) passes
 * every check; every known wrong fix is caught.
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

const INJECTED = injected('flannel-wrong-iface');

explainSkip();

describe.skipIf(!netnsAvailable)('scenario flannel-wrong-iface (netns driver)', () => {
  let t: ScenarioLab;

  beforeAll(async () => {
    t = await scenarioLab('flannel-wrong-iface');
  }, 120_000);

  afterAll(async () => {
    summary(t);
    await t?.dispose();
  });

  it('pods answer on their own node and not across nodes; flannel logs enp0s8', async () => {
    const pods = (await kubectlJson(t.lab, ['get', 'pods', '-l', 'run=httpd'])).items;
    const on = (node: string) => pods.find((p: any) => p.spec.nodeName === node)?.status.podIP;
    const home = on('ubuntu02');
    const away = on('ubuntu03');
    expect(home && away).toBeTruthy();
    const ok = await sh(t.lab, 'ubuntu02', `curl -sS -m 1 http://${home}/`);
    expect(ok.stdout).toContain('It works!');
    const bad = await sh(t.lab, 'ubuntu02', `curl -sS -m 1 http://${away}/`);
    expect(bad.code).not.toBe(0);
    for (const p of (await kubectlJson(t.lab, ['get', 'pods', '-n', 'kube-flannel'])).items) {
      const logs = await t.lab.kubectl(['logs', '-n', 'kube-flannel', p.metadata.name, '-c', 'kube-flannel']);
      expect(logs.stdout).toContain('Using interface with name enp0s8 and address 10.0.2.15');
    }
    const vtep = await sh(t.lab, 'ubuntu03', 'ip -d link show flannel.1');
    expect(vtep.stdout).toContain('local 10.0.2.15 dev enp0s8');
  });

  it('check fails on the checks that name the fault, and leaves persistence for later', async () => {
    const r = await grade(t, 'injected');
    expect(failing(r)).toEqual(INJECTED);
    expect(r.checks.filter((c) => c.skipped).map((c) => c.id)).toEqual([
      'survives-flannel-restart',
      'survives-reboot',
    ]);
    const vtep = r.checks.find((c) => c.id === 'vtep-on-host-only')!;
    expect(vtep.why).toContain('flanneld logs: "Using interface with name enp0s8 and address 10.0.2.15"');
    expect(vtep.hint).toEqual({ id: 'h3', number: 3 });
  });

  describeFixes(
    'flannel-wrong-iface',
    undefined,
    () => t,
    () => INJECTED,
  );
});

describe.skipIf(!netnsAvailable)('flannel-wrong-iface without its fault (netns driver)', () => {
  describeHealthy('flannel-wrong-iface');
});
