/**
 * Seed 002's "a pod cannot reach itself through its Service": hairpinMode false in flannel's CNI
 * configuration, so the hostnames pods' cni0 ports have hairpin off. The symptom is real (the
 * requests kube-proxy sends back to the caller time out, the others answer; hairpin_mode reads 0);
 * the ConfigMap fix with flannel and the pods restarted passes every check; flipping today's veths,
 * the kubelet's hairpin flag and editing the nodes' conflist by hand are caught.
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

const INJECTED = injected('hairpin-off');

explainSkip();

describe.skipIf(!netnsAvailable)('scenario hairpin-off (netns driver)', () => {
  let t: ScenarioLab;

  beforeAll(async () => {
    t = await scenarioLab('hairpin-off');
  }, 120_000);

  afterAll(async () => {
    summary(t);
    await t?.dispose();
  });

  it('a pod never gets its own answer through the Service, while other answers come back', async () => {
    const pods = (await kubectlJson(t.lab, ['get', 'pods', '-l', 'app=hostnames'])).items.filter(
      (p: any) => !p.metadata.deletionTimestamp,
    );
    const ip = (await kubectlJson(t.lab, ['get', 'service', 'hostnames'])).spec.clusterIP;
    const me = pods[0].metadata.name;
    const r = await t.lab.exec({ pod: { namespace: 'default', name: me } }, [
      'sh',
      '-c',
      `for i in $(seq 1 15); do timeout 1 wget -q -O - http://${ip}/ || echo FAILED; echo; done`,
    ]);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toContain('FAILED');
    expect(lines).not.toContain(me);
    expect(lines.some((l) => l.startsWith('hostnames-') && l !== me)).toBe(true);
    const conf = await sh(t.lab, pods[0].spec.nodeName, 'cat /etc/cni/net.d/10-flannel.conflist');
    expect(conf.stdout).toContain('"hairpinMode": false');
    const ports = await sh(
      t.lab,
      pods[0].spec.nodeName,
      'for d in /sys/devices/virtual/net/cni0/brif/veth*/hairpin_mode; do echo "$d = $(cat $d)"; done',
    );
    expect(ports.stdout).toMatch(/hairpin_mode = 0/);
  });

  it('check fails on the checks that name the fault', async () => {
    const r = await grade(t, 'injected');
    expect(failing(r)).toEqual(INJECTED);
    expect(r.checks.find((c) => c.id === 'other-pods-reach-service')?.passed).toBe(true);
    expect(r.checks.find((c) => c.id === 'hairpin-on-for-hostnames')?.why).toMatch(/hairpin_mode = 0/);
  });

  describeFixes(
    'hairpin-off',
    undefined,
    () => t,
    () => INJECTED,
  );
});

describe.skipIf(!netnsAvailable)('hairpin-off without its fault (netns driver)', () => {
  describeHealthy('hairpin-off');
});
