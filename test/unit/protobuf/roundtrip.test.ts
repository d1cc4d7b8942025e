import { describe, expect, it } from 'vitest';
import {
  decodeEnvelope,
  decodeKubernetesProtobuf,
  decodeMessage,
  PROTOBUF_MAGIC,
  ProtobufError,
} from '../../../labs/apiserver/protobuf/decode.ts';
import { encodeKubernetesProtobuf, encodeMessage } from '../../../labs/apiserver/protobuf/encode.ts';
import { WIRE_VARINT, Writer } from '../../../labs/apiserver/protobuf/wire.ts';

type Obj = Record<string, unknown>;

function roundTrip(obj: Obj): Obj {
  return decodeKubernetesProtobuf(encodeKubernetesProtobuf(obj));
}

const T1 = '2024-05-01T10:20:30Z';
const T2 = '2024-05-01T10:21:00Z';
const selector = {
  matchLabels: { app: 'web' },
  matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }],
};

const fullPod: Obj = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: {
    name: 'web-0',
    namespace: 'shop',
    uid: '6f1c7a3e-0000-4000-8000-000000000001',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: T1,
    labels: { app: 'web' },
    annotations: { note: 'x' },
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-1',
        uid: 'u-rs',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
    finalizers: ['example.com/keep'],
  },
  spec: {
    volumes: [
      { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
      {
        name: 'cfg',
        configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.txt', mode: 420 }], defaultMode: 292 },
      },
      { name: 'sec', secret: { secretName: 'tls', optional: false } },
      { name: 'claim', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
      {
        name: 'info',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
            {
              path: 'cpu',
              resourceFieldRef: { containerName: 'web', resource: 'limits.cpu', divisor: '1m' },
            },
          ],
        },
      },
      {
        name: 'token',
        projected: {
          sources: [
            { serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } },
            { configMap: { name: 'ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          ],
          defaultMode: 420,
        },
      },
    ],
    initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], resources: {} }],
    containers: [
      {
        name: 'web',
        image: 'httpd:2.4',
        args: ['-D', 'FOREGROUND'],
        workingDir: '/srv',
        ports: [
          { name: 'http', containerPort: 80, protocol: 'TCP' },
          { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' },
        ],
        envFrom: [
          { prefix: 'CFG_', configMapRef: { name: 'cfg' } },
          { secretRef: { name: 'sec', optional: true } },
        ],
        env: [
          { name: 'MODE', value: 'prod' },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'a' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'sec', key: 'b', optional: false } } },
        ],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
        volumeMounts: [
          { name: 'cfg', readOnly: true, mountPath: '/etc/cfg' },
          { name: 'scratch', mountPath: '/tmp', subPath: 'web' },
        ],
        livenessProbe: {
          httpGet: {
            path: '/healthz',
            port: 'http',
            scheme: 'HTTP',
            httpHeaders: [{ name: 'X-Probe', value: '1' }],
          },
          initialDelaySeconds: 3,
          periodSeconds: 10,
          failureThreshold: 3,
        },
        readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 1 },
        startupProbe: { exec: { command: ['cat', '/ready'] }, terminationGracePeriodSeconds: 0 },
        lifecycle: {
          postStart: { exec: { command: ['touch', '/started'] } },
          preStop: { sleep: { seconds: 5 } },
        },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
        securityContext: {
          capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
          privileged: false,
          runAsUser: 0,
          readOnlyRootFilesystem: true,
        },
        stdin: true,
        tty: true,
      },
      {
        name: 'grpc',
        image: 'grpc',
        readinessProbe: { grpc: { port: 9090, service: 'health' } },
        resources: {},
      },
    ],
    ephemeralContainers: [{ name: 'debug', image: 'busybox', targetContainerName: 'web', resources: {} }],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 0,
    dnsPolicy: 'None',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    serviceAccountName: 'web',
    automountServiceAccountToken: false,
    nodeName: 'node-a',
    hostNetwork: true,
    securityContext: {
      runAsNonRoot: true,
      fsGroup: 2000,
      sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }],
      seccompProfile: { type: 'RuntimeDefault' },
    },
    imagePullSecrets: [{ name: 'registry' }],
    hostname: 'web-0',
    subdomain: 'web',
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 10,
            preference: { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['b'] }] },
          },
        ],
      },
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: selector, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: { labelSelector: selector, namespaces: ['shop'], topologyKey: 'zone' },
          },
        ],
      },
    },
    schedulerName: 'default-scheduler',
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['db', 'db.local'] }],
    priority: 0,
    dnsConfig: {
      nameservers: ['10.96.0.10'],
      searches: ['shop.svc.cluster.local'],
      options: [{ name: 'ndots', value: '2' }],
    },
    enableServiceLinks: true,
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: selector,
        minDomains: 2,
      },
    ],
  },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: T2 },
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: T1 },
    ],
    hostIP: '192.168.1.10',
    hostIPs: [{ ip: '192.168.1.10' }],
    podIP: '10.244.1.7',
    podIPs: [{ ip: '10.244.1.7' }, { ip: 'fd00::7' }],
    startTime: T1,
    containerStatuses: [
      {
        name: 'web',
        state: { running: { startedAt: T2 } },
        lastState: {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: T1,
            finishedAt: T2,
            containerID: 'c://1',
          },
        },
        ready: false,
        restartCount: 0,
        image: 'httpd:2.4',
        imageID: 'sha256:abc',
        containerID: 'c://2',
        started: false,
      },
      {
        name: 'grpc',
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
        lastState: {},
        ready: false,
        restartCount: 7,
        image: 'grpc',
        imageID: '',
      },
    ],
    qosClass: 'Burstable',
  },
};

describe('round trips through the Kubernetes protobuf encoding', () => {
  it('keeps a Pod with the whole PodSpec and PodStatus surface intact', () => {
    expect(roundTrip(fullPod)).toEqual(fullPod);
  });

  it('writes apiVersion and kind into the runtime.Unknown envelope, not the raw message', () => {
    const body = encodeKubernetesProtobuf({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
    });
    expect([...body.subarray(0, 4)]).toEqual([...PROTOBUF_MAGIC]);
    const env = decodeEnvelope(body);
    expect(env).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      contentEncoding: '',
      contentType: '',
    });
    expect(decodeMessage(env.raw, 'io.k8s.api.apps.v1.Deployment')).toEqual({ metadata: { name: 'd' } });
  });

  const cases: [string, Obj][] = [
    [
      'a Service with load balancer status and conditions',
      {
        kind: 'Service',
        apiVersion: 'v1',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          ports: [
            { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 },
            { name: 'dns', protocol: 'UDP', appProtocol: 'dns', port: 53, targetPort: 5353 },
          ],
          selector: { app: 'web' },
          clusterIP: '10.96.0.20',
          clusterIPs: ['10.96.0.20'],
          type: 'LoadBalancer',
          externalIPs: ['203.0.113.9'],
          sessionAffinity: 'ClientIP',
          externalTrafficPolicy: 'Local',
          healthCheckNodePort: 31000,
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
          ipFamilies: ['IPv4'],
          ipFamilyPolicy: 'SingleStack',
          allocateLoadBalancerNodePorts: false,
          internalTrafficPolicy: 'Cluster',
        },
        status: {
          loadBalancer: {
            ingress: [{ ip: '198.51.100.1', ipMode: 'VIP', ports: [{ port: 80, protocol: 'TCP' }] }],
          },
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              lastTransitionTime: T1,
              reason: 'Synced',
              message: '',
              observedGeneration: 2,
            },
          ],
        },
      },
    ],
    [
      'a Node with taints, capacity, addresses and system info',
      {
        kind: 'Node',
        apiVersion: 'v1',
        metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } },
        spec: {
          podCIDR: '10.244.1.0/24',
          podCIDRs: ['10.244.1.0/24'],
          unschedulable: true,
          taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: T1 }],
        },
        status: {
          capacity: { cpu: '4', memory: '8Gi', pods: '110' },
          allocatable: { cpu: '3800m', memory: '7Gi', pods: '110' },
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              lastHeartbeatTime: T2,
              lastTransitionTime: T1,
              reason: 'KubeletReady',
              message: 'kubelet is posting ready status',
            },
          ],
          addresses: [
            { type: 'InternalIP', address: '192.168.1.10' },
            { type: 'Hostname', address: 'node-a' },
          ],
          daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
          nodeInfo: {
            machineID: 'm',
            systemUUID: 's',
            bootID: 'b',
            kernelVersion: '6.1.0',
            osImage: 'Debian GNU/Linux 12',
            containerRuntimeVersion: 'containerd://1.7.0',
            kubeletVersion: 'v1.32.4',
            kubeProxyVersion: '',
            operatingSystem: 'linux',
            architecture: 'amd64',
          },
          images: [{ names: ['httpd:2.4'], sizeBytes: 58_000_000 }],
        },
      },
    ],
    [
      'an EndpointSlice whose false conditions are kept (they are pointers)',
      {
        kind: 'EndpointSlice',
        apiVersion: 'discovery.k8s.io/v1',
        metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        endpoints: [
          {
            addresses: ['10.244.1.7'],
            conditions: { ready: false, serving: true, terminating: false },
            hostname: 'web-0',
            targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'u' },
            nodeName: 'node-a',
            zone: 'a',
            hints: { forZones: [{ name: 'a' }] },
          },
        ],
        ports: [{ name: 'http', protocol: 'TCP', port: 80, appProtocol: 'http' }],
      },
    ],
    [
      'Endpoints with ready and not-ready addresses',
      {
        kind: 'Endpoints',
        apiVersion: 'v1',
        metadata: { name: 'web' },
        subsets: [
          {
            addresses: [{ ip: '10.244.1.7', nodeName: 'node-a', targetRef: { kind: 'Pod', name: 'web-0' } }],
            notReadyAddresses: [{ ip: '10.244.2.8' }],
            ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
          },
        ],
      },
    ],
    [
      'an Event with microsecond times and a series',
      {
        kind: 'Event',
        apiVersion: 'v1',
        metadata: { name: 'web-0.17c', namespace: 'shop' },
        involvedObject: {
          kind: 'Pod',
          namespace: 'shop',
          name: 'web-0',
          uid: 'u',
          apiVersion: 'v1',
          fieldPath: 'spec.containers{web}',
        },
        reason: 'Pulled',
        message: 'Container image already present',
        source: { component: 'kubelet', host: 'node-a' },
        firstTimestamp: T1,
        lastTimestamp: T2,
        count: 2,
        type: 'Normal',
        eventTime: '2024-05-01T10:20:30.123456Z',
        series: { count: 2, lastObservedTime: '2024-05-01T10:21:00.000001Z' },
        reportingComponent: 'kubelet',
        reportingInstance: 'node-a',
      },
    ],
    [
      'a Lease',
      {
        kind: 'Lease',
        apiVersion: 'coordination.k8s.io/v1',
        metadata: { name: 'node-a', namespace: 'kube-node-lease' },
        spec: {
          holderIdentity: 'node-a',
          leaseDurationSeconds: 40,
          acquireTime: '2024-05-01T10:20:30.000000Z',
          renewTime: '2024-05-01T10:21:10.500000Z',
          leaseTransitions: 0,
        },
      },
    ],
    [
      'a SubjectAccessReview with extra values (a wrapped Go slice)',
      {
        kind: 'SubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: {},
        spec: {
          resourceAttributes: {
            namespace: 'shop',
            verb: 'get',
            group: 'apps',
            resource: 'deployments',
            subresource: 'scale',
          },
          user: 'alice',
          groups: ['dev', 'system:authenticated'],
          extra: { scopes: ['read', 'write'], empty: [] },
        },
        status: { allowed: false, denied: true, reason: 'no rule' },
      },
    ],
    [
      'a Secret with binary data',
      {
        kind: 'Secret',
        apiVersion: 'v1',
        metadata: { name: 'tls' },
        immutable: false,
        data: { 'tls.key': Buffer.from([0, 1, 2, 250, 255]).toString('base64'), empty: '' },
        stringData: { note: 'plain' },
        type: 'kubernetes.io/tls',
      },
    ],
    [
      'a ConfigMap with data and binaryData',
      {
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { name: 'cfg' },
        data: { 'a.txt': 'line 1\nline 2', 'ü.txt': 'ünïcode' },
        binaryData: { 'b.bin': 'AAEC' },
      },
    ],
    [
      'a Deployment with strategy and status',
      {
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        metadata: { name: 'web' },
        spec: {
          replicas: 0,
          selector,
          template: {
            metadata: { creationTimestamp: null, labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'httpd', resources: {} }] },
          },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
        },
        status: {
          observedGeneration: 4,
          replicas: 3,
          updatedReplicas: 3,
          readyReplicas: 2,
          availableReplicas: 2,
          unavailableReplicas: 1,
          conditions: [
            {
              type: 'Available',
              status: 'False',
              lastUpdateTime: T2,
              lastTransitionTime: T1,
              reason: 'MinimumReplicasUnavailable',
              message: 'Deployment does not have minimum availability.',
            },
          ],
          collisionCount: 0,
        },
      },
    ],
    [
      'a DaemonSet with its update strategy',
      {
        kind: 'DaemonSet',
        apiVersion: 'apps/v1',
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: { containers: [{ name: 'a', image: 'agent', resources: {} }] },
          },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } },
        },
        status: {
          currentNumberScheduled: 2,
          numberMisscheduled: 0,
          desiredNumberScheduled: 2,
          numberReady: 1,
          updatedNumberScheduled: 2,
          numberAvailable: 1,
          numberUnavailable: 1,
        },
      },
    ],
    [
      'a CronJob whose job template holds a pod template',
      {
        kind: 'CronJob',
        apiVersion: 'batch/v1',
        metadata: { name: 'tick' },
        spec: {
          schedule: '*/5 * * * *',
          timeZone: 'Etc/UTC',
          concurrencyPolicy: 'Forbid',
          suspend: false,
          jobTemplate: {
            metadata: {},
            spec: {
              backoffLimit: 0,
              completions: 1,
              template: {
                metadata: {},
                spec: {
                  restartPolicy: 'OnFailure',
                  containers: [{ name: 't', image: 'busybox', resources: {} }],
                },
              },
            },
          },
        },
        status: { active: [{ kind: 'Job', name: 'tick-1' }], lastScheduleTime: T1 },
      },
    ],
    [
      'a Job with conditions and counters',
      {
        kind: 'Job',
        apiVersion: 'batch/v1',
        metadata: { name: 'j' },
        spec: {
          parallelism: 1,
          template: {
            metadata: {},
            spec: { containers: [{ name: 'j', image: 'busybox', resources: {} }], restartPolicy: 'Never' },
          },
        },
        status: {
          conditions: [{ type: 'Complete', status: 'True', lastProbeTime: T2, lastTransitionTime: T2 }],
          startTime: T1,
          completionTime: T2,
          succeeded: 1,
          ready: 0,
        },
      },
    ],
    [
      'RBAC roles and bindings',
      {
        kind: 'ClusterRole',
        apiVersion: 'rbac.authorization.k8s.io/v1',
        metadata: { name: 'view' },
        rules: [
          { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] },
          { verbs: ['get'], nonResourceURLs: ['/healthz'] },
        ],
        aggregationRule: {
          clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate': 'true' } }],
        },
      },
    ],
    [
      'a RoleBinding',
      {
        kind: 'RoleBinding',
        apiVersion: 'rbac.authorization.k8s.io/v1',
        metadata: { name: 'rb' },
        subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'shop' }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      },
    ],
    [
      'a PodDisruptionBudget with a map of times',
      {
        kind: 'PodDisruptionBudget',
        apiVersion: 'policy/v1',
        metadata: { name: 'pdb' },
        spec: { minAvailable: '50%', selector },
        status: {
          disruptedPods: { 'web-0': T1 },
          disruptionsAllowed: 0,
          currentHealthy: 1,
          desiredHealthy: 1,
          expectedPods: 2,
        },
      },
    ],
    [
      'a Scale',
      {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { replicas: 5 },
        status: { replicas: 3, selector: 'app=web' },
      },
    ],
    [
      'a Namespace',
      {
        kind: 'Namespace',
        apiVersion: 'v1',
        metadata: { name: 'shop' },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      },
    ],
    [
      'a ServiceAccount',
      {
        kind: 'ServiceAccount',
        apiVersion: 'v1',
        metadata: { name: 'sa' },
        secrets: [{ name: 'sa-token' }],
        imagePullSecrets: [{ name: 'registry' }],
        automountServiceAccountToken: false,
      },
    ],
  ];

  for (const [what, obj] of cases) {
    it(`keeps ${what}`, () => {
      expect(roundTrip(obj)).toEqual(obj);
    });
  }

  it('decodes int64 values beyond 32 bits and negative numbers', () => {
    const obj = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'p', generation: 2 ** 40 },
      spec: { containers: [{ name: 'c', resources: {} }], activeDeadlineSeconds: 2 ** 35, priority: -5 },
    };
    expect(roundTrip(obj)).toEqual(obj);
  });
});

describe('zero values, as Go’s JSON encoder writes them', () => {
  it('drops zero omitempty scalars, keeps pointers and fields without omitempty', () => {
    const obj = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'p', namespace: '' },
      spec: {
        containers: [
          { name: '', image: '', stdin: false, ports: [{ containerPort: 0, hostPort: 0 }], resources: {} },
        ],
        hostNetwork: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 0,
      },
    };
    expect(roundTrip(obj)).toEqual({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'p' },
      spec: {
        containers: [{ name: '', ports: [{ containerPort: 0 }], resources: {} }],
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 0,
      },
    });
  });

  it('shows fields without omitempty that protobuf left out, as null lists or zero scalars', () => {
    const role = roundTrip({
      kind: 'ClusterRole',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      metadata: { name: 'r' },
    });
    expect(role).toEqual({
      kind: 'ClusterRole',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      metadata: { name: 'r' },
      rules: null,
    });
    const pod = roundTrip({ kind: 'Pod', apiVersion: 'v1', spec: { containers: [{ image: 'x' }] } });
    expect(pod.spec).toEqual({ containers: [{ name: '', image: 'x' }] });
  });

  it('writes the zero time as an empty message and reads it back as null', () => {
    const body = encodeMessage({ metadata: { creationTimestamp: null } }, 'io.k8s.api.core.v1.ConfigMap');
    // metadata (field 1) holding creationTimestamp (field 8) of length 0
    expect([...body]).toEqual([0x0a, 0x02, 0x42, 0x00]);
    expect(decodeMessage(body, 'io.k8s.api.core.v1.ConfigMap')).toEqual({
      metadata: { creationTimestamp: null },
    });
  });

  it('drops sub-second parts of metav1.Time but keeps microseconds of MicroTime', () => {
    const time = new Writer()
      .tag(1, WIRE_VARINT)
      .varint(1714558830)
      .tag(2, WIRE_VARINT)
      .varint(123456789)
      .finish();
    const meta = new Writer().bytes(8, time).finish();
    const lease = new Writer().bytes(1, meta).bytes(2, new Writer().bytes(3, time).finish()).finish();
    expect(decodeMessage(lease, 'io.k8s.api.coordination.v1.Lease')).toEqual({
      metadata: { creationTimestamp: '2024-05-01T10:20:30Z' },
      spec: { acquireTime: '2024-05-01T10:20:30.123456Z' },
    });
  });

  it('turns an IntOrString message into a number or a string by its type field', () => {
    const intPort = new Writer().tag(1, WIRE_VARINT).varint(0).tag(2, WIRE_VARINT).varint(8080).finish();
    const namedPort = new Writer().tag(1, WIRE_VARINT).varint(1).string(3, 'http').finish();
    const port = (ios: Uint8Array) => new Writer().bytes(4, ios).finish();
    // port has no omitempty, so Go's JSON shows it even though the message left it out
    expect(decodeMessage(port(intPort), 'io.k8s.api.core.v1.ServicePort')).toEqual({
      port: 0,
      targetPort: 8080,
    });
    expect(decodeMessage(port(namedPort), 'io.k8s.api.core.v1.ServicePort')).toEqual({
      port: 0,
      targetPort: 'http',
    });
  });
});

describe('malformed input', () => {
  const valid = encodeKubernetesProtobuf(fullPod);

  it('refuses bodies without the k8s magic', () => {
    expect(() => decodeKubernetesProtobuf(new Uint8Array())).toThrow(/missing the "k8s\\0" prefix/);
    expect(() => decodeKubernetesProtobuf(new TextEncoder().encode('{"kind":"Pod"}'))).toThrow(ProtobufError);
  });

  it('refuses kinds the schema does not know, naming them', () => {
    const body = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    const env = decodeEnvelope(body);
    const typeMeta = new Writer().string(1, 'v1').string(2, 'Frobnicator').finish();
    const forged = new Writer().raw(PROTOBUF_MAGIC).bytes(1, typeMeta).bytes(2, env.raw).finish();
    expect(() => decodeKubernetesProtobuf(forged)).toThrow('no protobuf schema for kind Frobnicator in v1');
  });

  it('names the field whose wire type is wrong', () => {
    const raw = new Writer().tag(2, WIRE_VARINT).varint(1).finish(); // ConfigMap.data must be length-delimited
    expect(() => decodeMessage(raw, 'io.k8s.api.core.v1.ConfigMap')).toThrow(
      'ConfigMap.data: wire type 0, expected 2',
    );
  });

  it('refuses an IntOrString of an unknown type and embedded JSON that does not parse', () => {
    const bad = new Writer().tag(1, WIRE_VARINT).varint(7).finish();
    expect(() =>
      decodeMessage(new Writer().bytes(4, bad).finish(), 'io.k8s.api.core.v1.ServicePort'),
    ).toThrow(/IntOrString type 7/);
    const raw = new Writer().bytes(1, new TextEncoder().encode('{not json')).finish();
    const revision = new Writer().bytes(2, raw).finish();
    expect(() => decodeMessage(revision, 'io.k8s.api.apps.v1.ControllerRevision')).toThrow(
      /raw JSON does not parse/,
    );
  });

  it('fails cleanly on every truncation of a valid body', () => {
    for (let n = 0; n < valid.length; n++) {
      try {
        decodeKubernetesProtobuf(valid.subarray(0, n));
      } catch (err) {
        expect(err, `cut at ${n}`).toBeInstanceOf(ProtobufError);
      }
    }
  });

  it('survives random corruption and random bytes without hanging or crashing', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const started = Date.now();
    let decoded = 0;
    for (let i = 0; i < 3000; i++) {
      const body =
        i % 2 === 0
          ? Uint8Array.from(valid, (b) => (rand() < 0.01 ? Math.floor(rand() * 256) : b))
          : Uint8Array.from([
              ...PROTOBUF_MAGIC,
              ...Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)),
            ]);
      try {
        decodeKubernetesProtobuf(body);
        decoded++;
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message.length).toBeGreaterThan(0);
      }
    }
    expect(decoded).toBeGreaterThan(0); // single flipped bytes inside strings still decode
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('does not believe a huge length prefix', () => {
    const body = Uint8Array.from([...PROTOBUF_MAGIC, 0x12, 0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(() => decodeKubernetesProtobuf(body)).toThrow(/runs past the end/);
  });
});
