/**
 * The creation plans of both seed environments: networks, gateway priorities, the kube-proxy edit,
 * flannel and workloads with pinned images, waits, teardown - and the printed plan as bash takes it.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { renderCmd } from '../../../labs/drivers/kind/commands.ts';
import { CLUSTER_CIDR_SED } from '../../../labs/drivers/kind/manifests.ts';
import { renderPlan } from '../../../labs/drivers/kind/plan.ts';
import {
  FLANNEL_CNI_PLUGIN_IMAGE,
  FLANNEL_IMAGE,
  HTTPD_IMAGE,
  SERVE_HOSTNAME_IMAGE,
} from '../../../labs/drivers/kind/versions.ts';
import { commands, LAB_DIR, plan, starting } from './helpers.ts';

const KUBECONFIG = `${LAB_DIR}/kubeconfig`;

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: {
    template?: {
      spec: {
        initContainers?: { name: string; image: string }[];
        containers: {
          name: string;
          image: string;
          args?: string[];
          env?: { name: string; value: string }[];
        }[];
      };
    };
  };
}

function objects(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

describe('step order', () => {
  it('plans before acting: CNI plugins, networks, cluster, nodes, kube-proxy, flannel, Ready, workloads', () => {
    expect(plan('virtualbox-3node').steps.map((s) => s.id)).toEqual([
      'cni',
      'networks',
      'cluster',
      'node:ubuntu01',
      'node:ubuntu02',
      'node:ubuntu03',
      'flannel',
      'nodes-ready',
      'workloads',
    ]);
    expect(plan('two-master-business').steps.map((s) => s.id)).toEqual([
      'cni',
      'networks',
      'cluster',
      'node:gaia-master1',
      'node:gaia-master2',
      'node:gaia-node1',
      'kube-proxy',
      'flannel',
      'nodes-ready',
    ]);
  });

  it('creates the cluster from the generated config on stdin, into the lab’s own kubeconfig', () => {
    const [create] = starting(plan('virtualbox-3node'), 'kind', 'create', 'cluster');
    expect(create.argv).toEqual([
      'kind',
      'create',
      'cluster',
      '--name',
      'svcl-demo',
      '--config',
      '-',
      '--kubeconfig',
      KUBECONFIG,
    ]);
    expect(parse(create.input ?? '').networking.disableDefaultCNI).toBe(true);
  });

  it('copies the full plugin set kind’s image would have plus bridge into the lab directory', () => {
    const [cp] = starting(plan('virtualbox-3node'), 'cp');
    expect(cp.argv).toEqual([
      'cp',
      '-f',
      '/usr/lib/cni/bridge',
      '/usr/lib/cni/host-local',
      '/usr/lib/cni/loopback',
      '/usr/lib/cni/portmap',
      '/usr/lib/cni/ptp',
      `${LAB_DIR}/cni-bin/`,
    ]);
  });
});

describe('docker networks', () => {
  it('seed 000: a NAT network per node, labelled with lab, cluster, owner and driver', () => {
    const creates = starting(plan('virtualbox-3node'), 'docker', 'network', 'create');
    expect(creates.map((c) => c.argv.at(-1))).toEqual([
      'svcl-demo-natnet-ubuntu01',
      'svcl-demo-natnet-ubuntu02',
      'svcl-demo-natnet-ubuntu03',
    ]);
    for (const c of creates) {
      const labels = c.argv.flatMap((w, i) => (c.argv[i - 1] === '--label' ? [w] : []));
      expect(labels).toEqual([
        'io.svc-labs.driver=kind',
        'io.svc-labs.lab=demo',
        'io.svc-labs.cluster=svcl-demo',
        'io.svc-labs.owner=4242:777',
      ]);
    }
  });

  it('seed 000: each node’s NAT NIC takes the default route (--gw-priority 1)', () => {
    const connects = starting(plan('virtualbox-3node'), 'docker', 'network', 'connect');
    expect(connects.map((c) => c.argv.slice(3))).toEqual([
      ['--gw-priority', '1', 'svcl-demo-natnet-ubuntu01', 'svcl-demo-control-plane'],
      ['--gw-priority', '1', 'svcl-demo-natnet-ubuntu02', 'svcl-demo-worker'],
      ['--gw-priority', '1', 'svcl-demo-natnet-ubuntu03', 'svcl-demo-worker2'],
    ]);
  });

  it('seed 003: one business network for all nodes, below the cluster network’s default route', () => {
    const p = plan('two-master-business');
    expect(starting(p, 'docker', 'network', 'create').map((c) => c.argv.at(-1))).toEqual([
      'svcl-demo-business',
    ]);
    expect(starting(p, 'docker', 'network', 'connect').map((c) => c.argv.slice(3))).toEqual([
      ['--gw-priority', '-1', 'svcl-demo-business', 'svcl-demo-control-plane'],
      ['--gw-priority', '-1', 'svcl-demo-business', 'svcl-demo-control-plane2'],
      ['--gw-priority', '-1', 'svcl-demo-business', 'svcl-demo-worker'],
    ]);
  });

  it('seed 003 after its change (default route on enslf1): the business network takes the default route', () => {
    const p = plan('two-master-business', { defaultRoute: 'enslf1' });
    expect(starting(p, 'docker', 'network', 'connect').every((c) => c.argv[4] === '1')).toBe(true);
  });
});

describe('nodes', () => {
  it('configures each node through docker exec with a script that renames NICs by MAC and writes its files', () => {
    const p = plan('virtualbox-3node');
    const [exec] = commands(p, 'node:ubuntu02').filter((c) => c.argv[1] === 'exec');
    expect(exec.argv).toEqual(['docker', 'exec', '-i', '--privileged', 'svcl-demo-worker', 'sh']);
    const script = renderCmd(exec, p.queries);
    expect(script).toContain(
      `$(docker inspect -f '{{(index .NetworkSettings.Networks "svcl-demo-natnet-ubuntu02").MacAddress}}' svcl-demo-worker)`,
    );
    expect(script).toContain('name enp0s8');
    expect(script).toContain('cat > /etc/netplan/50-cloud-init.yaml');
    expect(script).toContain('cat > /etc/sysctl.d/k8s.conf');
  });
});

describe('kube-proxy', () => {
  it('is changed only where the environment has no cluster CIDR, then restarted and waited for', () => {
    expect(commands(plan('virtualbox-3node'), 'kube-proxy')).toEqual([]);
    const steps = commands(plan('two-master-business'), 'kube-proxy');
    expect(steps[0].argv).toEqual(['sh', '-eu']);
    expect(steps[0].input).toContain(`sed '${CLUSTER_CIDR_SED}'`);
    expect(steps[0].input).toContain(`kubectl --kubeconfig ${KUBECONFIG} replace -f -`);
    expect(steps.slice(1).map((c) => c.argv.slice(3))).toEqual([
      ['-n', 'kube-system', 'rollout', 'restart', 'daemonset/kube-proxy'],
      ['-n', 'kube-system', 'rollout', 'status', 'daemonset/kube-proxy', '--timeout=5m'],
    ]);
  });

  it('empties clusterCIDR in kube-proxy’s ConfigMap as kubectl prints it (real sed)', () => {
    const configMap = [
      'apiVersion: v1',
      'data:',
      '  config.conf: |-',
      '    apiVersion: kubeproxy.config.k8s.io/v1alpha1',
      '    bindAddress: 0.0.0.0',
      '    clusterCIDR: 172.16.0.0/16',
      '    mode: iptables',
      '  kubeconfig.conf: |-',
      '    apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: kube-proxy',
      '  namespace: kube-system',
      '',
    ].join('\n');
    const r = spawnSync('sed', [CLUSTER_CIDR_SED], { input: configMap, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const conf = parse(parse(r.stdout).data['config.conf']);
    expect(conf.clusterCIDR).toBe('');
    expect(conf.mode).toBe('iptables');
  });
});

describe('flannel', () => {
  for (const env of ['virtualbox-3node', 'two-master-business'] as const) {
    it(`${env}: pinned release images, the topology’s pod network, then a rollout wait`, () => {
      const p = plan(env);
      const [apply, wait] = commands(p, 'flannel');
      expect(apply.argv).toEqual(['kubectl', '--kubeconfig', KUBECONFIG, 'apply', '-f', '-']);
      expect(wait.argv.slice(3)).toEqual([
        '-n',
        'kube-flannel',
        'rollout',
        'status',
        'ds/kube-flannel-ds',
        '--timeout=5m',
      ]);
      const objs = objects(apply.input ?? '');
      expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
        'Namespace/kube-flannel',
        'ClusterRole/flannel',
        'ClusterRoleBinding/flannel',
        'ServiceAccount/flannel',
        'ConfigMap/kube-flannel-cfg',
        'DaemonSet/kube-flannel-ds',
      ]);
      const cm = objs.find((o) => o.kind === 'ConfigMap');
      const podSubnet = env === 'virtualbox-3node' ? '10.244.0.0/16' : '172.16.0.0/16';
      expect(JSON.parse(cm?.data?.['net-conf.json'] ?? '{}').Network).toBe(podSubnet);
      expect(parse(p.kindConfig).networking.podSubnet).toBe(podSubnet);
      const pod = objs.find((o) => o.kind === 'DaemonSet')?.spec?.template?.spec;
      expect(pod?.initContainers?.map((c) => c.image)).toEqual([FLANNEL_CNI_PLUGIN_IMAGE, FLANNEL_IMAGE]);
      expect(pod?.containers.map((c) => c.image)).toEqual([FLANNEL_IMAGE]);
      expect(pod?.containers[0].env?.find((e) => e.name === 'CONT_WHEN_CACHE_NOT_READY')?.value).toBe(
        'false',
      );
      for (const image of [FLANNEL_IMAGE, FLANNEL_CNI_PLUGIN_IMAGE]) expect(image).toMatch(/:v\d+\.\d+\.\d+/);
    });
  }

  it('gives flanneld the environment’s healthy args (seed 000: the host-only NIC)', () => {
    const args = (env: 'virtualbox-3node' | 'two-master-business') =>
      objects(commands(plan(env), 'flannel')[0].input ?? '').find((o) => o.kind === 'DaemonSet')?.spec
        ?.template?.spec.containers[0].args;
    expect(args('virtualbox-3node')).toEqual(['--ip-masq', '--kube-subnet-mgr', '--iface=enp0s3']);
    expect(args('two-master-business')).toEqual(['--ip-masq', '--kube-subnet-mgr']);
  });

  it('waits for every node Ready once flannel runs', () => {
    const [wait] = commands(plan('virtualbox-3node'), 'nodes-ready');
    expect(wait.argv.slice(3)).toEqual(['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=5m']);
  });
});

describe('workloads', () => {
  it('seed 000/002: httpd and hostnames with real, pinned images and their Services', () => {
    const [apply, ...waits] = commands(plan('virtualbox-3node'), 'workloads');
    const objs = objects(apply.input ?? '');
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Deployment/httpd',
      'Service/httpd-svc',
      'Deployment/hostnames',
      'Service/hostnames',
    ]);
    const images = objs.flatMap((o) => o.spec?.template?.spec.containers.map((c) => c.image) ?? []);
    expect(images).toEqual([HTTPD_IMAGE, SERVE_HOSTNAME_IMAGE]);
    expect(SERVE_HOSTNAME_IMAGE.startsWith('registry.k8s.io/serve_hostname:')).toBe(true);
    expect(waits.map((c) => c.argv.slice(3))).toEqual([
      ['-n', 'default', 'rollout', 'status', 'deployment/httpd', '--timeout=5m'],
      ['-n', 'default', 'rollout', 'status', 'deployment/hostnames', '--timeout=5m'],
    ]);
  });

  it('seed 003 has none', () => {
    expect(commands(plan('two-master-business'), 'workloads')).toEqual([]);
  });
});

describe('teardown', () => {
  it('deletes the cluster, then every network the lab made', () => {
    expect(plan('virtualbox-3node').teardown.map((c) => c.argv)).toEqual([
      ['kind', 'delete', 'cluster', '--name', 'svcl-demo', '--kubeconfig', KUBECONFIG],
      ['docker', 'network', 'rm', 'svcl-demo-natnet-ubuntu01'],
      ['docker', 'network', 'rm', 'svcl-demo-natnet-ubuntu02'],
      ['docker', 'network', 'rm', 'svcl-demo-natnet-ubuntu03'],
    ]);
    expect(plan('two-master-business').teardown.map((c) => c.argv.join(' '))).toContain(
      'docker network rm svcl-demo-business',
    );
  });
});

describe('the printed plan', () => {
  for (const env of ['virtualbox-3node', 'two-master-business'] as const) {
    it(`${env}: is a script bash accepts, with every value Docker knows asked of Docker`, () => {
      const text = renderPlan(plan(env));
      const r = spawnSync('bash', ['-n'], { input: text, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(text).not.toMatch(/__svclq\d+__/);
      expect(text).toContain('kind: Cluster');
      expect(text).toContain('kind: DaemonSet');
      // Every command line (not comments, not here-document bodies) is a docker, kind, kubectl or host step.
      const p = plan(env);
      for (const c of commands(p))
        expect(['docker', 'kind', 'kubectl', 'sh', 'mkdir', 'cp']).toContain(c.argv[0]);
    });
  }
});
