import { afterEach, describe, expect, it } from 'vitest';
import type { KObject } from '../../../labs/kube/object.ts';
import { deployment, TestCluster } from './harness.ts';

let cluster: TestCluster;
afterEach(() => cluster?.stop());

function service(name: string, spec: Record<string, any>): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'ClusterIP', ...spec },
  };
}

const slicesFor = (c: TestCluster, svc: string) =>
  c
    .list('endpointslices', 'default', 'discovery.k8s.io')
    .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc);

describe('Endpoints and EndpointSlices', () => {
  it('lists ready pods as addresses and the others as notReadyAddresses, following readiness', async () => {
    cluster = new TestCluster();
    cluster.create('deployments', deployment('hostnames', 3), 'apps');
    cluster.create(
      'services',
      service('hostnames', {
        selector: { app: 'hostnames' },
        ports: [{ port: 80, targetPort: 9376, protocol: 'TCP' }],
      }),
    );
    let unready = '';
    await cluster.settle((p) => {
      unready ||= p.metadata.name!;
      return p.metadata.name !== unready;
    });
    const ep = cluster.get('endpoints', 'default', 'hostnames');
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets[0].ports).toEqual([{ port: 9376, protocol: 'TCP' }]);
    expect(ep.subsets[0].addresses).toHaveLength(2);
    expect(ep.subsets[0].notReadyAddresses).toHaveLength(1);
    const notReady = ep.subsets[0].notReadyAddresses[0];
    expect(notReady.targetRef).toMatchObject({ kind: 'Pod', namespace: 'default', name: unready });
    expect(notReady.nodeName).toMatch(/^ubuntu0[23]$/);
    expect(ep.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    );

    const [slice] = slicesFor(cluster, 'hostnames');
    expect(slice.metadata.name).toMatch(/^hostnames-[a-z0-9]{5}$/);
    expect(slice.metadata.labels).toMatchObject({
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(slice.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Service',
      name: 'hostnames',
      controller: true,
    });
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: '', port: 9376, protocol: 'TCP' }]);
    const byPod = Object.fromEntries(slice.endpoints.map((e: any) => [e.targetRef.name, e]));
    expect(byPod[unready].conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(Object.values(byPod).filter((e: any) => e.conditions.ready)).toHaveLength(2);

    // The pod turns ready: it moves to addresses.
    cluster.kubeletStep(() => true);
    await cluster.idle();
    const after = cluster.get('endpoints', 'default', 'hostnames');
    expect(after.subsets[0].addresses).toHaveLength(3);
    expect(after.subsets[0].notReadyAddresses).toBeUndefined();
    expect(slicesFor(cluster, 'hostnames')[0].endpoints.every((e: any) => e.conditions.ready)).toBe(true);

    // A terminating pod leaves Endpoints but stays in the slice as terminating.
    const gone = cluster.pods()[0];
    cluster.store.delete(cluster.def('pods'), 'default', gone.metadata.name!);
    await cluster.idle();
    const ips = cluster
      .get('endpoints', 'default', 'hostnames')
      .subsets[0].addresses.map((a: any) => a.targetRef.name);
    expect(ips).not.toContain(gone.metadata.name);
    const term = slicesFor(cluster, 'hostnames')[0].endpoints.find(
      (e: any) => e.targetRef.name === gone.metadata.name,
    );
    expect(term.conditions).toEqual({ ready: false, serving: true, terminating: true });
  });

  it('resolves named targetPorts per pod and skips pods without that port', async () => {
    cluster = new TestCluster();
    const pod = (name: string, ports: any[]) =>
      cluster.create('pods', {
        metadata: { name, namespace: 'default', labels: { app: 'web' } },
        spec: { nodeName: 'ubuntu02', containers: [{ name: 'c', image: 'httpd', ports }] },
      });
    pod('a', [{ name: 'http', containerPort: 8080 }]);
    pod('b', [{ name: 'http', containerPort: 9090 }]);
    pod('c', [{ name: 'metrics', containerPort: 9100 }]);
    cluster.create(
      'services',
      service('web', {
        selector: { app: 'web' },
        ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' }],
      }),
    );
    await cluster.settle();
    const ep = cluster.get('endpoints', 'default', 'web');
    const bySubset = ep.subsets.map((s: any) => [
      s.ports[0].port,
      s.addresses.map((a: any) => a.targetRef.name),
    ]);
    expect(bySubset.sort()).toEqual([
      [8080, ['a']],
      [9090, ['b']],
    ]);
    const slices = slicesFor(cluster, 'web');
    expect(
      slices.map((s) => [s.ports[0].port, s.endpoints.map((e: any) => e.targetRef.name)]).sort(),
    ).toEqual([
      [8080, ['a']],
      [9090, ['b']],
    ]);
  });

  it('publishNotReadyAddresses lists unready pods as addresses; hostname+subdomain set hostname', async () => {
    cluster = new TestCluster();
    cluster.create('pods', {
      metadata: { name: 'db-0', namespace: 'default', labels: { app: 'db' } },
      spec: {
        nodeName: 'ubuntu03',
        hostname: 'db-0',
        subdomain: 'db',
        containers: [{ name: 'c', image: 'pg' }],
      },
    });
    cluster.create(
      'services',
      service('db', {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: { app: 'db' },
        ports: [{ port: 5432, protocol: 'TCP' }],
      }),
    );
    await cluster.settle(() => false);
    const ep = cluster.get('endpoints', 'default', 'db');
    expect(ep.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
    expect(ep.subsets[0].addresses[0]).toMatchObject({ hostname: 'db-0', nodeName: 'ubuntu03' });
    expect(slicesFor(cluster, 'db')[0].endpoints[0]).toMatchObject({
      hostname: 'db-0',
      conditions: { ready: true, serving: false },
    });
  });

  it('leaves the Endpoints of a selector-less Service to its user and mirrors them into a slice', async () => {
    cluster = new TestCluster();
    cluster.create(
      'services',
      service('external-db', { ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }),
    );
    cluster.create('endpoints', {
      metadata: { name: 'external-db', namespace: 'default' },
      subsets: [
        {
          addresses: [{ ip: '192.168.56.50' }],
          notReadyAddresses: [{ ip: '192.168.56.51' }],
          ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
        },
      ],
    });
    await cluster.idle();
    expect(cluster.get('endpoints', 'default', 'external-db').subsets[0].addresses).toEqual([
      { ip: '192.168.56.50' },
    ]);
    const [slice] = slicesFor(cluster, 'external-db');
    expect(slice.metadata.labels).toMatchObject({
      'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
    });
    expect(slice.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Endpoints', name: 'external-db' });
    expect(slice.ports).toEqual([{ name: 'pg', port: 5432, protocol: 'TCP' }]);
    expect(slice.endpoints).toEqual([
      { addresses: ['192.168.56.50'], conditions: { ready: true } },
      { addresses: ['192.168.56.51'], conditions: { ready: false } },
    ]);

    // The Service goes: so do its Endpoints and the mirrored slice.
    cluster.store.delete(cluster.def('services'), 'default', 'external-db');
    await cluster.idle();
    expect(cluster.store.tryGet(cluster.def('endpoints'), 'default', 'external-db')).toBeUndefined();
    expect(slicesFor(cluster, 'external-db')).toEqual([]);
  });

  it('keeps default/kubernetes pointing at the live apiservers, dropping a dead one after its lease', async () => {
    cluster = new TestCluster({ apiserverLeaseTtlMs: 100 });
    await cluster.idle();
    const svc = cluster.get('services', 'default', 'kubernetes');
    expect(svc.metadata.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
    expect(svc.spec.clusterIP).toBe('10.96.0.1');
    expect(svc.spec.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
    expect(svc.spec.selector).toBeUndefined();
    expect(cluster.get('endpoints', 'default', 'kubernetes').subsets).toEqual([
      { addresses: [{ ip: '192.168.56.11' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
    ]);
    expect(cluster.get('endpointslices', 'default', 'kubernetes', 'discovery.k8s.io').endpoints).toEqual([
      { addresses: ['192.168.56.11'], conditions: { ready: true } },
    ]);
    // Not mirrored a second time.
    expect(slicesFor(cluster, 'kubernetes')).toHaveLength(1);

    cluster.controllers.setApiserverAlive('192.168.56.11', false);
    await cluster.idle();
    expect(cluster.get('endpoints', 'default', 'kubernetes').subsets).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 400));
    await cluster.idle();
    expect(cluster.get('endpoints', 'default', 'kubernetes').subsets).toBeUndefined();
    expect(cluster.get('endpointslices', 'default', 'kubernetes', 'discovery.k8s.io').endpoints).toEqual([]);

    cluster.controllers.setApiserverAlive('192.168.56.11', true);
    await cluster.idle();
    expect(cluster.get('endpoints', 'default', 'kubernetes').subsets[0].addresses).toEqual([
      { ip: '192.168.56.11' },
    ]);
  });
});
