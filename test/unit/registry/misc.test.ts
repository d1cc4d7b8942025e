import { describe, expect, it } from 'vitest';
import { errorOf, newLab, obj } from './lab.ts';

describe('smaller kinds', () => {
  it('shows a namespace being deleted as Terminating', () => {
    const lab = newLab();
    const def = lab.kind('', 'namespaces');
    const ns = lab.store.create(def, obj('v1', 'Namespace', 'gone'));
    const deleting = {
      ...ns,
      metadata: { ...ns.metadata, deletionTimestamp: ns.metadata.creationTimestamp },
    };
    expect(lab.row(def, deleting)[1]).toBe('Terminating');
  });

  it('gives headless services without a selector the RequireDualStack policy', () => {
    const lab = newLab();
    const s = lab.store.create(
      lab.kind('', 'services'),
      obj('v1', 'Service', 'ext-db', { spec: { clusterIP: 'None', ports: [{ port: 5432 }] } }),
    );
    expect(s.spec.ipFamilyPolicy).toBe('RequireDualStack');
    expect(s.spec.ipFamilies).toEqual(['IPv4']);
  });

  it('refuses dual-stack services on the single-stack lab cluster', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(
        lab.kind('', 'services'),
        obj('v1', 'Service', 'ds', { spec: { ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80 }] } }),
      ),
    );
    expect(e.message).toBe(
      'Service "ds" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    );
  });

  it('defaults a ReplicationController selector from its template labels', () => {
    const lab = newLab();
    const rc = lab.store.create(
      lab.kind('', 'replicationcontrollers'),
      obj('v1', 'ReplicationController', 'old', {
        spec: {
          template: {
            metadata: { labels: { app: 'old' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      }),
    );
    expect(rc.spec.selector).toEqual({ app: 'old' });
    expect(rc.metadata.labels).toEqual({ app: 'old' });
    expect(rc.spec.replicas).toBe(1);
  });

  it('marks the default StorageClass in its name column', () => {
    const lab = newLab();
    const def = lab.kind('storage.k8s.io', 'storageclasses');
    const sc = lab.store.create(
      def,
      obj(
        'storage.k8s.io/v1',
        'StorageClass',
        'standard',
        { provisioner: 'rancher.io/local-path' },
        { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      ),
    );
    expect(lab.row(def, sc)).toEqual([
      'standard (default)',
      'rancher.io/local-path',
      'Delete',
      'Immediate',
      false,
      '0s',
    ]);
  });

  it('defaults CronJobs and prints their schedule', () => {
    const lab = newLab();
    const def = lab.kind('batch', 'cronjobs');
    const cj = lab.store.create(
      def,
      obj('batch/v1', 'CronJob', 'backup', {
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: {
              template: {
                spec: { restartPolicy: 'OnFailure', containers: [{ name: 'b', image: 'busybox' }] },
              },
            },
          },
        },
      }),
    );
    expect(cj.spec).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect(lab.row(def, cj).slice(0, 7)).toEqual([
      'backup',
      '0 3 * * *',
      '<none>',
      'False',
      0,
      '<none>',
      '0s',
    ]);
  });

  it('keeps PriorityClass values fixed', () => {
    const lab = newLab();
    const def = lab.kind('scheduling.k8s.io', 'priorityclasses');
    const pc = lab.store.create(def, obj('scheduling.k8s.io/v1', 'PriorityClass', 'high', { value: 1000 }));
    expect(pc.preemptionPolicy).toBe('PreemptLowerPriority');
    expect(errorOf(() => lab.store.update(def, { ...pc, value: 5 })).message).toBe(
      'PriorityClass.scheduling.k8s.io "high" is invalid: value: Forbidden: may not be changed in an update.',
    );
  });

  it('prints persistent volumes and claims', () => {
    const lab = newLab();
    const pvDef = lab.kind('', 'persistentvolumes');
    const pv = lab.store.create(
      pvDef,
      obj('v1', 'PersistentVolume', 'pv1', {
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          hostPath: { path: '/data' },
          storageClassName: 'manual',
        },
      }),
    );
    expect(lab.row(pvDef, pv)).toEqual([
      'pv1',
      '1Gi',
      'RWO',
      'Retain',
      'Pending',
      '',
      'manual',
      '<unset>',
      '',
      '0s',
      'Filesystem',
    ]);
    const pvcDef = lab.kind('', 'persistentvolumeclaims');
    const pvc = lab.store.create(
      pvcDef,
      obj('v1', 'PersistentVolumeClaim', 'data', {
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      }),
    );
    expect(lab.row(pvcDef, pvc)).toEqual(['data', 'Pending', '', '', '', '', '<unset>', '0s', 'Filesystem']);
  });
});
