import { describe, expect, it } from 'vitest';
import { errorOf, newLab, obj } from './lab.ts';

const template = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
});

const defaultedTemplate = (labels: Record<string, string>) => ({
  metadata: { creationTimestamp: null, labels },
  spec: {
    containers: [
      {
        image: 'nginx:1.27',
        imagePullPolicy: 'IfNotPresent',
        name: 'nginx',
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ],
    dnsPolicy: 'ClusterFirst',
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
  },
});

const deployment = (name: string, spec: Record<string, unknown>) =>
  obj('apps/v1', 'Deployment', name, { spec });

describe('Deployment', () => {
  it('reads back a minimal deployment with the defaults of a real cluster', () => {
    const lab = newLab();
    const d = lab.store.create(
      lab.kind('apps', 'deployments'),
      deployment('web', { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) }),
    );
    expect(d.spec).toEqual({
      progressDeadlineSeconds: 600,
      replicas: 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'web' } },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: defaultedTemplate({ app: 'web' }),
    });
    expect(d.status).toEqual({});
    expect(d.metadata.generation).toBe(1);
  });

  it('rejects a selector that does not match the template labels', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(
        lab.kind('apps', 'deployments'),
        deployment('web', { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'api' }) }),
      ),
    );
    expect(e.message).toBe(
      'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`',
    );
  });

  it('requires a selector, non-negative replicas and an Always restart policy', () => {
    const lab = newLab();
    const t = template({ app: 'web' });
    const e = errorOf(() =>
      lab.store.create(
        lab.kind('apps', 'deployments'),
        deployment('web', { replicas: -1, template: { ...t, spec: { ...t.spec, restartPolicy: 'Never' } } }),
      ),
    );
    expect(e.message).toBe(
      'Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`, spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"]',
    );
  });

  it('keeps the selector immutable and bumps the generation on spec changes only', () => {
    const lab = newLab();
    const def = lab.kind('apps', 'deployments');
    const d = lab.store.create(
      def,
      deployment('web', { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) }),
    );
    const scaled = lab.store.update(def, { ...d, spec: { ...d.spec, replicas: 3 } });
    expect(scaled.metadata.generation).toBe(2);
    const relabelled = lab.store.update(def, {
      ...scaled,
      metadata: { ...scaled.metadata, labels: { tier: 'front' } },
    });
    expect(relabelled.metadata.generation).toBe(2);
    const moved = structuredClone(relabelled);
    moved.spec.selector = { matchLabels: { app: 'web2' } };
    moved.spec.template.metadata.labels = { app: 'web2' };
    expect(errorOf(() => lab.store.update(def, moved)).message).toBe(
      'Deployment.apps "web" is invalid: spec.selector: Invalid value: map[string]string{"app":"web2"}: field is immutable',
    );
  });

  it('counts a user annotation as a new generation but not the controller revision annotation', () => {
    const lab = newLab();
    const def = lab.kind('apps', 'deployments');
    const d = lab.store.create(
      def,
      deployment('web', { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) }),
    );
    const revised = lab.store.update(def, {
      ...d,
      metadata: { ...d.metadata, annotations: { 'deployment.kubernetes.io/revision': '1' } },
    });
    expect(revised.metadata.generation).toBe(1);
    const annotated = lab.store.update(def, {
      ...revised,
      metadata: {
        ...revised.metadata,
        annotations: { ...revised.metadata.annotations, 'kubernetes.io/change-cause': 'v2' },
      },
    });
    expect(annotated.metadata.generation).toBe(2);
    const viaStatus = lab.store.update(
      def,
      {
        ...annotated,
        spec: { ...annotated.spec, replicas: 9 },
        metadata: { ...annotated.metadata, annotations: { 'deployment.kubernetes.io/revision': '2' } },
        status: { replicas: 1 },
      },
      { subresource: 'status' },
    );
    expect(viaStatus.spec.replicas).toBe(1);
    expect(viaStatus.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '2' });
    expect(viaStatus.status).toEqual({ replicas: 1 });
    expect(viaStatus.metadata.generation).toBe(2);
  });

  it('prints READY, UP-TO-DATE, AVAILABLE and the wide columns', () => {
    const lab = newLab();
    const def = lab.kind('apps', 'deployments');
    const d = lab.store.create(
      def,
      deployment('httpd', {
        replicas: 3,
        selector: { matchLabels: { run: 'httpd' } },
        template: template({ run: 'httpd' }),
      }),
    );
    d.status = { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
    lab.advance(5 * 86400_000 + 3 * 3600_000);
    expect(lab.headers(def, true)).toEqual([
      'NAME',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'AGE',
      'CONTAINERS',
      'IMAGES',
      'SELECTOR',
    ]);
    expect(lab.row(def, d)).toEqual(['httpd', '2/3', 3, 2, '5d3h', 'nginx', 'nginx:1.27', 'run=httpd']);
  });
});

describe('ReplicaSet', () => {
  it('starts with replicas 0 in its status and is selectable by status.replicas', () => {
    const lab = newLab();
    const def = lab.kind('apps', 'replicasets');
    const rs = lab.store.create(
      def,
      obj('apps/v1', 'ReplicaSet', 'web-5d4f', {
        spec: { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) },
      }),
    );
    expect(rs.status).toEqual({ replicas: 0 });
    expect(rs.spec.replicas).toBe(1);
    expect(lab.store.list(def, 'default', { fieldSelector: 'status.replicas=0' })).toHaveLength(1);
    expect(lab.row(def, rs).slice(0, 4)).toEqual(['web-5d4f', 1, 0, 0]);
  });
});

describe('DaemonSet', () => {
  it('defaults the rolling update strategy and history limit', () => {
    const lab = newLab();
    const def = lab.kind('apps', 'daemonsets');
    const ds = lab.store.create(
      def,
      obj('apps/v1', 'DaemonSet', 'kube-proxy', {
        spec: { selector: { matchLabels: { k8s: 'kube-proxy' } }, template: template({ k8s: 'kube-proxy' }) },
      }),
    );
    expect(ds.spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    expect(ds.spec.revisionHistoryLimit).toBe(10);
    expect(ds.status).toEqual({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    });
    expect(lab.headers(def)).toEqual([
      'NAME',
      'DESIRED',
      'CURRENT',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'NODE SELECTOR',
      'AGE',
    ]);
    expect(lab.row(def, ds).slice(0, 8)).toEqual(['kube-proxy', 0, 0, 0, 0, 0, '<none>', '0s']);
  });

  it('rejects a template its selector does not match', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(
        lab.kind('apps', 'daemonsets'),
        obj('apps/v1', 'DaemonSet', 'ds', {
          spec: { selector: { matchLabels: { app: 'a' } }, template: template({ app: 'b' }) },
        }),
      ),
    );
    expect(e.message).toBe(
      'DaemonSet.apps "ds" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`',
    );
  });
});

describe('Job', () => {
  it('generates its selector from its uid and refuses restartPolicy Always', () => {
    const lab = newLab();
    const def = lab.kind('batch', 'jobs');
    const t = template({ app: 'once' });
    const job = lab.store.create(
      def,
      obj('batch/v1', 'Job', 'once', {
        spec: { template: { ...t, spec: { ...t.spec, restartPolicy: 'Never' } } },
      }),
    );
    expect(job.spec.selector).toEqual({
      matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata.uid },
    });
    expect(job.spec.template.metadata.labels['job-name']).toBe('once');
    expect(job.spec).toMatchObject({
      backoffLimit: 6,
      completions: 1,
      parallelism: 1,
      completionMode: 'NonIndexed',
      suspend: false,
    });
    expect(lab.row(def, job).slice(0, 4)).toEqual(['once', 'Running', '0/1', '']);
    const bad = errorOf(() =>
      lab.store.create(def, obj('batch/v1', 'Job', 'bad', { spec: { template: t } })),
    );
    expect(bad.message).toBe(
      'Job.batch "bad" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    );
  });
});
