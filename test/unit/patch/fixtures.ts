/**
 * A small slice of the Kubernetes types, declared inline so the patch engines can be specified
 * without the full schema. Merge keys, patch strategies and list types are the upstream ones.
 */
import type { FieldDef, TypeDef, TypeSchema } from '../../../labs/apiserver/schema/types.ts';

const CORE = 'io.k8s.api.core.v1';
const APPS = 'io.k8s.api.apps.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const POD = `${CORE}.Pod`;
export const SERVICE = `${CORE}.Service`;
export const DEPLOYMENT = `${APPS}.Deployment`;

/** `name type [flags]`: flags are req, []list, {}map, merge=<key>, strategy=<s>, list=<type>, keys=a,b */
function t(name: string, ...specs: string[]): TypeDef {
  return { name, fields: specs.map(field) };
}

function field(spec: string): FieldDef {
  const [name, rawType, ...flags] = spec.split(' ');
  const f: FieldDef = { name, proto: 0, type: rawType };
  if (rawType.startsWith('[]')) {
    f.list = true;
    f.type = rawType.slice(2);
  } else if (rawType.startsWith('{}')) {
    f.map = true;
    f.type = rawType.slice(2);
  }
  if (!['string', 'int32', 'int64', 'bool', 'quantity', 'time', 'intOrString', 'json'].includes(f.type)) {
    f.type = f.type.includes('.') ? f.type : `${CORE}.${f.type}`;
  }
  for (const flag of flags) {
    const [k, v] = flag.split('=');
    if (k === 'req') f.required = true;
    else if (k === 'merge') {
      f.patchStrategy = 'merge';
      if (v) f.mergeKey = v;
    } else if (k === 'strategy') f.patchStrategy = v as FieldDef['patchStrategy'];
    else if (k === 'list') f.listType = v as FieldDef['listType'];
    else if (k === 'keys') f.listMapKeys = v.split(',');
    else throw new Error(`bad flag ${flag}`);
  }
  return f;
}

const TYPES: TypeDef[] = [
  objectMeta(),
  t(
    `${META}.OwnerReference`,
    'apiVersion string req',
    'kind string req',
    'name string req',
    'uid string req',
    'controller bool',
  ),
  t(
    `${META}.ManagedFieldsEntry`,
    'manager string',
    'operation string',
    'apiVersion string',
    'time time',
    'fieldsType string',
    'fieldsV1 json',
    'subresource string',
  ),
  {
    ...t(
      `${META}.LabelSelector`,
      'matchLabels {}string',
      `matchExpressions []${META}.LabelSelectorRequirement list=atomic`,
    ),
    // x-kubernetes-map-type: atomic upstream; server-side apply owns the selector as one value.
    structType: 'atomic',
  } as TypeDef,
  t(
    `${META}.LabelSelectorRequirement`,
    'key string req',
    'operator string req',
    'values []string list=atomic',
  ),
  t(
    POD,
    'apiVersion string',
    'kind string',
    `metadata ${META}.ObjectMeta`,
    'spec PodSpec',
    'status PodStatus',
  ),
  t(
    `${CORE}.PodSpec`,
    'volumes []Volume strategy=merge,retainKeys merge=name list=map keys=name',
    'initContainers []Container merge=name list=map keys=name',
    'containers []Container req merge=name list=map keys=name',
    'restartPolicy string',
    'terminationGracePeriodSeconds int64',
    'dnsPolicy string',
    'nodeSelector {}string',
    'serviceAccountName string',
    'nodeName string',
    'hostNetwork bool',
    'imagePullSecrets []LocalObjectReference merge=name list=map keys=name',
    'schedulerName string',
    'tolerations []Toleration list=atomic',
    'hostAliases []HostAlias merge=ip list=map keys=ip',
    'topologySpreadConstraints []TopologySpreadConstraint merge=topologyKey list=map keys=topologyKey,whenUnsatisfiable',
  ),
  t(
    `${CORE}.Container`,
    'name string req',
    'image string',
    'command []string list=atomic',
    'args []string list=atomic',
    'workingDir string',
    'ports []ContainerPort merge=containerPort list=map keys=containerPort,protocol',
    'env []EnvVar merge=name list=map keys=name',
    'resources ResourceRequirements',
    'volumeMounts []VolumeMount merge=mountPath list=map keys=mountPath',
    'imagePullPolicy string',
    'terminationMessagePath string',
  ),
  t(
    `${CORE}.ContainerPort`,
    'name string',
    'hostPort int32',
    'containerPort int32 req',
    'protocol string',
    'hostIP string',
  ),
  t(`${CORE}.EnvVar`, 'name string req', 'value string', 'valueFrom json'),
  t(`${CORE}.ResourceRequirements`, 'limits {}quantity', 'requests {}quantity'),
  t(`${CORE}.VolumeMount`, 'name string req', 'readOnly bool', 'mountPath string req', 'subPath string'),
  t(
    `${CORE}.Volume`,
    'name string req',
    'emptyDir EmptyDirVolumeSource',
    'configMap ConfigMapVolumeSource',
    'hostPath HostPathVolumeSource',
  ),
  t(`${CORE}.EmptyDirVolumeSource`, 'medium string', 'sizeLimit quantity'),
  t(`${CORE}.ConfigMapVolumeSource`, 'name string', 'defaultMode int32', 'optional bool'),
  t(`${CORE}.HostPathVolumeSource`, 'path string req', 'type string'),
  t(`${CORE}.LocalObjectReference`, 'name string'),
  t(
    `${CORE}.Toleration`,
    'key string',
    'operator string',
    'value string',
    'effect string',
    'tolerationSeconds int64',
  ),
  t(`${CORE}.HostAlias`, 'ip string req', 'hostnames []string list=atomic'),
  t(
    `${CORE}.TopologySpreadConstraint`,
    'maxSkew int32 req',
    'topologyKey string req',
    'whenUnsatisfiable string req',
    `labelSelector ${META}.LabelSelector`,
  ),
  t(
    `${CORE}.PodStatus`,
    'phase string',
    'conditions []PodCondition merge=type list=map keys=type',
    'podIP string',
  ),
  t(`${CORE}.PodCondition`, 'type string req', 'status string req', 'reason string', 'message string'),
  t(`${CORE}.PodTemplateSpec`, `metadata ${META}.ObjectMeta`, 'spec PodSpec'),
  t(SERVICE, 'apiVersion string', 'kind string', `metadata ${META}.ObjectMeta`, 'spec ServiceSpec'),
  t(
    `${CORE}.ServiceSpec`,
    'ports []ServicePort merge=port list=map keys=port,protocol',
    'selector {}string',
    'clusterIP string',
    'type string',
    'externalIPs []string list=atomic',
    'sessionAffinity string',
  ),
  t(
    `${CORE}.ServicePort`,
    'name string',
    'protocol string',
    'port int32 req',
    'targetPort intOrString',
    'nodePort int32',
  ),
  t(
    DEPLOYMENT,
    'apiVersion string',
    'kind string',
    `metadata ${META}.ObjectMeta`,
    `spec ${APPS}.DeploymentSpec`,
    `status ${APPS}.DeploymentStatus`,
  ),
  t(
    `${APPS}.DeploymentSpec`,
    'replicas int32',
    `selector ${META}.LabelSelector`,
    `template ${CORE}.PodTemplateSpec req`,
    `strategy ${APPS}.DeploymentStrategy strategy=retainKeys`,
    'minReadySeconds int32',
    'revisionHistoryLimit int32',
    'paused bool',
    'progressDeadlineSeconds int32',
  ),
  t(`${APPS}.DeploymentStrategy`, 'type string', `rollingUpdate ${APPS}.RollingUpdateDeployment`),
  t(`${APPS}.RollingUpdateDeployment`, 'maxUnavailable intOrString', 'maxSurge intOrString'),
  t(
    `${APPS}.DeploymentStatus`,
    'replicas int32',
    'readyReplicas int32',
    `conditions []${APPS}.DeploymentCondition merge=type list=map keys=type`,
  ),
  t(`${APPS}.DeploymentCondition`, 'type string req', 'status string req', 'reason string'),
];

function objectMeta(): TypeDef {
  return t(
    `${META}.ObjectMeta`,
    'name string',
    'generateName string',
    'namespace string',
    'uid string',
    'resourceVersion string',
    'generation int64',
    'creationTimestamp time',
    'labels {}string',
    'annotations {}string',
    `ownerReferences []${META}.OwnerReference merge=uid list=map keys=uid`,
    'finalizers []string merge list=set',
    `managedFields []${META}.ManagedFieldsEntry list=atomic`,
  );
}

export function schemaOf(types: TypeDef[]): TypeSchema {
  const byName = new Map(types.map((x) => [x.name, x]));
  return {
    type: (n) => byName.get(n),
    typeForKind: () => undefined,
    field: (typeName, fieldName) => byName.get(typeName)?.fields.find((x) => x.name === fieldName),
  };
}

export const schema = schemaOf(TYPES);
