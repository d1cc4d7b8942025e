/**
 * `labctl up virtualbox-3node --driver netns --no-fault`: the seed-000 cluster, healthy, on real
 * kernel networking. Three Ready nodes on their host-only addresses; httpd and hostnames running
 * with addresses from each node's /24; every pod and Service answering from every node and from a
 * pod on every node (ClusterIP and DNS name); kube-proxy's real chains; flannel's log lines; node
 * shells with the node's own files; operator actions (restart flannel, reboot a node); and nothing
 * left behind after destroy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Terminal } from '../../../labs/drivers/lab-driver.ts';
import {
  buildTestLab,
  clientPodsYaml,
  hostRules,
  IT_WORKS,
  kubectlJson,
  leftovers,
  NODES,
  type Probe,
  probeFrom,
  type TestLab,
  until,
} from './lab.ts';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('netns driver: healthy virtualbox-3node', () => {
  let t: TestLab;
  let rulesBefore: string;
  let pods: any[];
  let services: Record<string, string>;

  const podIPs = (): Probe[] =>
    pods.map((p) => ({
      name: p.metadata.name,
      url: `http://${p.status.podIP}:${p.metadata.labels.app === 'hostnames' ? 9376 : 80}/`,
    }));
  const expectedBody = (name: string) => (name.startsWith('httpd') ? IT_WORKS : name);

  beforeAll(async () => {
    rulesBefore = hostRules();
    t = await buildTestLab();
    console.log(`netns driver: virtualbox-3node ready in ${t.buildMs} ms`, JSON.stringify(t.lab.timings));
    const applied = await t.lab.kubectl(['apply', '-f', '-'], { input: clientPodsYaml() });
    expect(applied.code, applied.stderr).toBe(0);
    await t.lab.kubectl(['wait', '--for=condition=Ready', 'pod', '-l', 'role=client', '--timeout=30s']);
    pods = (await kubectlJson(t.lab, ['get', 'pods', '-l', 'role!=client'])).items;
    const svcs = (await kubectlJson(t.lab, ['get', 'services', '-A'])).items;
    services = Object.fromEntries(svcs.map((s: any) => [s.metadata.name, s.spec.clusterIP]));
  });

  afterAll(async () => {
    if (!t) return;
    const { prefix, stateDir } = t;
    await t.dispose();
    expect(leftovers(prefix, stateDir)).toEqual([]);
    expect(hostRules()).toBe(rulesBefore);
  });

  it('reports every build step as progress and ends with everything done', () => {
    const done = t.events.filter((e) => e.state === 'done').map((e) => e.step);
    for (const step of [
      'sandbox',
      'network:netns',
      'network:cables',
      'network:switch:hostonly',
      'network:router:nat-ubuntu02',
      'network:node:ubuntu01',
      'pki',
      'control-plane',
      'node:ubuntu01',
      'node:ubuntu02',
      'node:ubuntu03',
      'pod-network',
      'system-pods',
      'workloads',
      'ready',
    ])
      expect(done).toContain(step);
    const last = t.events.at(-1)!;
    expect(last).toMatchObject({ step: 'ready', state: 'done' });
    expect(last.done).toBe(last.total);
    expect(t.events.some((e) => e.state === 'failed')).toBe(false);
  });

  it('shows three Ready nodes with their host-only INTERNAL-IPs', async () => {
    const r = await t.lab.kubectl(['get', 'nodes', '-o', 'wide']);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/));
    expect(rows.map((c) => [c[0], c[1], c[5]])).toEqual([
      ['ubuntu01', 'Ready', '192.168.56.11'],
      ['ubuntu02', 'Ready', '192.168.56.12'],
      ['ubuntu03', 'Ready', '192.168.56.13'],
    ]);
    expect(rows[0][2]).toBe('control-plane');
  });

  it("runs httpd and hostnames pods with addresses from their node's /24", async () => {
    const nodes = (await kubectlJson(t.lab, ['get', 'nodes'])).items;
    const cidr = Object.fromEntries(nodes.map((n: any) => [n.metadata.name, n.spec.podCIDR]));
    expect(cidr).toEqual({ ubuntu01: '10.244.0.0/24', ubuntu02: '10.244.1.0/24', ubuntu03: '10.244.2.0/24' });
    const byApp = (label: string, value: string) => pods.filter((p) => p.metadata.labels[label] === value);
    expect(byApp('run', 'httpd')).toHaveLength(3);
    expect(byApp('app', 'hostnames')).toHaveLength(3);
    for (const p of pods) {
      expect(p.status.phase).toBe('Running');
      const third = cidr[p.spec.nodeName].split('.')[2];
      expect(p.status.podIP).toMatch(new RegExp(`^10\\.244\\.${third}\\.\\d+$`));
    }
    // both workers carry workloads
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set(['ubuntu02', 'ubuntu03']));
  });

  it('shows the system pods a kubeadm cluster with flannel has', async () => {
    const r = await t.lab.kubectl(['get', 'pods', '-A', '--no-headers']);
    const names = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    const running = (ns: string, re: RegExp) =>
      names.filter((c) => c[0] === ns && re.test(c[1]) && c[3] === 'Running' && c[2] === '1/1');
    expect(running('kube-flannel', /^kube-flannel-ds-[a-z0-9]{5}$/)).toHaveLength(3);
    expect(running('kube-system', /^kube-proxy-[a-z0-9]{5}$/)).toHaveLength(3);
    expect(running('kube-system', /^coredns-[a-z0-9]+-[a-z0-9]{5}$/)).toHaveLength(2);
    for (const c of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'])
      expect(running('kube-system', new RegExp(`^${c}-ubuntu01$`))).toHaveLength(1);
    const ds = await kubectlJson(t.lab, ['get', 'ds', '-n', 'kube-flannel', 'kube-flannel-ds']);
    expect(ds.spec.template.spec.containers[0].args).toEqual([
      '--ip-masq',
      '--kube-subnet-mgr',
      '--iface=enp0s3',
    ]);
    const cm = await kubectlJson(t.lab, ['get', 'cm', '-n', 'kube-system', 'kube-proxy']);
    expect(cm.data['config.conf']).toMatch(/^clusterCIDR: 10\.244\.0\.0\/16$/m);
    expect(cm.data['config.conf']).toMatch(/^mode: iptables$/m);
    const dns = await kubectlJson(t.lab, ['get', 'svc', '-n', 'kube-system', 'kube-dns']);
    expect(dns.spec.clusterIP).toBe('10.96.0.10');
    expect(dns.spec.ports.map((p: any) => `${p.name}/${p.protocol}/${p.port}`)).toEqual([
      'dns/UDP/53',
      'dns-tcp/TCP/53',
      'metrics/TCP/9153',
    ]);
  });

  it('answers every pod and every Service from every node', async () => {
    const probes: Probe[] = [
      ...podIPs(),
      { name: 'hostnames-svc', url: `http://${services.hostnames}/` },
      { name: 'httpd-svc', url: `http://${services['httpd-svc']}:8080/` },
    ];
    for (const node of NODES) {
      const results = await probeFrom(t.lab, { node }, probes);
      for (const r of results) {
        expect([node, r.name, r.code]).toEqual([node, r.name, 0]);
        if (r.name === 'hostnames-svc') expect(r.body).toMatch(/^hostnames-/);
        else if (r.name === 'httpd-svc') expect(r.body).toBe(IT_WORKS);
        else expect(r.body).toBe(expectedBody(r.name));
      }
      // the kubernetes Service leads to the apiserver listening in ubuntu01
      const api = await t.lab.exec({ node }, ['curl', '-sk', '--max-time', '2', 'https://10.96.0.1/version']);
      expect(JSON.parse(api.stdout).gitVersion).toBe('v1.32.4');
    }
  });

  it('answers every pod and every Service, by ClusterIP and by DNS name, from a pod on every node', async () => {
    const probes: Probe[] = [
      ...podIPs(),
      { name: 'hostnames-svc', url: `http://${services.hostnames}/` },
      { name: 'httpd-svc', url: `http://${services['httpd-svc']}:8080/` },
      { name: 'hostnames-dns', url: 'http://hostnames/' },
      { name: 'httpd-svc-dns', url: 'http://httpd-svc:8080/' },
      { name: 'hostnames-fqdn', url: 'http://hostnames.default.svc.cluster.local/' },
    ];
    for (const node of NODES) {
      const results = await probeFrom(
        t.lab,
        { pod: { namespace: 'default', name: `client-${node}` } },
        probes,
      );
      for (const r of results) {
        expect([node, r.name, r.code]).toEqual([node, r.name, 0]);
        if (r.name.startsWith('hostnames-')) expect(r.body).toMatch(/^hostnames-/);
        else if (r.name.startsWith('httpd-svc')) expect(r.body).toBe(IT_WORKS);
        else expect(r.body).toBe(expectedBody(r.name));
      }
    }
    const resolv = await t.lab.exec({ pod: { namespace: 'default', name: 'client-ubuntu02' } }, [
      'cat',
      '/etc/resolv.conf',
    ]);
    expect(resolv.stdout).toBe(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });

  it('spreads `curl hostnames` from a pod over several backends', async () => {
    const r = await t.lab.exec({ pod: { namespace: 'default', name: 'client-ubuntu03' } }, [
      'bash',
      '-c',
      'for i in $(seq 1 20); do curl -s --max-time 2 http://hostnames; echo; done',
    ]);
    const answers = r.stdout.split('\n').filter(Boolean);
    expect(answers).toHaveLength(20);
    const backends = new Set(
      pods.filter((p) => p.metadata.labels.app === 'hostnames').map((p) => p.metadata.name),
    );
    for (const a of answers) expect(backends.has(a)).toBe(true);
    expect(new Set(answers).size).toBeGreaterThanOrEqual(2);
  });

  it("writes kube-proxy's real chains into every node's iptables", async () => {
    for (const node of NODES) {
      const r = await t.lab.exec({ node }, ['iptables-save', '-t', 'nat']);
      expect(r.stdout).toContain(
        '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y',
      );
      expect(r.stdout).toMatch(/^-A KUBE-SVC-NPX46M4PTMTKRN6Y .*-j KUBE-SEP-/m);
      expect(r.stdout).toContain(
        '-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU',
      );
      expect(r.stdout).toContain('-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG');
    }
  });

  it("logs flannel's choice of the host-only NIC, and exec into its pod shows the node", async () => {
    const fl = (await kubectlJson(t.lab, ['get', 'pods', '-n', 'kube-flannel'])).items;
    expect(fl).toHaveLength(3);
    for (const p of fl) {
      const ip = p.status.hostIP;
      const logs = await t.lab.kubectl(['logs', '-n', 'kube-flannel', p.metadata.name]);
      expect(logs.stdout).toContain(`Using interface with name enp0s3 and address ${ip}`);
      expect(logs.stdout).toContain('Wrote subnet file to /run/flannel/subnet.env');
    }
    const onNode = fl.find((p: any) => p.spec.nodeName === 'ubuntu02');
    const links = await t.lab.kubectl([
      'exec',
      '-n',
      'kube-flannel',
      onNode.metadata.name,
      '--',
      'ip',
      '-o',
      'link',
    ]);
    expect(links.stdout).toContain('enp0s3');
    expect(links.stdout).toContain('flannel.1');
    expect(links.stdout).toContain('cni0');
  });

  it('gives every node its hostname, its own files, and kubectl on the control plane', async () => {
    for (const [i, node] of NODES.entries()) {
      const r = await t.lab.exec({ node }, [
        'sh',
        '-c',
        'hostname; pwd; cat /run/flannel/subnet.env; ls /etc/cni/net.d /etc/netplan; grep -A1 clusterDNS /var/lib/kubelet/config.yaml',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${node}\n/root\n`);
      expect(r.stdout).toContain(`FLANNEL_SUBNET=10.244.${i}.1/24\n`);
      expect(r.stdout).toContain('10-flannel.conflist');
      expect(r.stdout).toContain('50-cloud-init.yaml');
      expect(r.stdout).toContain('clusterDNS:\n- 10.96.0.10');
    }
    expect(await t.lab.readNodeFile('ubuntu02', '/run/flannel/subnet.env')).toContain(
      'FLANNEL_SUBNET=10.244.1.1/24',
    );
    // kubectl typed on ubuntu01 goes to its own apiserver address, through the node's network
    const server = await t.lab.exec({ node: 'ubuntu01' }, [
      'kubectl',
      'config',
      'view',
      '--minify',
      '-o',
      'jsonpath={.clusters[0].cluster.server}',
    ]);
    expect(server.stdout).toBe('https://192.168.56.11:6443');
    const nodes = await t.lab.exec({ node: 'ubuntu01' }, ['kubectl', 'get', 'nodes', '--no-headers']);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.stdout.trim().split('\n')).toHaveLength(3);
    const worker = await t.lab.exec({ node: 'ubuntu02' }, ['ls', '/root/.kube']);
    expect(worker.code).not.toBe(0);
  });

  it('opens a node terminal with the prompt root@ubuntu02:~#', async () => {
    const term: Terminal = await t.lab.openTerminal({ node: 'ubuntu02' }, { cols: 120, rows: 30 });
    let seen = '';
    term.onData((d) => {
      seen += d.toString('utf8');
    });
    await until('prompt', async () => seen.includes('root@ubuntu02:~# '), 10_000);
    term.write('ip -br addr show enp0s3; exit\n');
    expect(await term.exited).toBe(0);
    expect(seen).toMatch(/enp0s3(@if\d+)?\s+UP\s+192\.168\.56\.12\/24/);
  });

  it('restarts flannel on a node by deleting its pod, as an operator would', async () => {
    const before = (
      await kubectlJson(t.lab, [
        'get',
        'pods',
        '-n',
        'kube-flannel',
        '--field-selector',
        'spec.nodeName=ubuntu03',
      ])
    ).items;
    await t.lab.restart('flannel', 'ubuntu03');
    const after = (
      await kubectlJson(t.lab, [
        'get',
        'pods',
        '-n',
        'kube-flannel',
        '--field-selector',
        'spec.nodeName=ubuntu03',
      ])
    ).items;
    expect(after).toHaveLength(1);
    expect(after[0].metadata.name).not.toBe(before[0].metadata.name);
    const logs = await t.lab.kubectl(['logs', '-n', 'kube-flannel', after[0].metadata.name]);
    expect(logs.stdout).toContain('Using interface with name enp0s3 and address 192.168.56.13');
    const results = await probeFrom(t.lab, { node: 'ubuntu02' }, podIPs());
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
  });

  it('reboots a node from its persistent configuration: live-only changes vanish, pods come back', async () => {
    const add = await t.lab.exec({ node: 'ubuntu03' }, [
      'ip',
      'route',
      'add',
      '10.123.0.0/16',
      'dev',
      'enp0s3',
    ]);
    expect(add.code, add.stderr).toBe(0);
    await t.lab.reboot('ubuntu03');
    const routes = await t.lab.exec({ node: 'ubuntu03' }, ['ip', 'route']);
    expect(routes.stdout).not.toContain('10.123.0.0/16');
    expect(routes.stdout).toContain('default via 10.0.2.2 dev enp0s8');
    const nodes = await t.lab.kubectl(['get', 'nodes', 'ubuntu03', '--no-headers']);
    expect(nodes.stdout).toMatch(/^ubuntu03\s+Ready\s/);
    pods = (await kubectlJson(t.lab, ['get', 'pods', '-l', 'role!=client'])).items;
    expect(pods.every((p) => p.status.phase === 'Running')).toBe(true);
    await t.lab.syncKubeProxies();
    const results = await probeFrom(t.lab, { node: 'ubuntu01' }, [
      ...podIPs(),
      { name: 'hostnames-svc', url: `http://${services.hostnames}/` },
    ]);
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
  });
});
