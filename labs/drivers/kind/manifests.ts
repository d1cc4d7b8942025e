/**
 * What the kind driver applies with kubectl: flannel (the project's kube-flannel.yml, with the
 * pinned release images, the environment's pod network and the environment's flanneld args), the
 * seed workloads with real images, and the kube-proxy change that takes the cluster CIDR away.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import type { Topology } from '../../topology/types.ts';
import type { SeedWorkload } from './settings.ts';
import {
  FLANNEL_CNI_PLUGIN_IMAGE,
  FLANNEL_IMAGE,
  FLANNEL_VERSION,
  HTTPD_IMAGE,
  SERVE_HOSTNAME_IMAGE,
} from './versions.ts';

const FLANNEL_MANIFEST = new URL('../../addons/kube-flannel.yml', import.meta.url);

type Obj = Record<string, unknown> & {
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
};
interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: { name: string; value?: string }[];
}

function toYamlStream(docs: unknown[]): string {
  return docs.map((d) => `---\n${stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}

/**
 * kube-flannel.yml for a kind lab: the same objects as the netns labs use, with the images of the
 * pinned flannel release (and the env its manifest adds), net-conf.json's Network = podSubnet.
 */
export function flannelManifest(t: Topology, args: readonly string[]): string {
  const docs = parseAllDocuments(readFileSync(FLANNEL_MANIFEST, 'utf8')).map((d) => d.toJS() as Obj | null);
  const out: Obj[] = [];
  for (const doc of docs) {
    if (!doc) continue;
    if (doc.kind === 'ConfigMap' && doc.metadata?.name === 'kube-flannel-cfg' && doc.data) {
      const net = JSON.parse(doc.data['net-conf.json']) as Record<string, unknown>;
      net.Network = t.cluster.podCIDR;
      doc.data['net-conf.json'] = `${JSON.stringify(net, null, 2)}\n`;
    }
    if (doc.kind === 'DaemonSet' && doc.metadata?.name === 'kube-flannel-ds') {
      const template = doc.spec?.template as
        | { spec: { initContainers: Container[]; containers: Container[] } }
        | undefined;
      if (!template) throw new Error('kube-flannel.yml: the DaemonSet has no pod template');
      const pod = template.spec;
      for (const c of pod.initContainers)
        c.image = c.name === 'install-cni-plugin' ? FLANNEL_CNI_PLUGIN_IMAGE : FLANNEL_IMAGE;
      for (const c of pod.containers) {
        if (c.name !== 'kube-flannel') continue;
        c.image = FLANNEL_IMAGE;
        c.args = [...args];
        // The release manifest of this flannel version sets it: wait for the node cache at start.
        c.env = [...(c.env ?? []).filter((e) => e.name !== 'CONT_WHEN_CACHE_NOT_READY')];
        c.env.push({ name: 'CONT_WHEN_CACHE_NOT_READY', value: 'false' });
      }
    }
    out.push(doc);
  }
  return `# flannel ${FLANNEL_VERSION} for a svc-labs kind lab (from labs/addons/kube-flannel.yml)\n${toYamlStream(out)}`;
}

function deployment(name: string, labels: Record<string, string>, image: string, port: number): Obj {
  return {
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
  };
}

/** The seed workloads: 000's httpd with httpd-svc, 002's hostnames with its Service. */
export function workloadsManifest(which: readonly SeedWorkload[]): string | undefined {
  const docs: Obj[] = [];
  if (which.includes('httpd'))
    docs.push(deployment('httpd', { run: 'httpd' }, HTTPD_IMAGE, 80), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'httpd-svc', namespace: 'default' },
      spec: { selector: { run: 'httpd' }, ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }] },
    });
  if (which.includes('hostnames'))
    docs.push(deployment('hostnames', { app: 'hostnames' }, SERVE_HOSTNAME_IMAGE, 9376), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hostnames', namespace: 'default' },
      spec: {
        selector: { app: 'hostnames' },
        ports: [{ name: 'default', port: 80, targetPort: 9376, protocol: 'TCP' }],
      },
    });
  return docs.length > 0 ? `# seed workloads (svc-labs kind lab)\n${toYamlStream(docs)}` : undefined;
}

/** The sed program that empties `clusterCIDR:` in `kubectl get configmap kube-proxy -o yaml`. */
export const CLUSTER_CIDR_SED = 's/^\\( *clusterCIDR:\\).*$/\\1 ""/';

/**
 * A shell script (for `sh -eu`) that empties kube-proxy's clusterCIDR in ConfigMap
 * kube-system/kube-proxy (kubeadm filled it from podSubnet) and checks that it took. `kubectl`
 * is the full command prefix, e.g. `kubectl --kubeconfig /path`.
 */
export function kubeProxyNoClusterCidrScript(kubectl: string): string {
  return [
    `${kubectl} -n kube-system get configmap kube-proxy -o yaml \\`,
    `  | sed '${CLUSTER_CIDR_SED}' \\`,
    `  | ${kubectl} replace -f -`,
    `${kubectl} -n kube-system get configmap kube-proxy -o 'jsonpath={.data.config\\.conf}' | grep -q '^ *clusterCIDR: ""$'`,
    '',
  ].join('\n');
}
