/** When the lab counts as quiet, and when kube-proxy's rules count as caught up. */
import { describe, expect, it } from 'vitest';
import {
  dataplaneGap,
  expectedDataplane,
  failingReadiness,
  unsettled,
} from '../../../labs/scenarios/settle.ts';

const NOW = Date.parse('2025-01-01T00:01:00Z');
const ready = { type: 'Ready', status: 'True' };

function pod(name: string, extra: any = {}) {
  return {
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1' }],
      ...extra.metadata,
    },
    spec: { containers: [{ name: 'c', ...extra.container }] },
    status: {
      phase: 'Running',
      conditions: [extra.ready === false ? { type: 'Ready', status: 'False' } : ready],
      containerStatuses: [
        { name: 'c', state: { running: { startedAt: extra.startedAt ?? '2025-01-01T00:00:00Z' } } },
      ],
    },
  };
}

const deployment = {
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', generation: 2 },
  spec: { replicas: 2 },
  status: { observedGeneration: 2, updatedReplicas: 2, replicas: 2, readyReplicas: 2 },
};
const rs = {
  kind: 'ReplicaSet',
  metadata: { name: 'web-1', namespace: 'default', ownerReferences: [{ kind: 'Deployment', name: 'web' }] },
};
const node = { kind: 'Node', metadata: { name: 'n1' }, status: { conditions: [ready] } };

describe('a settled lab', () => {
  it('has Ready nodes, rolled-out controllers and Ready pods', () => {
    expect(unsettled([node, deployment, rs, pod('a'), pod('b')], true, NOW)).toBeUndefined();
  });

  it('is not settled while a controller still counts pods that are being replaced', () => {
    const terminating = pod('b', { metadata: { deletionTimestamp: '2025-01-01T00:00:59Z' } });
    expect(unsettled([node, deployment, rs, pod('a'), terminating], true, NOW)).toBe(
      'deployment default/web is short of pods',
    );
  });

  it('waits for a change the controller has not seen, and for pods to start', () => {
    const changed = { ...deployment, metadata: { ...deployment.metadata, generation: 3 } };
    expect(unsettled([node, changed, rs, pod('a'), pod('b')], true, NOW)).toBe(
      'deployment default/web has not seen its last change',
    );
    const pending = { ...pod('b'), status: { phase: 'Pending' } };
    expect(unsettled([node, deployment, rs, pod('a'), pending], true, NOW)).toBe('pod default/b is Pending');
  });

  it('does not wait for a readiness probe that has had its chance and fails', () => {
    const probe = { readinessProbe: { httpGet: { port: 9377 }, periodSeconds: 5 } };
    const fresh = pod('b', { ready: false, container: probe, startedAt: '2025-01-01T00:00:58Z' });
    const failing = pod('b', { ready: false, container: probe, startedAt: '2025-01-01T00:00:00Z' });
    expect(failingReadiness(fresh as any, NOW)).toBe(false);
    expect(failingReadiness(failing as any, NOW)).toBe(true);
    expect(unsettled([node, deployment, rs, pod('a'), fresh], true, NOW)).toBe('pod default/b is not Ready');
    expect(unsettled([node, deployment, rs, pod('a'), failing], true, NOW)).toBeUndefined();
    expect(unsettled([node, deployment, rs, pod('a'), fresh], false, NOW)).toBeUndefined();
  });
});

describe('kube-proxy caught up', () => {
  const svc = (name: string, ip: string) => ({
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { clusterIP: ip, ports: [{ name: 'default', port: 80, protocol: 'TCP' }] },
  });
  const slice = (svcName: string, endpoints: any[]) => ({
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: { namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
    ports: [{ name: 'default', port: 9376 }],
    endpoints,
  });
  const items = [
    svc('hostnames', '10.96.0.20'),
    svc('empty', '10.96.0.21'),
    slice('hostnames', [
      { addresses: ['10.244.1.2'], conditions: { ready: true } },
      { addresses: ['10.244.2.2'], conditions: { ready: false } },
    ]),
  ];
  const want = expectedDataplane(items);
  const dnat =
    '-A KUBE-SEP-X -p tcp -m comment --comment "default/hostnames:default" -m tcp -j DNAT --to-destination 10.244.1.2:9376';
  const reject =
    '-A KUBE-SERVICES -d 10.96.0.21/32 -p tcp -m comment --comment "default/empty:default has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable';

  it('expects a DNAT per ready endpoint and a REJECT per Service without one', () => {
    expect(want.targets).toEqual(new Set(['10.244.1.2:9376']));
    expect(want.served).toEqual(new Set(['default/hostnames']));
    expect(want.unserved).toEqual(new Set(['default/empty']));
    expect(dataplaneGap(`${dnat}\n${reject}\n`, want)).toBeUndefined();
  });

  it('names what a node still lacks or still has', () => {
    expect(dataplaneGap(`${reject}\n`, want)).toBe('no DNAT to 10.244.1.2:9376');
    expect(dataplaneGap(`${dnat}\n`, want)).toBe('does not reject default/empty yet');
    expect(dataplaneGap(`${dnat}\n${reject}\n${dnat.replace('10.244.1.2', '10.244.9.9')}\n`, want)).toBe(
      'still DNATs to 10.244.9.9:9376',
    );
    const stale = reject.replace('default/empty', 'default/hostnames');
    expect(dataplaneGap(`${dnat}\n${reject}\n${stale}\n`, want)).toBe('still rejects default/hostnames');
  });

  it('counts terminating endpoints that still serve when none is ready, as kube-proxy does', () => {
    const w = expectedDataplane([
      svc('hostnames', '10.96.0.20'),
      slice('hostnames', [
        { addresses: ['10.244.1.2'], conditions: { ready: false, serving: true, terminating: true } },
      ]),
    ]);
    expect(w.targets).toEqual(new Set(['10.244.1.2:9376']));
    expect(w.unserved.size).toBe(0);
  });
});
