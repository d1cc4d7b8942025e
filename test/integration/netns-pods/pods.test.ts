/**
 * Pods as real network namespaces on the seed-000 VirtualBox cluster: the CNI bridge plugin's work
 * as flannel delegates it (address from the node's /24, cni0, veth, routes, hairpin at creation),
 * images served on real sockets, exec inside the pod, probes from the node, and nothing left behind.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProbeAction, RuntimeError } from '../../../labs/runtime/pod-runtime.ts';
import { namespacesWithPrefix } from '../netns-build/sandbox.ts';
import { CLUSTER_DNS, conflist, IT_WORKS, PodLab, type RunningPod, subnetEnv } from './lab.ts';

const FLANNEL_CONF = '/etc/cni/net.d/10-flannel.conflist';
const SUBNET_ENV = '/run/flannel/subnet.env';

describe('NetnsPodRuntime on virtualbox-3node', () => {
  let pl: PodLab;
  let web: RunningPod;
  let client: RunningPod;

  const podRun = (pod: RunningPod, ...argv: string[]) =>
    pl.sandbox.run(argv, { netns: pod.runtime.podNetns(pod.sandbox.id)!, bare: true });
  const hairpin = async (node: string, veth: string) =>
    (await pl.onNode(node, 'cat', `/sys/class/net/${veth}/brport/hairpin_mode`)).stdout.trim();

  beforeAll(async () => {
    pl = await PodLab.create();
    await pl.flannel('ubuntu02', { hairpinMode: true });
    await pl.flannel('ubuntu03', { hairpinMode: true });
    [web, client] = await Promise.all([
      pl.runPod('ubuntu02', { name: 'httpd-6d5c8b7f4-q2x8z', image: 'httpd' }),
      pl.runPod('ubuntu02', { name: 'client', image: 'nicolaka/netshoot', command: ['sleep', '3600'] }),
    ]);
  });

  afterAll(async () => {
    await pl?.dispose();
  });

  it("gives a pod an address from the node's /24, kept in host-local's store on the node", async () => {
    const ip = web.sandbox.ip;
    expect(ip).toMatch(/^10\.244\.1\.(\d+)$/);
    expect(Number(ip.split('.')[3])).toBeGreaterThan(1);
    expect(client.sandbox.ip).not.toBe(ip);
    const store = pl.lab.nodeFile('ubuntu02', '/var/lib/cni/networks/cbr0');
    expect(await readFile(`${store}/${ip}`, 'utf8')).toBe(`${web.sandbox.id}\r\neth0`);
    expect((await readdir(store)).sort()).toEqual(
      ['last_reserved_ip.0', 'lock', ip, client.sandbox.ip].sort(),
    );
    // flannel keeps the delegate configuration it rendered, for DEL
    const saved = JSON.parse(
      await readFile(pl.lab.nodeFile('ubuntu02', `/var/lib/cni/flannel/${web.sandbox.id}`), 'utf8'),
    );
    expect(saved).toMatchObject({
      name: 'cbr0',
      type: 'bridge',
      hairpinMode: true,
      isDefaultGateway: true,
      isGateway: true,
      ipMasq: false,
      mtu: 1450,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: '10.244.1.0/24' }]],
        routes: [{ dst: '10.244.0.0/16' }],
      },
    });
  });

  it('cables the pod to cni0 (gateway .1/24, MTU from subnet.env) with routes via the gateway', async () => {
    const net = web.runtime.podNetwork(web.sandbox.id)!;
    expect(net.hostVeth).toMatch(/^veth[0-9a-f]{8}$/);
    const bridge = await pl.onNode('ubuntu02', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'cni0');
    expect(bridge.stdout).toContain('inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0');
    const ports = await pl.onNode('ubuntu02', 'ip', '-o', 'link', 'show', 'master', 'cni0');
    expect(ports.stdout).toContain(`${net.hostVeth}@if`);
    expect(ports.stdout).toMatch(new RegExp(`${net.hostVeth}@if\\d+: <[^>]*UP[^>]*> mtu 1450 `));
    const routes = (await podRun(web, 'ip', 'route')).stdout;
    expect(routes).toContain('default via 10.244.1.1 dev eth0');
    expect(routes).toContain('10.244.0.0/16 via 10.244.1.1 dev eth0');
    expect(routes).toContain(`10.244.1.0/24 dev eth0 proto kernel scope link src ${web.sandbox.ip}`);
    expect((await pl.onNode('ubuntu02', 'sysctl', '-n', 'net.ipv4.ip_forward')).stdout.trim()).toBe('1');
  });

  it('answers curl with "It works!" from the node and from another pod on the node, with access log lines', async () => {
    const fromNode = await pl.onNode(
      'ubuntu02',
      'curl',
      '-s',
      '--max-time',
      '2',
      `http://${web.sandbox.ip}/`,
    );
    expect(fromNode.stdout).toBe(IT_WORKS);
    const head = await pl.onNode('ubuntu02', 'curl', '-sI', '--max-time', '2', `http://${web.sandbox.ip}/`);
    expect(head.stdout).toMatch(
      /^HTTP\/1\.1 200 OK\r\nDate: .+ GMT\r\nServer: Apache\/2\.4\.63 \(Unix\)\r\n/,
    );
    expect(head.stdout).toContain('Content-Length: 45\r\nContent-Type: text/html\r\n');
    const fromPod = await pl.exec(client, ['curl', '-s', '--max-time', '2', `http://${web.sandbox.ip}/`]);
    expect(fromPod).toEqual({ code: 0, out: IT_WORKS });
    const missing = await pl.exec(client, [
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `http://${web.sandbox.ip}/nope`,
    ]);
    expect(missing.out).toBe('404');
    const log = web.logs();
    expect(log).toMatch(/^10\.244\.1\.1 - - \[.+\] "GET \/ HTTP\/1\.1" 200 45$/m);
    expect(log).toContain(`${client.sandbox.ip} - - [`);
    expect(log).toMatch(/"GET \/nope HTTP\/1\.1" 404 196$/m);
    expect(log).toContain("AH00094: Command line: 'httpd -D FOREGROUND'");
  });

  it('serves real sockets inside the pod namespace, not in the node', async () => {
    const listening = (await podRun(web, 'ss', '-Hltn')).stdout;
    expect(listening).toMatch(/0\.0\.0\.0:80\s/);
    const onNode = await pl.onNode('ubuntu02', 'ss', '-Hltn');
    expect(onNode.stdout).not.toMatch(/:80\s/);
    // the image's ports belong to its server program: told to run something else, it serves nothing
    const idle = await pl.runPod('ubuntu02', { name: 'idle', image: 'httpd', command: ['sleep', '600'] });
    const refused = await pl.onNode(
      'ubuntu02',
      'curl',
      '-s',
      '--max-time',
      '2',
      `http://${idle.sandbox.ip}/`,
    );
    expect(refused.code).toBe(7); // curl: couldn't connect
    await idle.runtime.removeSandbox(idle.sandbox.id);
  });

  it('serve_hostname answers its pod name on 9376', async () => {
    const name = 'hostnames-7c9b9f4d5-xk2lp';
    const pod = await pl.runPod('ubuntu03', { name, image: 'k8s.gcr.io/serve_hostname' });
    expect(pod.sandbox.ip).toMatch(/^10\.244\.2\.\d+$/);
    const r = await pl.onNode('ubuntu03', 'curl', '-s', '--max-time', '2', `http://${pod.sandbox.ip}:9376/`);
    expect(r.stdout).toBe(name);
    expect(pod.logs()).toMatch(/HTTP request from 10\.244\.2\.1:\d+/);
    await pod.runtime.removeSandbox(pod.sandbox.id);
  });

  it("exec runs inside the pod: its hostname, eth0, the kubelet's resolv.conf and hosts file", async () => {
    expect(await pl.exec(client, ['hostname'])).toEqual({ code: 0, out: 'client\n' });
    const addr = await pl.exec(client, ['ip', 'addr']);
    expect(addr.out).toMatch(/^2: eth0@if\d+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 /m);
    expect(addr.out).toContain(`inet ${client.sandbox.ip}/24 brd 10.244.1.255 scope global eth0`);
    expect(addr.out).not.toContain('enp0s3');
    expect((await pl.exec(client, ['cat', '/etc/resolv.conf'])).out).toBe(
      `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${CLUSTER_DNS}\noptions ndots:5\n`,
    );
    const hosts = (await pl.exec(client, ['cat', '/etc/hosts'])).out;
    expect(hosts.split('\n')[0]).toBe('# Kubernetes-managed hosts file.');
    expect(hosts).toContain(`${client.sandbox.ip}\tclient\n`);
    expect((await pl.exec(client, ['cat', '/etc/hostname'])).out).toBe('client\n');
    // a fresh sysfs: the pod's devices only
    expect((await pl.exec(client, ['ls', '/sys/class/net'])).out.split(/\s+/).filter(Boolean).sort()).toEqual(
      ['eth0', 'lo'],
    );
  });

  it('exec propagates exit codes, with and without a terminal', async () => {
    expect((await pl.exec(client, ['sh', '-c', 'echo out; exit 3'])).code).toBe(3);
    let out = '';
    const proc = await client.runtime.exec(
      client.handle.id,
      {
        command: ['bash', '-c', 'tty; hostname; exit 4'],
        tty: true,
        stdin: true,
        size: { cols: 100, rows: 30 },
      },
      (_s, chunk) => {
        out += chunk.toString('utf8');
      },
    );
    expect(await proc.exited).toBe(4);
    expect(out).toMatch(/^\/dev\/pts\/\d+\r\nclient\r\n/);
  });

  it('runs an interactive tty container (kubectl run -it ... -- bash) inside the pod', async () => {
    const shell = await pl.runPod('ubuntu02', {
      name: 'tmp-shell',
      image: 'nicolaka/netshoot',
      command: ['bash'],
      tty: true,
      stdin: true,
    });
    shell.handle.writeStdin(Buffer.from('hostname; ip -o -4 addr show eth0; exit 5\n'));
    const exit = await shell.handle.exited;
    expect(exit.exitCode).toBe(5);
    expect(shell.logs()).toContain('tmp-shell\r\n');
    expect(shell.logs()).toContain(`inet ${shell.sandbox.ip}/24`);
    await shell.runtime.removeSandbox(shell.sandbox.id);
  });

  it("container exit codes and stop signals are the image's", async () => {
    const job = await pl.runPod('ubuntu02', {
      name: 'job',
      image: 'busybox',
      command: ['sh', '-c', 'hostname; exit 7'],
    });
    const exit = await job.handle.exited;
    expect(exit).toMatchObject({ exitCode: 7, reason: 'Error' });
    expect(job.logs()).toBe('job\n');
    await job.runtime.removeSandbox(job.sandbox.id);
    const stopped = await web.runtime.startContainer(
      web.sandbox.id,
      {
        name: 'second',
        image: (await web.runtime.pullImage('busybox')).image,
        command: ['sleep', '600'],
        env: [],
        stdin: false,
        stdinOnce: false,
        tty: false,
        attempt: 0,
      },
      () => {},
    );
    expect((await stopped.stop(1)).exitCode).toBe(137);
  });

  it('applies hairpinMode from the conflist to the host veth at creation only', async () => {
    const before = web.runtime.podNetwork(web.sandbox.id)!;
    expect(await hairpin('ubuntu02', before.hostVeth)).toBe('1');
    await pl.writeNodeFile('ubuntu02', FLANNEL_CONF, conflist(false));
    try {
      const later = await pl.runPod('ubuntu02', {
        name: 'later',
        image: 'busybox',
        command: ['sleep', '600'],
      });
      const net = later.runtime.podNetwork(later.sandbox.id)!;
      expect(net.hairpinMode).toBe(false);
      expect(await hairpin('ubuntu02', net.hostVeth)).toBe('0');
      // the pod made before the change keeps what it got
      expect(await hairpin('ubuntu02', before.hostVeth)).toBe('1');
      await later.runtime.removeSandbox(later.sandbox.id);
    } finally {
      await pl.writeNodeFile('ubuntu02', FLANNEL_CONF, conflist(true));
    }
  });

  it('keeps a pod ContainerCreating-style failing until flannel has written subnet.env', async () => {
    const runtime = pl.runtime('ubuntu01');
    const namespacesBefore = pl.sandbox.netnsNames().length;
    const attempt = () =>
      runtime.createSandbox(pl.sandboxConfig({ name: 'coredns-7db6d8ff4d-abcde', image: 'pause' }));
    await expect(attempt()).rejects.toThrow(new RuntimeError('StartError', 'cni plugin not initialized'));
    expect(await runtime.networkReady()).toEqual({
      ready: false,
      message: 'Network plugin returns error: cni plugin not initialized',
    });
    // flannel's init container ran, flanneld not yet
    await pl.flannel('ubuntu01', { subnet: false });
    expect(await runtime.networkReady()).toEqual({ ready: true });
    const err = await attempt().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toBe(
      'plugin type="flannel" failed (add): loadFlannelSubnetEnv failed: open /run/flannel/subnet.env: no such file or directory',
    );
    expect(pl.sandbox.netnsNames().length).toBe(namespacesBefore);
    await expect(stat(pl.lab.nodeFile('ubuntu01', '/var/lib/cni/networks/cbr0'))).rejects.toThrow();
    // flanneld wrote its lease
    await pl.writeNodeFile('ubuntu01', SUBNET_ENV, subnetEnv(0));
    const ok = await attempt();
    expect(ok.ip).toBe('10.244.0.2');
    await runtime.removeSandbox(ok.id);
  });

  it('refuses, as the bridge plugin does, when cni0 already has an address from another subnet', async () => {
    await pl.writeNodeFile('ubuntu03', SUBNET_ENV, subnetEnv(2).replace('10.244.2.1/24', '10.244.7.1/24'));
    try {
      const runtime = pl.runtime('ubuntu03');
      await expect(
        runtime.createSandbox(pl.sandboxConfig({ name: 'moved', image: 'pause' })),
      ).rejects.toThrow(
        'plugin type="flannel" failed (add): failed to delegate add: failed to set bridge addr: "cni0" already has an IP address different from 10.244.7.1/24',
      );
      const store = pl.lab.nodeFile('ubuntu03', '/var/lib/cni/networks/cbr0');
      expect((await readdir(store)).filter((f) => f.startsWith('10.'))).toEqual([]);
    } finally {
      await pl.writeNodeFile('ubuntu03', SUBNET_ENV, subnetEnv(2));
    }
  });

  it('probes from the node cross cni0: http, tcp and exec', async () => {
    const probe = (action: ProbeAction, timeout = 1) => web.runtime.probe(web.handle.id, action, timeout);
    const http = (path: string): ProbeAction => ({
      type: 'httpGet',
      scheme: 'HTTP',
      host: web.sandbox.ip,
      port: 80,
      path,
      headers: [],
    });
    expect(await probe(http('/'))).toEqual({ result: 'success', output: '' });
    expect(web.logs()).toMatch(/^10\.244\.1\.1 - - \[.+\] "GET \/ HTTP\/1\.1" 200 45$/m);
    expect(await probe(http('/healthz'))).toEqual({
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 404',
    });
    expect(await probe({ type: 'tcpSocket', host: web.sandbox.ip, port: 8080 })).toEqual({
      result: 'failure',
      output: `dial tcp ${web.sandbox.ip}:8080: connect: connection refused`,
    });
    expect(await probe({ type: 'tcpSocket', host: web.sandbox.ip, port: 80 })).toEqual({
      result: 'success',
      output: '',
    });
    expect(await probe({ type: 'exec', command: ['cat', '/etc/hostname'] })).toEqual({
      result: 'success',
      output: 'httpd-6d5c8b7f4-q2x8z\n',
    });
    // the node's own firewall sees the probe: dropping it there makes the probe time out
    const rule = ['OUTPUT', '-d', web.sandbox.ip, '-p', 'tcp', '--dport', '80', '-j', 'DROP'];
    await pl.onNode('ubuntu02', 'iptables', '-I', ...rule);
    try {
      expect(await probe(http('/'))).toEqual({
        result: 'failure',
        output: `Get "http://${web.sandbox.ip}:80/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      });
    } finally {
      await pl.onNode('ubuntu02', 'iptables', '-D', ...rule);
    }
  });

  it("runs hostNetwork pods in the node's namespace with the node's address and hostname", async () => {
    const before = pl.sandbox.netnsNames().length;
    const pod = await pl.runPod('ubuntu02', {
      name: 'kube-proxy-x7k2p',
      image: 'nicolaka/netshoot',
      command: ['sleep', '600'],
      hostNetwork: true,
    });
    expect(pod.sandbox.ip).toBe('192.168.56.12');
    expect(pl.sandbox.netnsNames().length).toBe(before);
    expect((await pl.exec(pod, ['hostname'])).out).toBe('ubuntu02\n');
    expect((await pl.exec(pod, ['ip', '-o', '-4', 'addr', 'show', 'enp0s3'])).out).toContain(
      '192.168.56.12/24',
    );
    const hosts = (await pl.exec(pod, ['cat', '/etc/hosts'])).out;
    expect(hosts.split('\n')[0]).toBe('# Kubernetes-managed hosts file (host network).');
    await pod.runtime.removeSandbox(pod.sandbox.id);
  });

  it('teardown leaves no veth, namespace, address or pod file behind', async () => {
    const runtime = pl.runtime('ubuntu02');
    const extra = await pl.runPod('ubuntu02', { name: 'extra', image: 'httpd' });
    const ids = [web.sandbox.id, client.sandbox.id, extra.sandbox.id];
    await Promise.all(ids.map((id) => runtime.removeSandbox(id)));
    const links = (await pl.onNode('ubuntu02', 'ip', '-o', 'link')).stdout;
    expect(links).not.toMatch(/veth/);
    expect(links).toContain('cni0'); // the bridge stays, as on a node
    expect(pl.sandbox.netnsNames().filter((n) => n.startsWith('cni-'))).toEqual([]);
    expect((await namespacesWithPrefix(pl.sandbox.prefix)).filter((n) => n.includes('cni-'))).toEqual([]);
    const store = pl.lab.nodeFile('ubuntu02', '/var/lib/cni/networks/cbr0');
    expect((await readdir(store)).filter((f) => f.startsWith('10.'))).toEqual([]);
    expect(await readdir(pl.lab.nodeFile('ubuntu02', '/var/lib/cni/flannel'))).toEqual([]);
    expect(
      await readdir(pl.lab.nodeFile('ubuntu02', '/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes')),
    ).toEqual([]);
    expect(await readdir(pl.lab.nodeFile('ubuntu02', '/var/lib/kubelet/pods'))).toEqual([]);
    const gone = await pl.onNode('ubuntu02', 'curl', '-s', '--max-time', '1', `http://${web.sandbox.ip}/`);
    expect(gone.code).not.toBe(0);
  });

  it('close() tears down every pod of the node, including one still being created', async () => {
    const runtime = pl.runtime('ubuntu03');
    await Promise.all([
      pl.runPod('ubuntu03', { name: 'a', image: 'httpd' }),
      pl.runPod('ubuntu03', { name: 'b', image: 'busybox', command: ['sleep', '600'] }),
    ]);
    const late = runtime.createSandbox(pl.sandboxConfig({ name: 'late', image: 'pause' })).then(
      () => 'created',
      (e: Error) => e.message,
    );
    await runtime.close();
    expect(await late).toBe('runtime is shut down');
    expect((await pl.onNode('ubuntu03', 'ip', '-o', 'link')).stdout).not.toMatch(/veth/);
    expect(pl.sandbox.netnsNames().filter((n) => n.startsWith('cni-'))).toEqual([]);
    const store = pl.lab.nodeFile('ubuntu03', '/var/lib/cni/networks/cbr0');
    expect((await readdir(store)).filter((f) => f.startsWith('10.'))).toEqual([]);
    await expect(runtime.createSandbox(pl.sandboxConfig({ name: 'after', image: 'pause' }))).rejects.toThrow(
      'runtime is shut down',
    );
  });
});
