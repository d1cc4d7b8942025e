/**
 * The API objects a netns lab starts with, as a kubeadm cluster with flannel has them: the flannel
 * addon (labs/addons/kube-flannel.yml with the topology's pod network and the environment's args),
 * kube-proxy (DaemonSet + ConfigMap), CoreDNS (Deployment + ConfigMap + the kube-dns Service), the
 * control-plane static pods, and the seed workloads. Everything here is plain data; the driver
 * creates it through the store, as `kubectl apply` would.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { kubeadmCorefile } from '../../agents/coredns/corefile.ts';
import type { KObject } from '../../kube/object.ts';
import type { NodeSpec, Topology } from '../../topology/types.ts';
import type { NetnsEnvironmentSettings, SeedWorkload } from './settings.ts';

/** YAML as Go's encoder writes it (kubeadm's files): sequences not indented under their key. */
const toYaml = (value: unknown): string => stringify(value, { indentSeq: false });

const FLANNEL_MANIFEST = new URL('../../addons/kube-flannel.yml', import.meta.url);
export const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.11.3';
export const ETCD_IMAGE = 'registry.k8s.io/etcd:3.5.16-0';

let flannelDocs: KObject[] | undefined;

/** The addon's documents, parsed once per process (a fresh copy each call). */
function flannelManifest(): KObject[] {
  flannelDocs ??= parseAllDocuments(readFileSync(FLANNEL_MANIFEST, 'utf8'))
    .map((d) => d.toJS() as KObject | null)
    .filter((d): d is KObject => !!d && typeof d === 'object' && !!d.kind);
  return structuredClone(flannelDocs);
}

/**
 * kube-flannel.yml for this lab: net-conf.json's Network is the topology's pod network (edited in
 * place, so the file keeps its layout) and the kube-flannel container gets `args`.
 */
export function flannelObjects(topology: Topology, args: readonly string[]): KObject[] {
  const docs = flannelManifest();
  for (const doc of docs) {
    if (doc.kind === 'ConfigMap' && doc.metadata.name === 'kube-flannel-cfg') {
      const text = String(doc.data?.['net-conf.json'] ?? '');
      doc.data['net-conf.json'] = text.replace(
        /("Network"\s*:\s*")[^"]*(")/,
        `$1${topology.cluster.podCIDR}$2`,
      );
    }
    if (doc.kind === 'DaemonSet' && doc.metadata.name === 'kube-flannel-ds') {
      const c = doc.spec.template.spec.containers.find((x: { name: string }) => x.name === 'kube-flannel');
      c.args = [...args];
    }
  }
  return docs;
}

/** The kube-flannel container's args in a (possibly edited) DaemonSet. */
export function flannelArgsOf(ds: KObject): string[] | undefined {
  const c = ds.spec?.template?.spec?.containers?.find((x: { name: string }) => x.name === 'kube-flannel');
  return c?.args;
}

/** KubeProxyConfiguration as kubeadm writes it into ConfigMap kube-system/kube-proxy. */
export function kubeProxyConfigConf(topology: Topology): string {
  return toYaml({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    bindAddress: '0.0.0.0',
    bindAddressHardFail: false,
    clientConnection: {
      acceptContentTypes: '',
      burst: 0,
      contentType: '',
      kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf',
      qps: 0,
    },
    clusterCIDR: topology.cluster.kubeProxy.clusterCIDR ?? '',
    configSyncPeriod: '0s',
    conntrack: {
      maxPerCore: null,
      min: null,
      tcpBeLiberal: false,
      tcpCloseWaitTimeout: null,
      tcpEstablishedTimeout: null,
      udpStreamTimeout: '0s',
      udpTimeout: '0s',
    },
    detectLocal: { bridgeInterface: '', interfaceNamePrefix: '' },
    detectLocalMode: '',
    enableProfiling: false,
    healthzBindAddress: '',
    hostnameOverride: '',
    iptables: {
      localhostNodePorts: null,
      masqueradeAll: false,
      masqueradeBit: null,
      minSyncPeriod: '0s',
      syncPeriod: '0s',
    },
    ipvs: {
      excludeCIDRs: null,
      minSyncPeriod: '0s',
      scheduler: '',
      strictARP: false,
      syncPeriod: '0s',
      tcpFinTimeout: '0s',
      tcpTimeout: '0s',
      udpTimeout: '0s',
    },
    kind: 'KubeProxyConfiguration',
    logging: {
      flushFrequency: 0,
      options: { json: { infoBufferSize: '0' }, text: { infoBufferSize: '0' } },
      verbosity: 0,
    },
    metricsBindAddress: '',
    mode: 'iptables',
    nftables: { masqueradeAll: false, masqueradeBit: null, minSyncPeriod: '0s', syncPeriod: '0s' },
    nodePortAddresses: null,
    oomScoreAdj: null,
    portRange: '',
    showHiddenMetricsForAlphaFeatures: false,
    winkernel: {
      enableDSR: false,
      forwardHealthCheckVip: false,
      networkName: '',
      rootHnsEndpointName: '',
      sourceVip: '',
    },
  });
}

function apiserverURL(topology: Topology): string {
  const first = topology.cluster.apiserver.endpoints[0];
  return `https://${first?.address ?? '127.0.0.1'}:${topology.cluster.apiserver.port}`;
}

export function kubeProxyObjects(topology: Topology, version: string): KObject[] {
  const kubeconfig = toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        cluster: {
          'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
          server: apiserverURL(topology),
        },
        name: 'default',
      },
    ],
    contexts: [{ context: { cluster: 'default', namespace: 'default', user: 'default' }, name: 'default' }],
    'current-context': 'default',
    users: [{ name: 'default', user: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }],
  });
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'kube-proxy', namespace: 'kube-system' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { app: 'kube-proxy' } },
      data: { 'config.conf': kubeProxyConfigConf(topology), 'kubeconfig.conf': kubeconfig },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
      spec: {
        selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels: { 'k8s-app': 'kube-proxy' } },
          spec: {
            containers: [
              {
                name: 'kube-proxy',
                image: `registry.k8s.io/kube-proxy:${version}`,
                imagePullPolicy: 'IfNotPresent',
                command: [
                  '/usr/local/bin/kube-proxy',
                  '--config=/var/lib/kube-proxy/config.conf',
                  '--hostname-override=$(NODE_NAME)',
                ],
                env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
                securityContext: { privileged: true },
                volumeMounts: [
                  { name: 'kube-proxy', mountPath: '/var/lib/kube-proxy' },
                  { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
                  { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true },
                ],
              },
            ],
            hostNetwork: true,
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            priorityClassName: 'system-node-critical',
            serviceAccountName: 'kube-proxy',
            tolerations: [{ operator: 'Exists' }],
            volumes: [
              { name: 'kube-proxy', configMap: { name: 'kube-proxy' } },
              { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
              { name: 'lib-modules', hostPath: { path: '/lib/modules' } },
            ],
          },
        },
      },
    },
  ];
}

export function corednsObjects(topology: Topology, replicas: number): KObject[] {
  const domain = topology.cluster.dnsDomain;
  const labels = { 'k8s-app': 'kube-dns' };
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'coredns', namespace: 'kube-system' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns', namespace: 'kube-system' },
      data: { Corefile: kubeadmCorefile(domain) },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system', labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: 'coredns',
            tolerations: [
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
            ],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [
              {
                name: 'coredns',
                image: COREDNS_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
                args: ['-conf', '/etc/coredns/Corefile'],
                volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
                ports: [
                  { containerPort: 53, name: 'dns', protocol: 'UDP' },
                  { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                  { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
                ],
                livenessProbe: {
                  httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
                  initialDelaySeconds: 60,
                  timeoutSeconds: 5,
                  successThreshold: 1,
                  failureThreshold: 5,
                },
                readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                  readOnlyRootFilesystem: true,
                },
              },
            ],
            dnsPolicy: 'Default',
            volumes: [
              {
                name: 'config-volume',
                configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kube-dns',
        namespace: 'kube-system',
        labels: { ...labels, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
        annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
      },
      spec: {
        selector: labels,
        clusterIP: topology.cluster.dnsIP,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
      },
    },
  ];
}

export interface StaticPod {
  /** File name under /etc/kubernetes/manifests. */
  file: string;
  /** The pod as the manifest states it (no node binding, no mirror annotations). */
  manifest: KObject;
}

/** kubeadm's four control-plane static pods for one control-plane node. */
export function staticPods(topology: Topology, node: NodeSpec, version: string): StaticPod[] {
  const c = topology.cluster;
  const advertise = c.apiserver.endpoints.find((e) => e.node === node.name)?.address ?? '127.0.0.1';
  const port = c.apiserver.port;
  const pod = (component: string, image: string, command: string[], extra: Record<string, unknown> = {}) => ({
    file: `${component}.yaml`,
    manifest: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: component,
        namespace: 'kube-system',
        labels: { component, tier: 'control-plane' },
        ...extra,
      },
      spec: {
        containers: [
          {
            name: component,
            image,
            imagePullPolicy: 'IfNotPresent',
            command,
            resources: { requests: { cpu: component === 'kube-apiserver' ? '250m' : '100m' } },
          },
        ],
        hostNetwork: true,
        priority: 2000001000,
        priorityClassName: 'system-node-critical',
        securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      },
    } as KObject,
  });
  return [
    pod(
      'etcd',
      ETCD_IMAGE,
      [
        'etcd',
        `--advertise-client-urls=https://${advertise}:2379`,
        '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
        '--client-cert-auth=true',
        '--data-dir=/var/lib/etcd',
        `--initial-advertise-peer-urls=https://${advertise}:2380`,
        `--initial-cluster=${node.name}=https://${advertise}:2380`,
        '--key-file=/etc/kubernetes/pki/etcd/server.key',
        `--listen-client-urls=https://127.0.0.1:2379,https://${advertise}:2379`,
        `--listen-peer-urls=https://${advertise}:2380`,
        `--name=${node.name}`,
        '--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
      ],
      { annotations: { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': `https://${advertise}:2379` } },
    ),
    pod(
      'kube-apiserver',
      `registry.k8s.io/kube-apiserver:${version}`,
      [
        'kube-apiserver',
        `--advertise-address=${advertise}`,
        '--allow-privileged=true',
        '--authorization-mode=Node,RBAC',
        '--client-ca-file=/etc/kubernetes/pki/ca.crt',
        '--enable-admission-plugins=NodeRestriction',
        '--enable-bootstrap-token-auth=true',
        '--etcd-servers=https://127.0.0.1:2379',
        `--secure-port=${port}`,
        `--service-account-issuer=https://kubernetes.default.svc.${c.dnsDomain}`,
        `--service-cluster-ip-range=${c.serviceCIDR}`,
        '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
        '--tls-private-key-file=/etc/kubernetes/pki/apiserver.key',
      ],
      {
        annotations: {
          'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${advertise}:${port}`,
        },
      },
    ),
    pod('kube-controller-manager', `registry.k8s.io/kube-controller-manager:${version}`, [
      'kube-controller-manager',
      '--allocate-node-cidrs=true',
      '--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--bind-address=127.0.0.1',
      `--cluster-cidr=${c.podCIDR}`,
      '--cluster-name=kubernetes',
      '--controllers=*,bootstrapsigner,tokencleaner',
      '--kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--leader-elect=true',
      `--node-cidr-mask-size=${c.nodeCIDRMaskSize}`,
      `--service-cluster-ip-range=${c.serviceCIDR}`,
      '--use-service-account-credentials=true',
    ]),
    pod('kube-scheduler', `registry.k8s.io/kube-scheduler:${version}`, [
      'kube-scheduler',
      '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--authorization-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--bind-address=127.0.0.1',
      '--kubeconfig=/etc/kubernetes/scheduler.conf',
      '--leader-elect=true',
    ]),
  ];
}

/**
 * The mirror pod the kubelet creates in the API for a static pod: named after the node, bound to
 * it, owned by the Node, with the file source annotations.
 */
export function mirrorPod(sp: StaticPod, node: { name: string; uid: string }, seenAt: Date): KObject {
  const pod = structuredClone(sp.manifest);
  const hash = createHash('md5').update(JSON.stringify(sp.manifest)).digest('hex');
  pod.metadata.name = `${sp.manifest.metadata.name}-${node.name}`;
  pod.metadata.annotations = {
    ...pod.metadata.annotations,
    'kubernetes.io/config.hash': hash,
    'kubernetes.io/config.mirror': hash,
    // Go's RFC3339Nano as the kubelet writes it: nanoseconds (here the milliseconds, padded).
    'kubernetes.io/config.seen': seenAt.toISOString().replace('Z', '000000Z'),
    'kubernetes.io/config.source': 'file',
  };
  pod.metadata.ownerReferences = [
    { apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid, controller: true },
  ];
  pod.spec.nodeName = node.name;
  pod.spec.tolerations = [{ operator: 'Exists', effect: 'NoExecute' }];
  return pod;
}

export function staticPodYaml(sp: StaticPod): string {
  return toYaml({ ...sp.manifest, status: {} });
}

/** The seed workloads: 000's httpd with httpd-svc, 002's hostnames with its Service. */
export function workloadObjects(which: readonly SeedWorkload[]): KObject[] {
  const out: KObject[] = [];
  const deployment = (
    name: string,
    labels: Record<string, string>,
    image: string,
    port: number,
  ): KObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name, image, ports: [{ containerPort: port, protocol: 'TCP' }] }] },
      },
    },
  });
  if (which.includes('httpd')) {
    out.push(deployment('httpd', { run: 'httpd' }, 'httpd', 80), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'httpd-svc', namespace: 'default' },
      spec: { selector: { run: 'httpd' }, ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }] },
    });
  }
  if (which.includes('hostnames')) {
    out.push(deployment('hostnames', { app: 'hostnames' }, 'registry.k8s.io/serve_hostname', 9376), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hostnames', namespace: 'default' },
      spec: {
        selector: { app: 'hostnames' },
        ports: [{ name: 'default', port: 80, targetPort: 9376, protocol: 'TCP' }],
      },
    });
  }
  return out;
}

/** Every addon object of a lab, in the order `kubectl apply` of kubeadm's output would create them. */
export function addonObjects(topology: Topology, settings: NetnsEnvironmentSettings): KObject[] {
  return [
    ...kubeProxyObjects(topology, settings.kubernetesVersion),
    ...corednsObjects(topology, settings.corednsReplicas),
    ...flannelObjects(topology, settings.flannelArgs),
  ];
}

/** Images the nodes have before anything runs (kubeadm pulls the control plane's at init). */
export function prePulledImages(settings: NetnsEnvironmentSettings, controlPlane: boolean): string[] {
  const v = settings.kubernetesVersion;
  const common = [`registry.k8s.io/kube-proxy:${v}`];
  if (!controlPlane) return common;
  return [
    ...common,
    `registry.k8s.io/kube-apiserver:${v}`,
    `registry.k8s.io/kube-controller-manager:${v}`,
    `registry.k8s.io/kube-scheduler:${v}`,
    ETCD_IMAGE,
    COREDNS_IMAGE,
  ];
}
