import { describe, expect, it } from 'vitest';
import { nowTimestamp } from '../../../labs/kube/object.ts';
import { errorOf, newLab, obj, T0 } from './lab.ts';

const pod = (name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}) =>
  obj('v1', 'Pod', name, { spec }, meta);
const web = () =>
  pod('web-1', { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] });

describe('Pod defaults and admission', () => {
  it('reads back like a pod created on a real cluster', () => {
    const lab = newLab();
    const p = lab.store.create(lab.kind('', 'pods'), web());
    const tokenVolume = p.spec.volumes[0].name;
    expect(tokenVolume).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    expect(p.spec).toEqual({
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          imagePullPolicy: 'IfNotPresent',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          volumeMounts: [
            { name: tokenVolume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
          ],
        },
      ],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
      volumes: [
        {
          name: tokenVolume,
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              {
                downwardAPI: {
                  items: [
                    { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                  ],
                },
              },
            ],
          },
        },
      ],
    });
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('pulls :latest and untagged images Always, tagged and digested ones IfNotPresent', () => {
    const lab = newLab();
    const p = lab.store.create(
      lab.kind('', 'pods'),
      pod('p', {
        automountServiceAccountToken: false,
        containers: [
          { name: 'a', image: 'busybox' },
          { name: 'b', image: 'busybox:latest' },
          { name: 'c', image: 'registry:5000/busybox:1.36' },
          { name: 'd', image: 'busybox@sha256:0123' },
        ],
      }),
    );
    expect(p.spec.containers.map((c: { imagePullPolicy: string }) => c.imagePullPolicy)).toEqual([
      'Always',
      'Always',
      'IfNotPresent',
      'IfNotPresent',
    ]);
    expect(p.spec.volumes).toBeUndefined();
  });

  it('defaults probes and computes the QoS class', () => {
    const lab = newLab();
    const p = lab.store.create(
      lab.kind('', 'pods'),
      pod('p', {
        containers: [
          {
            name: 'a',
            image: 'nginx:1.27',
            readinessProbe: { httpGet: { port: 80 } },
            resources: { limits: { cpu: '500m', memory: '128Mi' } },
          },
        ],
      }),
    );
    expect(p.spec.containers[0].readinessProbe).toEqual({
      httpGet: { path: '/', port: 80, scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(p.spec.containers[0].resources.requests).toEqual({ cpu: '500m', memory: '128Mi' });
    expect(p.status.qosClass).toBe('Guaranteed');
  });
});

describe('Pod validation', () => {
  it('requires a container image', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(lab.kind('', 'pods'), pod('p', { containers: [{ name: 'a' }] })),
    );
    expect(e.message).toBe('Pod "p" is invalid: spec.containers[0].image: Required value');
  });

  it('checks container names, duplicates, ports and enums with the apiserver wording', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(
        lab.kind('', 'pods'),
        pod('p', {
          restartPolicy: 'Sometimes',
          containers: [
            { name: 'Web', image: 'nginx', ports: [{ containerPort: 70000 }] },
            { name: 'db', image: 'postgres' },
            { name: 'db', image: 'postgres' },
          ],
        }),
      ),
    );
    expect(e.message).toContain(
      `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    );
    expect(e.message).toContain(
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
    expect(e.message).toContain('spec.containers[2].name: Duplicate value: "db"');
    expect(e.message).toContain(
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
  });

  it('requires mounts to name a declared volume', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(
        lab.kind('', 'pods'),
        pod('p', {
          containers: [{ name: 'a', image: 'nginx', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        }),
      ),
    );
    expect(e.message).toBe('Pod "p" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "data"');
  });

  it('names the invalid pod name rule', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(lab.kind('', 'pods'), pod('My_Pod', { containers: [{ name: 'a', image: 'nginx' }] })),
    );
    expect(e.message).toBe(
      `Pod "My_Pod" is invalid: metadata.name: Invalid value: "My_Pod": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
  });

  it('checks label values', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(lab.kind('', 'pods'), {
        ...web(),
        metadata: { name: 'p', labels: { app: 'web server' } },
      }),
    );
    expect(e.message).toBe(
      `Pod "p" is invalid: metadata.labels: Invalid value: "web server": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
  });
});

describe('Pod updates', () => {
  it('allows a new image and refuses other spec changes with the long Forbidden message', () => {
    const lab = newLab();
    const def = lab.kind('', 'pods');
    const p = lab.store.create(def, web());
    const newImage = structuredClone(p);
    newImage.spec.containers[0].image = 'nginx:1.28';
    expect(lab.store.update(def, newImage).spec.containers[0].image).toBe('nginx:1.28');

    const current = lab.store.get(def, 'default', 'web-1');
    current.spec.containers[0].ports[0].containerPort = 8080;
    const e = errorOf(() => lab.store.update(def, current));
    expect(
      e.message.startsWith(
        'Pod "web-1" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n  core.PodSpec{\n',
      ),
    ).toBe(true);
    expect(e.message).toContain('Containers:');
  });

  it('refuses adding or removing containers', () => {
    const lab = newLab();
    const def = lab.kind('', 'pods');
    const p = lab.store.create(def, web());
    p.spec.containers.push({
      name: 'side',
      image: 'busybox',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'Always',
    });
    expect(errorOf(() => lab.store.update(def, p)).message).toBe(
      'Pod "web-1" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers',
    );
  });

  it('keeps the status when the spec is updated', () => {
    const lab = newLab();
    const def = lab.kind('', 'pods');
    const p = lab.store.create(def, web());
    const withLabel = {
      ...p,
      metadata: { ...p.metadata, labels: { app: 'web' } },
      status: { phase: 'Running' },
    };
    expect(lab.store.update(def, withLabel).status.phase).toBe('Pending');
  });
});

describe('Pod deletion', () => {
  it('is graceful for a running pod bound to a node and immediate for an unscheduled one', () => {
    const lab = newLab();
    const def = lab.kind('', 'pods');
    lab.store.create(def, pod('bound', { nodeName: 'node-1', containers: [{ name: 'a', image: 'nginx' }] }));
    lab.store.create(def, pod('pending', { containers: [{ name: 'a', image: 'nginx' }] }));
    const bound = lab.store.delete(def, 'default', 'bound');
    expect(bound.deleted).toBe(false);
    expect(bound.object.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(lab.store.delete(def, 'default', 'pending').deleted).toBe(true);
    expect(
      def.strategy.gracefulDeletion!({ ...bound.object, status: { phase: 'Succeeded' } }),
    ).toBeUndefined();
  });
});

describe('kubectl get pods', () => {
  const ts = (msAgo: number) => nowTimestamp(T0 - msAgo);

  it('shows a running pod with its IP and node under -o wide', () => {
    const lab = newLab();
    const def = lab.kind('', 'pods');
    const p = lab.store.create(
      def,
      pod('web-1', { nodeName: 'node-1', containers: [{ name: 'web', image: 'nginx' }] }),
    );
    lab.advance(3 * 3600_000 + 4 * 60_000);
    p.status = {
      phase: 'Running',
      podIP: '10.244.1.5',
      podIPs: [{ ip: '10.244.1.5' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        { name: 'web', ready: true, restartCount: 0, state: { running: { startedAt: ts(0) } } },
      ],
    };
    expect(lab.headers(def, true)).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    expect(lab.row(def, p)).toEqual([
      'web-1',
      '1/1',
      'Running',
      '0',
      '3h4m',
      '10.244.1.5',
      'node-1',
      '<none>',
      '<none>',
    ]);
  });

  it('shows Pending, ContainerCreating, CrashLoopBackOff with the last restart, Init:0/1, Completed and Terminating', () => {
    const lab = newLab();
    const def = lab.kind('', 'pods');
    const base = lab.store.create(def, pod('p', { containers: [{ name: 'c', image: 'busybox' }] }));
    const status = (s: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      lab.row(def, { ...base, ...extra, status: s }).slice(1, 4);
    expect(status({ phase: 'Pending' })).toEqual(['0/1', 'Pending', '0']);
    expect(
      status({
        phase: 'Pending',
        containerStatuses: [
          { name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      }),
    ).toEqual(['0/1', 'ContainerCreating', '0']);
    expect(
      status({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'c',
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ts(42_000) } },
          },
        ],
      }),
    ).toEqual(['0/1', 'CrashLoopBackOff', '4 (42s ago)']);
    const withInit = {
      ...base,
      spec: { ...base.spec, initContainers: [{ name: 'init', image: 'busybox' }] },
    };
    expect(
      lab.row(def, {
        ...withInit,
        status: {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'init', restartCount: 0, state: { running: {} } }],
        },
      })[2],
    ).toBe('Init:0/1');
    expect(
      status({
        phase: 'Succeeded',
        containerStatuses: [
          {
            name: 'c',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 0, reason: 'Completed' } },
          },
        ],
      }),
    ).toEqual(['0/1', 'Completed', '0']);
    expect(
      status(
        {
          phase: 'Running',
          containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }],
        },
        { metadata: { ...base.metadata, deletionTimestamp: ts(0) } },
      ),
    ).toEqual(['1/1', 'Terminating', '0']);
    expect(
      status({
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'c',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 2, reason: 'Error' } },
          },
        ],
      }),
    ).toEqual(['0/1', 'Error', '0']);
  });

  it('selects pods by node and phase, including != as describe node does', () => {
    const lab = newLab();
    const def = lab.kind('', 'pods');
    lab.store.create(def, pod('a', { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] }));
    lab.store.create(def, pod('b', { nodeName: 'n2', containers: [{ name: 'c', image: 'x' }] }));
    const names = lab.store
      .list(def, undefined, {
        fieldSelector: 'spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed',
      })
      .map((p) => p.metadata.name);
    expect(names).toEqual(['a']);
    expect(errorOf(() => lab.store.list(def, undefined, { fieldSelector: 'spec.image=x' })).message).toBe(
      'field label not supported: spec.image',
    );
  });
});
