/**
 * The images of a cluster's own components: flannel and its CNI plugin installer, kube-proxy,
 * CoreDNS and the kubeadm control plane (kube-apiserver, etcd, kube-controller-manager,
 * kube-scheduler). Their programs are idle placeholders: on a netns lab the work is done by agents
 * inside the lab daemon (labs/agents), which the netns driver starts beside the placeholder and
 * whose log lines it routes to the container. A placeholder gives the container a real process to
 * `kubectl exec` into, with the tools the real image ships.
 *
 * Registered through `registerSystemImages`, so the built-in catalog stays as it is for runtimes
 * that do not run these components.
 */
import type { ImageCatalog, ImageDefinition, ProgramContext, ProgramImitation } from './catalog.ts';
import { dq, idleScript } from './script.ts';

/** What an Alpine-based image with iptables and iproute2 has (flannel). */
const FLANNEL_TOOLS = [
  'sh',
  'ash',
  'cat',
  'cp',
  'ls',
  'echo',
  'env',
  'grep',
  'sed',
  'awk',
  'head',
  'tail',
  'sleep',
  'ps',
  'mkdir',
  'rm',
  'mv',
  'true',
  'false',
  'test',
  'hostname',
  'date',
  'ip',
  'bridge',
  'iptables',
  'iptables-save',
  'iptables-restore',
  'iptables-legacy',
  'iptables-nft',
  'ip6tables',
];

/** kube-proxy's distroless-iptables base: the netfilter tools and little else. */
const KUBE_PROXY_TOOLS = [
  'iptables',
  'iptables-save',
  'iptables-restore',
  'iptables-legacy',
  'iptables-legacy-save',
  'iptables-legacy-restore',
  'iptables-nft',
  'iptables-nft-save',
  'iptables-nft-restore',
  'ip6tables',
  'conntrack',
  'ipset',
];

/**
 * A program that prints `lines` (to stderr, where Go programs log) and idles until SIGTERM or
 * SIGINT, then exits 0 as a Go server does after a clean shutdown.
 */
function placeholder(lines: (ctx: ProgramContext) => string[] = () => []): ProgramImitation {
  return (ctx) => ({
    script: idleScript({
      busybox: ctx.busybox,
      startup: lines(ctx).map((l) => ['stderr', dq(l)] as ['stderr', string]),
      onSignal: [{ signals: ['TERM', 'INT'], exitCode: 0 }],
    }),
  });
}

/** klog's header for a line written now by thread 1 (the form control-plane components log in). */
function klog(ctx: ProgramContext, source: string, message: string): string {
  const t = ctx.now;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const micros = t.getUTCMilliseconds() * 1000;
  return `I${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}.${p(micros, 6)}       1 ${source}] ${message}`;
}

function flag(args: string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const silent = placeholder();

export const flannelImage: ImageDefinition = {
  repositories: ['ghcr.io/flannel-io/flannel', 'docker.io/flannel/flannel', 'quay.io/coreos/flannel'],
  sizeBytes: 33_113_574,
  entrypoint: ['/opt/bin/flanneld'],
  cmd: [],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'host', only: FLANNEL_TOOLS },
  programs: { '/opt/bin/flanneld': silent, flanneld: silent },
};

export const flannelCniPluginImage: ImageDefinition = {
  repositories: ['ghcr.io/flannel-io/flannel-cni-plugin', 'docker.io/flannel/flannel-cni-plugin'],
  sizeBytes: 4_856_012,
  entrypoint: [],
  cmd: ['/bin/sh'],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'busybox' },
};

export const kubeProxyImage: ImageDefinition = {
  repositories: ['registry.k8s.io/kube-proxy', 'k8s.gcr.io/kube-proxy'],
  sizeBytes: 30_229_582,
  entrypoint: ['/go-runner'],
  cmd: [],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'host', only: KUBE_PROXY_TOOLS },
  programs: {
    '/go-runner': (ctx) => ({ argv: ctx.args.length ? ctx.args : ['/usr/local/bin/kube-proxy'] }),
    '/usr/local/bin/kube-proxy': silent,
    'kube-proxy': silent,
  },
};

export const corednsImage: ImageDefinition = {
  repositories: [
    'registry.k8s.io/coredns/coredns',
    'k8s.gcr.io/coredns/coredns',
    'k8s.gcr.io/coredns',
    'docker.io/coredns/coredns',
  ],
  sizeBytes: 18_562_039,
  entrypoint: ['/coredns'],
  cmd: [],
  env: {},
  workingDir: '/',
  // distroless: nothing to exec into but the server itself
  toolbox: { kind: 'host', only: [] },
  stopSignal: 'SIGTERM',
  programs: { '/coredns': silent, coredns: silent },
};

const apiserverProgram = silent;

export const kubeApiserverImage: ImageDefinition = {
  repositories: ['registry.k8s.io/kube-apiserver', 'k8s.gcr.io/kube-apiserver'],
  sizeBytes: 28_653_328,
  entrypoint: ['/go-runner'],
  cmd: [],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'host', only: [] },
  programs: {
    '/go-runner': (ctx) => ({ argv: ctx.args.length ? ctx.args : ['kube-apiserver'] }),
    'kube-apiserver': apiserverProgram,
    '/usr/local/bin/kube-apiserver': apiserverProgram,
  },
};

const etcdProgram = placeholder((ctx) => {
  const name = flag(ctx.args, 'name') ?? ctx.hostname;
  const clients = flag(ctx.args, 'listen-client-urls') ?? 'https://127.0.0.1:2379';
  const ts = ctx.now.toISOString();
  const line = (caller: string, msg: string, extra = '') =>
    `{"level":"info","ts":"${ts}","caller":"${caller}","msg":"${msg}"${extra}}`;
  return [
    line('etcdmain/etcd.go:73', 'Running: ', `,"args":${JSON.stringify(['etcd', ...ctx.args])}`),
    line(
      'embed/etcd.go:128',
      'configuring peer listeners',
      `,"listen-peer-urls":["https://${ctx.podIP}:2380"]`,
    ),
    line(
      'etcdserver/server.go:2062',
      'published local member to cluster through raft',
      `,"local-member-attributes":"{Name:${name} ClientURLs:[https://${ctx.podIP}:2379]}"`,
    ),
    line(
      'embed/serve.go:250',
      'serving client traffic securely',
      `,"traffic":"grpc+http","address":"${clients.split(',')[0].replace(/^https?:\/\//, '')}"`,
    ),
  ];
});

export const etcdImage: ImageDefinition = {
  repositories: ['registry.k8s.io/etcd', 'k8s.gcr.io/etcd'],
  sizeBytes: 57_680_541,
  entrypoint: ['/usr/local/bin/etcd'],
  cmd: [],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'host', only: [] },
  programs: { etcd: etcdProgram, '/usr/local/bin/etcd': etcdProgram },
};

const controllerManagerProgram = placeholder((ctx) => [
  klog(ctx, 'serving.go:386', 'Generated self-signed cert in-memory'),
  klog(ctx, 'controllermanager.go:208', '"Starting" version="v1.32.4"'),
  klog(ctx, 'secure_serving.go:213', 'Serving securely on 127.0.0.1:10257'),
  klog(
    ctx,
    'leaderelection.go:257',
    'attempting to acquire leader lease kube-system/kube-controller-manager...',
  ),
  klog(ctx, 'leaderelection.go:271', 'successfully acquired lease kube-system/kube-controller-manager'),
]);

export const kubeControllerManagerImage: ImageDefinition = {
  repositories: ['registry.k8s.io/kube-controller-manager', 'k8s.gcr.io/kube-controller-manager'],
  sizeBytes: 26_258_334,
  entrypoint: ['/go-runner'],
  cmd: [],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'host', only: [] },
  programs: {
    '/go-runner': (ctx) => ({ argv: ctx.args.length ? ctx.args : ['kube-controller-manager'] }),
    'kube-controller-manager': controllerManagerProgram,
    '/usr/local/bin/kube-controller-manager': controllerManagerProgram,
  },
};

const schedulerProgram = placeholder((ctx) => [
  klog(ctx, 'serving.go:386', 'Generated self-signed cert in-memory'),
  klog(ctx, 'server.go:167', '"Starting Kubernetes Scheduler" version="v1.32.4"'),
  klog(ctx, 'secure_serving.go:213', 'Serving securely on 127.0.0.1:10259'),
  klog(ctx, 'leaderelection.go:257', 'attempting to acquire leader lease kube-system/kube-scheduler...'),
  klog(ctx, 'leaderelection.go:271', 'successfully acquired lease kube-system/kube-scheduler'),
]);

export const kubeSchedulerImage: ImageDefinition = {
  repositories: ['registry.k8s.io/kube-scheduler', 'k8s.gcr.io/kube-scheduler'],
  sizeBytes: 20_658_371,
  entrypoint: ['/go-runner'],
  cmd: [],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'host', only: [] },
  programs: {
    '/go-runner': (ctx) => ({ argv: ctx.args.length ? ctx.args : ['kube-scheduler'] }),
    'kube-scheduler': schedulerProgram,
    '/usr/local/bin/kube-scheduler': schedulerProgram,
  },
};

export const SYSTEM_IMAGES: readonly ImageDefinition[] = [
  flannelImage,
  flannelCniPluginImage,
  kubeProxyImage,
  corednsImage,
  kubeApiserverImage,
  etcdImage,
  kubeControllerManagerImage,
  kubeSchedulerImage,
];

/** Add the cluster components' images to a catalog (returned for chaining). */
export function registerSystemImages(catalog: ImageCatalog): ImageCatalog {
  for (const def of SYSTEM_IMAGES) catalog.register(def);
  return catalog;
}
