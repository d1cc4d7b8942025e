import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startCluster, type TestCluster } from './harness.ts';

let c: TestCluster;

beforeAll(async () => {
  c = await startCluster('read');
  await c.kubectl([
    'create',
    'deployment',
    'hostnames',
    '--image=registry.k8s.io/serve_hostname',
    '--replicas=3',
    '--port=9376',
  ]);
  await c.kubectl(['expose', 'deployment', 'hostnames', '--port=80', '--target-port=9376']);
  await eventually(async () => {
    const r = await c.kubectl(['get', 'deploy', 'hostnames', '-o', 'jsonpath={.status.readyReplicas}']);
    return r.stdout === '3';
  }, 'hostnames to be ready');
});

afterAll(async () => {
  await c?.stop();
});

describe('kubectl reads a lab as it reads a real cluster', () => {
  it('reports a 1.32 server', async () => {
    const r = await c.kubectl(['version', '-o', 'json']);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.serverVersion.gitVersion).toMatch(/^v1\.32\./);
  });

  it('lists API resources with their short names', async () => {
    const r = await c.kubectl(['api-resources']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(r.stdout).toMatch(/^services\s+svc\s+v1\s+true\s+Service$/m);
    expect(r.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(r.stdout).toMatch(/^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m);
  });

  it('shows three Ready nodes with roles and INTERNAL-IP in -o wide', async () => {
    const r = await c.kubectl(['get', 'nodes', '-o', 'wide']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/,
    );
    expect(r.stdout).toMatch(
      /^ubuntu01\s+Ready\s+control-plane\s+\S+\s+v1\.32\.\d+\s+192\.168\.56\.11\s+<none>/m,
    );
    expect(r.stdout).toMatch(/^ubuntu02\s+Ready\s+<none>\s+\S+\s+v1\.32\.\d+\s+192\.168\.56\.12/m);
    expect(r.stdout).toMatch(/^ubuntu03\s+Ready\s+<none>/m);
  });

  it('prints pods with IP and NODE in -o wide, spread over the workers', async () => {
    const r = await c.kubectl(['get', 'pods', '-o', 'wide', '-l', 'app=hostnames']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/,
    );
    const rows = r.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(3);
    for (const row of rows)
      expect(row).toMatch(
        /^hostnames-\S+\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+ubuntu0[23]\s+<none>\s+<none>$/,
      );
  });

  it('shows the system pods and namespaces with -A and labels with --show-labels', async () => {
    const all = await c.kubectl(['get', 'pods', '-A']);
    expect(all.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS/);
    expect(all.stdout).toMatch(/^default\s+hostnames-/m);
    const labels = await c.kubectl(['get', 'deploy', 'hostnames', '--show-labels']);
    expect(labels.stdout).toMatch(/LABELS/);
    expect(labels.stdout).toMatch(/app=hostnames/);
  });

  it('prints a Service and its Endpoints like a real cluster', async () => {
    const svc = await c.kubectl(['get', 'svc', 'hostnames']);
    expect(svc.stdout).toMatch(
      /^hostnames\s+ClusterIP\s+10\.(9[6-9]|10\d|11[01])\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+$/m,
    );
    const ep = await c.kubectl(['get', 'ep', 'hostnames']);
    expect(ep.stdout).toMatch(
      /^hostnames\s+10\.244\.\d+\.\d+:9376,10\.244\.\d+\.\d+:9376,10\.244\.\d+\.\d+:9376\s+\S+$/m,
    );
    const kube = await c.kubectl(['get', 'svc', 'kubernetes']);
    expect(kube.stdout).toMatch(/^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/m);
  });

  it('supports -o yaml and -o jsonpath', async () => {
    const yaml = await c.kubectl(['get', 'svc', 'hostnames', '-o', 'yaml']);
    expect(yaml.stdout).toMatch(/^kind: Service$/m);
    expect(yaml.stdout).toMatch(/targetPort: 9376/);
    const jp = await c.kubectl([
      'get',
      'pods',
      '-l',
      'app=hostnames',
      '-o',
      'jsonpath={.items[*].status.phase}',
    ]);
    expect(jp.stdout).toBe('Running Running Running');
  });

  it('describes a service with its endpoints from EndpointSlices', async () => {
    const r = await c.kubectl(['describe', 'svc', 'hostnames']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Selector:\s+app=hostnames$/m);
    expect(r.stdout).toMatch(/^TargetPort:\s+9376\/TCP$/m);
    expect(r.stdout).toMatch(
      /^Endpoints:\s+10\.244\.\d+\.\d+:9376,10\.244\.\d+\.\d+:9376,10\.244\.\d+\.\d+:9376$/m,
    );
  });

  it('describes pods, nodes, deployments with their events', async () => {
    const pods = await c.kubectl(['get', 'pods', '-l', 'app=hostnames', '-o', 'name']);
    const pod = pods.stdout.trim().split('\n')[0];
    const dp = await c.kubectl(['describe', pod]);
    expect(dp.code).toBe(0);
    expect(dp.stdout).toMatch(/^Status:\s+Running$/m);
    expect(dp.stdout).toMatch(/Successfully assigned default\/hostnames-\S+ to ubuntu0[23]/);
    expect(dp.stdout).toMatch(/Started container/);
    const dn = await c.kubectl(['describe', 'node', 'ubuntu02']);
    expect(dn.code).toBe(0);
    expect(dn.stdout).toMatch(/InternalIP:\s+192\.168\.56\.12/);
    expect(dn.stdout).toMatch(/Non-terminated Pods:/);
    const dd = await c.kubectl(['describe', 'deploy', 'hostnames']);
    expect(dd.stdout).toMatch(
      /Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/,
    );
    expect(dd.stdout).toMatch(/ScalingReplicaSet/);
  });

  it('answers auth can-i with yes', async () => {
    const r = await c.kubectl(['auth', 'can-i', 'create', 'pods']);
    expect(r.stdout.trim()).toBe('yes');
    expect(r.code).toBe(0);
  });

  it('streams changes with get -w', async () => {
    const watch = c.kubectl(['get', 'configmaps', '-w', '--request-timeout=4s'], { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 800));
    await c.kubectl(['create', 'configmap', 'watched', '--from-literal=a=b']);
    const r = await watch;
    expect(r.stdout).toMatch(/^watched\s+1\s+\S+$/m);
  });
});
