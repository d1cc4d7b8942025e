/**
 * Everything the kind driver pulls, pinned. The node image is the one kind v0.30.0 was released
 * with for Kubernetes 1.32 (kind supports a node image with the kind release that built it; the
 * digest guarantees that build). flannel is the v0.28.0 release manifest's pair of images.
 * Workload images are the ones the seeds name, at fixed tags.
 */

/** The kind release the node image was built for; older kind releases may not boot it. */
export const KIND_VERSION = 'v0.30.0';

export const NODE_IMAGE =
  'kindest/node:v1.32.8@sha256:abd489f042d2b644e2d033f5c2d900bc707798d075e8186cb65e3f1367a9d5a1';

/** Kubernetes version of NODE_IMAGE (kubectl should be within one minor version of it). */
export const KUBERNETES_VERSION = 'v1.32.8';

export const FLANNEL_VERSION = 'v0.28.0';
export const FLANNEL_IMAGE = `ghcr.io/flannel-io/flannel:${FLANNEL_VERSION}`;
export const FLANNEL_CNI_PLUGIN_IMAGE = 'ghcr.io/flannel-io/flannel-cni-plugin:v1.8.0-flannel1';

/** Seed 000's `httpd` Deployment: Apache answering "It works!". */
export const HTTPD_IMAGE = 'docker.io/library/httpd:2.4.63';
/** Seed 002's `hostnames` Deployment: answers its pod name on 9376. */
export const SERVE_HOSTNAME_IMAGE = 'registry.k8s.io/serve_hostname:v1.4';

/** Docker Engine release that introduced `--gw-priority` (API 1.48). */
export const DOCKER_MIN_VERSION = '28.0.0';
