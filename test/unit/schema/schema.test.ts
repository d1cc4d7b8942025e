import { describe, expect, it } from 'vitest';
import { parseField } from '../../../labs/apiserver/schema/define.ts';
import {
  ALL_TYPES,
  allKinds,
  createSchema,
  jsonFields,
  k8sSchema,
  kindTypes,
} from '../../../labs/apiserver/schema/index.ts';

const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

function field(type: string, name: string) {
  const f = k8sSchema.field(type, name);
  if (!f) throw new Error(`${type}.${name} missing`);
  return f;
}

describe('kinds', () => {
  it('maps every kind the server stores to its top-level type', () => {
    const expected: [string, string, string, string][] = [
      ['', 'v1', 'Namespace', `${CORE}.Namespace`],
      ['', 'v1', 'ConfigMap', `${CORE}.ConfigMap`],
      ['', 'v1', 'Secret', `${CORE}.Secret`],
      ['', 'v1', 'ServiceAccount', `${CORE}.ServiceAccount`],
      ['', 'v1', 'Service', `${CORE}.Service`],
      ['', 'v1', 'Pod', `${CORE}.Pod`],
      ['', 'v1', 'PodList', `${CORE}.PodList`],
      ['', 'v1', 'Node', `${CORE}.Node`],
      ['', 'v1', 'Endpoints', `${CORE}.Endpoints`],
      ['', 'v1', 'Event', `${CORE}.Event`],
      ['', 'v1', 'Status', `${META}.Status`],
      ['apps', 'v1', 'Deployment', 'io.k8s.api.apps.v1.Deployment'],
      ['apps', 'v1', 'ReplicaSet', 'io.k8s.api.apps.v1.ReplicaSet'],
      ['apps', 'v1', 'DaemonSet', 'io.k8s.api.apps.v1.DaemonSet'],
      ['discovery.k8s.io', 'v1', 'EndpointSlice', 'io.k8s.api.discovery.v1.EndpointSlice'],
      ['coordination.k8s.io', 'v1', 'Lease', 'io.k8s.api.coordination.v1.Lease'],
      [
        'authorization.k8s.io',
        'v1',
        'SelfSubjectAccessReview',
        'io.k8s.api.authorization.v1.SelfSubjectAccessReview',
      ],
      ['autoscaling', 'v1', 'Scale', 'io.k8s.api.autoscaling.v1.Scale'],
      ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'io.k8s.api.rbac.v1.ClusterRoleBinding'],
      ['batch', 'v1', 'CronJob', 'io.k8s.api.batch.v1.CronJob'],
      ['policy', 'v1', 'PodDisruptionBudget', 'io.k8s.api.policy.v1.PodDisruptionBudget'],
    ];
    for (const [group, version, kind, name] of expected) {
      expect(k8sSchema.typeForKind({ group, version, kind })?.name).toBe(name);
      expect(kindTypes.get(`${group}/${version}/${kind}`)?.name).toBe(name);
    }
  });

  it('knows no kind in a group it does not serve it in', () => {
    expect(k8sSchema.typeForKind({ group: 'apps', version: 'v1', kind: 'Pod' })).toBeUndefined();
    expect(k8sSchema.typeForKind({ group: '', version: 'v2', kind: 'Pod' })).toBeUndefined();
  });

  it('accepts DeleteOptions in any group version, as the apiserver does', () => {
    expect(k8sSchema.typeForKind({ group: 'apps', version: 'v1', kind: 'DeleteOptions' })?.name).toBe(
      `${META}.DeleteOptions`,
    );
  });

  it('gives each top-level kind apiVersion and kind as JSON-only fields', () => {
    for (const { type } of allKinds()) {
      const typeMeta = type.fields.filter((f) => f.proto === 0).map((f) => f.name);
      expect(typeMeta, type.name).toEqual(['kind', 'apiVersion']);
    }
  });
});

describe('field facts from k8s.io/api v1.32', () => {
  it('numbers PodSpec fields as generated.proto does', () => {
    const spec = `${CORE}.PodSpec`;
    expect(field(spec, 'volumes').proto).toBe(1);
    expect(field(spec, 'containers').proto).toBe(2);
    expect(field(spec, 'initContainers').proto).toBe(20);
    expect(field(spec, 'ephemeralContainers').proto).toBe(34);
    expect(field(spec, 'topologySpreadConstraints').proto).toBe(33);
    expect(field(spec, 'resources').proto).toBe(40);
  });

  it('carries patch merge keys, strategies and list types', () => {
    const containers = field(`${CORE}.PodSpec`, 'containers');
    expect(containers).toMatchObject({
      list: true,
      mergeKey: 'name',
      patchStrategy: 'merge',
      listType: 'map',
      listMapKeys: ['name'],
      required: true,
    });
    expect(field(`${CORE}.PodSpec`, 'volumes').patchStrategy).toBe('merge,retainKeys');
    expect(field(`${CORE}.PodSpec`, 'tolerations')).toMatchObject({ listType: 'atomic' });
    expect(field(`${CORE}.PodSpec`, 'tolerations').mergeKey).toBeUndefined();
    expect(field(`${CORE}.Container`, 'ports').listMapKeys).toEqual(['containerPort', 'protocol']);
    expect(field(`${CORE}.Container`, 'volumeMounts').mergeKey).toBe('mountPath');
    expect(field(`${CORE}.ServiceSpec`, 'ports')).toMatchObject({
      mergeKey: 'port',
      listMapKeys: ['port', 'protocol'],
    });
    expect(field(`${META}.ObjectMeta`, 'ownerReferences')).toMatchObject({
      mergeKey: 'uid',
      listType: 'map',
    });
    expect(field(`${META}.ObjectMeta`, 'finalizers')).toMatchObject({
      patchStrategy: 'merge',
      listType: 'set',
    });
    expect(field('io.k8s.api.apps.v1.DeploymentStatus', 'conditions')).toMatchObject({
      mergeKey: 'type',
      listMapKeys: ['type'],
    });
    expect(field(`${CORE}.NodeStatus`, 'addresses').mergeKey).toBe('type');
  });

  it('marks Go pointer scalars, whose zero values are real values', () => {
    expect(field('io.k8s.api.apps.v1.DeploymentSpec', 'replicas').pointer).toBe(true);
    expect(field(`${CORE}.PodSpec`, 'automountServiceAccountToken').pointer).toBe(true);
    expect(field(`${CORE}.PodSpec`, 'hostNetwork').pointer).toBeUndefined();
  });

  it('types the value encodings protobuf wraps in messages', () => {
    expect(field(`${CORE}.ServicePort`, 'targetPort').type).toBe('intOrString');
    expect(field(`${CORE}.ResourceRequirements`, 'limits')).toMatchObject({ map: true, type: 'quantity' });
    expect(field(`${META}.ObjectMeta`, 'creationTimestamp').type).toBe('time');
    expect(field(`${CORE}.Event`, 'eventTime').type).toBe('microTime');
    expect(field(`${CORE}.Secret`, 'data')).toMatchObject({ map: true, type: 'bytes' });
    expect(field(`${META}.ManagedFieldsEntry`, 'fieldsV1')).toMatchObject({
      type: 'json',
      goType: 'v1.FieldsV1',
    });
    expect(k8sSchema.type('io.k8s.api.authorization.v1.ExtraValue')?.listWrapper).toBe(true);
  });

  it('looks JSON names up through embedded structs', () => {
    // ConfigMapKeySelector embeds LocalObjectReference; Probe embeds ProbeHandler; Volume embeds VolumeSource
    expect(field(`${CORE}.ConfigMapKeySelector`, 'name').type).toBe('string');
    expect(field(`${CORE}.Probe`, 'httpGet').type).toBe(`${CORE}.HTTPGetAction`);
    expect(field(`${CORE}.Volume`, 'emptyDir').type).toBe(`${CORE}.EmptyDirVolumeSource`);
    expect(field(`${CORE}.EphemeralContainer`, 'image').type).toBe('string');
    expect(k8sSchema.field(`${CORE}.Probe`, 'handler')).toBeUndefined();
    const probe = jsonFields(k8sSchema, `${CORE}.Probe`).map((f) => f.name);
    expect(probe.slice(0, 4)).toEqual(['exec', 'httpGet', 'tcpSocket', 'grpc']);
  });

  it('covers the PodSpec surface the labs use', () => {
    const need: [string, string][] = [
      [`${CORE}.VolumeSource`, 'hostPath'],
      [`${CORE}.VolumeSource`, 'configMap'],
      [`${CORE}.VolumeSource`, 'secret'],
      [`${CORE}.VolumeSource`, 'projected'],
      [`${CORE}.VolumeSource`, 'downwardAPI'],
      [`${CORE}.VolumeSource`, 'persistentVolumeClaim'],
      [`${CORE}.ProbeHandler`, 'grpc'],
      [`${CORE}.Affinity`, 'podAntiAffinity'],
      [`${CORE}.SecurityContext`, 'capabilities'],
      [`${CORE}.PodSecurityContext`, 'fsGroup'],
      [`${CORE}.PodSpec`, 'dnsConfig'],
      [`${CORE}.PodSpec`, 'hostAliases'],
      [`${CORE}.PodStatus`, 'podIPs'],
      [`${CORE}.ContainerState`, 'terminated'],
      [`${CORE}.NodeStatus`, 'daemonEndpoints'],
      [`${CORE}.NodeSystemInfo`, 'kubeletVersion'],
      ['io.k8s.api.discovery.v1.Endpoint', 'hints'],
      ['io.k8s.api.authorization.v1.SubjectAccessReviewStatus', 'allowed'],
      ['io.k8s.api.rbac.v1.ClusterRole', 'aggregationRule'],
    ];
    for (const [type, name] of need) expect(k8sSchema.field(type, name), `${type}.${name}`).toBeDefined();
  });
});

describe('schema consistency', () => {
  it('has no duplicate protobuf numbers or JSON names within a type', () => {
    for (const type of ALL_TYPES) {
      const numbers = type.fields.filter((f) => f.proto > 0).map((f) => f.proto);
      expect(new Set(numbers).size, type.name).toBe(numbers.length);
      const names = jsonFields(k8sSchema, type.name).map((f) => f.name);
      expect(new Set(names).size, type.name).toBe(names.length);
    }
  });

  it('refuses a schema whose fields point at types it does not have', () => {
    const broken = { name: 'x.Broken', fields: [parseField('spec 1 core.Nowhere', 'core')] };
    expect(() => createSchema([broken])).toThrow(/unknown type io.k8s.api.core.v1.Nowhere/);
  });

  it('rejects malformed field declarations', () => {
    expect(() => parseField('name one string', 'core')).toThrow(/malformed/);
    expect(() => parseField('name 1 string list=sorted', 'core')).toThrow(/bad list flag/);
    expect(() => parseField('name 1 string frobnicate', 'core')).toThrow(/unknown flag/);
    expect(() => parseField('name 1 nope.Type', 'core')).toThrow(/unknown package alias/);
    expect(parseField('ports 6 []ContainerPort list=map(containerPort,protocol) go=x.Y', 'core')).toEqual({
      name: 'ports',
      proto: 6,
      type: `${CORE}.ContainerPort`,
      list: true,
      listType: 'map',
      listMapKeys: ['containerPort', 'protocol'],
      goType: 'x.Y',
    });
  });
});
