/**
 * Seeds 001 and 002: a Service that selects nothing ready - a selector typo, a readinessProbe that
 * can never pass, or a selector-less Service nobody wrote Endpoints for. In each variant the
 * symptom is real (Connection refused at once, `kubectl get ep` shows <none>, the "has no
 * endpoints" REJECT rule), the declared fix passes every check, and the tempting fixes are caught.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injected } from './expectations.ts';
import {
  describeFixes,
  describeHealthy,
  explainSkip,
  failing,
  grade,
  netnsAvailable,
  type ScenarioLab,
  scenarioLab,
  sh,
  summary,
} from './harness.ts';

explainSkip();

for (const variant of ['selector', 'readiness', 'manual']) {
  describe.skipIf(!netnsAvailable)(`scenario no-endpoints, variant ${variant} (netns driver)`, () => {
    let t: ScenarioLab;

    beforeAll(async () => {
      t = await scenarioLab('no-endpoints', variant);
    }, 120_000);

    afterAll(async () => {
      summary(t);
      await t?.dispose();
    });

    it('is refused at once, lists no endpoints and has the REJECT rule', async () => {
      expect(t.session.variant).toBe(variant);
      const ip = t.session.facts.clusterIP as string;
      const r = await sh(t.lab, 'ubuntu02', `curl -sS -m 2 -w ' %{time_total}' http://${ip}/`);
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(/Couldn't connect to server/);
      // What kubectl prints: <none> for an Endpoints without subsets, nothing when every address is
      // not ready, NotFound when no one wrote the Endpoints of a selector-less Service.
      const ep = await t.lab.kubectl(['get', 'endpoints', 'hostnames']);
      if (variant === 'selector') expect(ep.stdout).toMatch(/^hostnames\s+<none>\s/m);
      if (variant === 'readiness') {
        expect(ep.stdout).toMatch(/^hostnames\s+\d+s$/m);
        const doc = JSON.parse((await t.lab.kubectl(['get', 'endpoints', 'hostnames', '-o', 'json'])).stdout);
        expect(doc.subsets[0].notReadyAddresses).toHaveLength(3);
        expect(doc.subsets[0].addresses).toBeUndefined();
      }
      if (variant === 'manual') expect(ep.stderr).toContain('endpoints "hostnames" not found');
      const rules = await sh(t.lab, 'ubuntu03', 'iptables-save -t filter');
      expect(rules.stdout).toContain(
        `-A KUBE-SERVICES -d ${ip}/32 -p tcp -m comment --comment "default/hostnames:default has no endpoints" -m tcp --dport 80 -j REJECT`,
      );
    });

    it('check fails on the checks that name the fault', async () => {
      const r = await grade(t, 'injected');
      expect(failing(r)).toEqual(injected('no-endpoints', variant));
      expect(r.checks.find((c) => c.id === 'no-reject-rule')?.why).toContain('has no endpoints');
      expect(r.checks.find((c) => c.id === 'same-cluster-ip')?.passed).toBe(true);
    });

    describeFixes(
      'no-endpoints',
      variant,
      () => t,
      () => injected('no-endpoints', variant),
    );
  });
}

describe.skipIf(!netnsAvailable)('no-endpoints without its fault (netns driver)', () => {
  describeHealthy('no-endpoints', 'selector');
});
