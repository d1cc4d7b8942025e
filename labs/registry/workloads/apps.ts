/** apps/v1 workloads: Deployments, ReplicaSets, DaemonSets, StatefulSets (and core ReplicationControllers). */
import type { FieldError } from '../../kube/errors.ts';
import { clone, type KObject } from '../../kube/object.ts';
import { defineStrategy, specOf } from '../lib/base.ts';
import {
  forbidden,
  immutable,
  invalid,
  nonNegative,
  notSupported,
  required,
  sameJSON,
} from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { validateLabels } from '../lib/meta.ts';
import {
  age,
  ageCol,
  col,
  containerCells,
  formatLabelSelector,
  formatLabels,
  nameCol,
  selectorString,
  wide,
} from '../lib/table.ts';
import { defaultPodTemplate } from '../pods/defaults.ts';
import type { KindDefinition } from '../strategy.ts';
import {
  intOrPercentValue,
  notMoreThan100Percent,
  selectorMatchesTemplate,
  selectorParses,
  selectorValue,
  validateIntOrPercent,
  validateLabelSelector,
  validatePodTemplate,
  validateReplicatedSpec,
} from './common.ts';

type Obj = Record<string, any>;

const CONTAINERS_DOC = 'Names of each container in the template.';
const IMAGES_DOC = 'Images referenced by each container in the template.';

/** apps/v1 made workload selectors immutable. */
const selectorImmutable = (obj: KObject, old: KObject) =>
  immutable('spec.selector', obj.spec?.selector, old.spec?.selector, selectorValue(obj.spec?.selector));

// ---------------------------------------------------------------- Deployment

function defaultDeployment(d: KObject): void {
  const spec = specOf(d);
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    strategy.rollingUpdate ??= {};
    strategy.rollingUpdate.maxUnavailable ??= '25%';
    strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplate((spec.template ??= {}));
}

function validateDeploymentStrategy(strategy: Obj | undefined): FieldError[] {
  const s = strategy ?? {};
  const path = 'spec.strategy';
  switch (s.type) {
    case 'Recreate':
      return s.rollingUpdate
        ? [forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")]
        : [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) return [required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
      const p = `${path}.rollingUpdate`;
      const errs = [
        ...validateIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...validateIntOrPercent(ru.maxSurge, `${p}.maxSurge`),
      ];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalid(`${p}.maxUnavailable`, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      return errs;
    }
    default:
      return [notSupported(path, s, ['Recreate', 'RollingUpdate'])];
  }
}

function validateDeployment(d: KObject): FieldError[] {
  const spec: Obj = d.spec ?? {};
  const errs = validateReplicatedSpec(d, 'deployment');
  errs.push(...validateDeploymentStrategy(spec.strategy));
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  if (spec.progressDeadlineSeconds !== undefined && spec.progressDeadlineSeconds !== null) {
    errs.push(...nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(
        invalid(
          'spec.progressDeadlineSeconds',
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  return errs;
}

export const deployments: KindDefinition = {
  info: info({
    group: 'apps',
    resource: 'deployments',
    kind: 'Deployment',
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['scale', 'status'],
  }),
  strategy: defineStrategy({
    tracksGeneration: true,
    status: true,
    defaults: defaultDeployment,
    prepareForUpdate(d, old) {
      // Deployments also count annotation changes (change-cause, rollbacks) as a new generation.
      // The deployment controller's own revision annotations do not: upstream it writes them
      // through /status, which never bumps the generation.
      const userAnnotations = (o: KObject) =>
        Object.fromEntries(
          Object.entries(o.metadata.annotations ?? {}).filter(
            ([k]) => !k.startsWith('deployment.kubernetes.io/'),
          ),
        );
      if (
        !sameJSON(userAnnotations(d), userAnnotations(old)) &&
        sameJSON({ ...d, metadata: {}, status: {} }, { ...old, metadata: {}, status: {} })
      ) {
        d.metadata.generation = (old.metadata.generation ?? 1) + 1;
      }
    },
    prepareForStatusUpdate(d, old) {
      // deploymentStatusStrategy: spec and labels stay, status and annotations may change.
      const { status, metadata } = d;
      for (const k of Object.keys(d)) delete d[k];
      Object.assign(d, clone(old), { status });
      d.metadata.annotations = metadata.annotations;
      d.metadata.resourceVersion = metadata.resourceVersion;
      if (d.metadata.annotations === undefined) delete d.metadata.annotations;
    },
    validate: validateDeployment,
    validateUpdate: selectorImmutable,
    table: {
      columns: [
        nameCol(),
        col('Ready', 'string', 'Number of the pod with ready state'),
        col(
          'Up-to-date',
          'string',
          'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
        ),
        col(
          'Available',
          'string',
          'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
        ),
        ageCol(),
        wide('Containers', CONTAINERS_DOC),
        wide('Images', IMAGES_DOC),
        wide('Selector', 'Label selector for pods.'),
      ],
      cells: (d, ctx) => {
        const st: Obj = d.status ?? {};
        const [names, images] = containerCells(d.spec?.template?.spec?.containers);
        return [
          d.metadata.name,
          `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
          st.updatedReplicas ?? 0,
          st.availableReplicas ?? 0,
          age(d, ctx),
          names,
          images,
          selectorString(d.spec?.selector),
        ];
      },
    },
  }),
};

// ---------------------------------------------------------------- ReplicaSet

const replicaSetColumns = () => [
  nameCol(),
  col('Desired', 'integer', 'Replicas is the number of desired pods.'),
  col('Current', 'integer', 'Replicas is the most recently observed number of non-terminating pods.'),
  col(
    'Ready',
    'integer',
    'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.',
  ),
  ageCol(),
  wide('Containers', CONTAINERS_DOC),
  wide('Images', IMAGES_DOC),
  wide('Selector', 'Selector is a label query over pods that should match the replica count.'),
];

export const replicaSets: KindDefinition = {
  info: info({
    group: 'apps',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['scale', 'status'],
  }),
  strategy: defineStrategy({
    tracksGeneration: true,
    status: true,
    initialStatus: () => ({ replicas: 0 }),
    defaults(rs) {
      const spec = specOf(rs);
      spec.replicas ??= 1;
      defaultPodTemplate((spec.template ??= {}));
    },
    validate: (rs) => validateReplicatedSpec(rs, 'deployment'),
    validateUpdate: selectorImmutable,
    selectableFields: (rs) => ({ 'status.replicas': String(rs.status?.replicas ?? 0) }),
    table: {
      columns: replicaSetColumns(),
      cells: (rs, ctx) => {
        const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
        return [
          rs.metadata.name,
          rs.spec?.replicas ?? 0,
          rs.status?.replicas ?? 0,
          rs.status?.readyReplicas ?? 0,
          age(rs, ctx),
          names,
          images,
          formatLabelSelector(rs.spec?.selector),
        ];
      },
    },
  }),
};

// ---------------------------------------------------------------- ReplicationController

export const replicationControllers: KindDefinition = {
  info: info({
    resource: 'replicationcontrollers',
    kind: 'ReplicationController',
    shortNames: ['rc'],
    categories: ['all'],
    subresources: ['scale', 'status'],
  }),
  strategy: defineStrategy({
    tracksGeneration: true,
    status: true,
    initialStatus: () => ({ replicas: 0 }),
    defaults(rc) {
      const spec = specOf(rc);
      spec.replicas ??= 1;
      const labels = spec.template?.metadata?.labels;
      if (labels) {
        if (!Object.keys(spec.selector ?? {}).length) spec.selector = { ...labels };
        if (!Object.keys(rc.metadata.labels ?? {}).length) rc.metadata.labels = { ...labels };
      }
      if (spec.template) defaultPodTemplate(spec.template);
    },
    validate(rc) {
      const spec: Obj = rc.spec ?? {};
      const errs = [
        ...nonNegative('spec.replicas', spec.replicas),
        ...nonNegative('spec.minReadySeconds', spec.minReadySeconds),
      ];
      const selector = spec.selector ?? {};
      if (!Object.keys(selector).length) errs.push(required('spec.selector'));
      else errs.push(...validateLabels(selector, 'spec.selector'));
      if (!spec.template) errs.push(required('spec.template'));
      else {
        if (Object.keys(selector).length)
          errs.push(...selectorMatchesTemplate({ matchLabels: selector }, spec.template, 'spec.template'));
        errs.push(...validatePodTemplate(spec.template, 'spec.template'));
        if (spec.template.spec?.restartPolicy !== 'Always') {
          errs.push(
            notSupported('spec.template.spec.restartPolicy', spec.template.spec?.restartPolicy ?? '', [
              'Always',
            ]),
          );
        }
      }
      return errs;
    },
    selectableFields: (rc) => ({ 'status.replicas': String(rc.status?.replicas ?? 0) }),
    table: {
      columns: replicaSetColumns(),
      cells: (rc, ctx) => {
        const [names, images] = containerCells(rc.spec?.template?.spec?.containers);
        return [
          rc.metadata.name,
          rc.spec?.replicas ?? 0,
          rc.status?.replicas ?? 0,
          rc.status?.readyReplicas ?? 0,
          age(rc, ctx),
          names,
          images,
          formatLabels(rc.spec?.selector),
        ];
      },
    },
  }),
};

// ---------------------------------------------------------------- DaemonSet

function validateDaemonSet(ds: KObject): FieldError[] {
  const spec: Obj = ds.spec ?? {};
  const errs: FieldError[] = [];
  const sel = spec.selector;
  if (!sel || typeof sel !== 'object') errs.push(required('spec.selector'));
  errs.push(...validateLabelSelector(sel, 'spec.selector'));
  const template: Obj = spec.template ?? {};
  if (selectorParses(sel)) {
    // A missing selector selects nothing, so no template can match it.
    if (sel && typeof sel === 'object') errs.push(...selectorMatchesTemplate(sel, template, 'spec.template'));
    else
      errs.push(
        invalid(
          'spec.template.metadata.labels',
          { ...(template.metadata?.labels ?? {}) },
          '`selector` does not match template `labels`',
        ),
      );
  }
  if (
    sel &&
    typeof sel === 'object' &&
    !Object.keys(sel.matchLabels ?? {}).length &&
    !(sel.matchExpressions ?? []).length
  ) {
    errs.push(invalid('spec.selector', selectorValue(sel), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplate(template, 'spec.template'));
  if (template.spec?.restartPolicy !== 'Always') {
    errs.push(
      notSupported('spec.template.spec.restartPolicy', template.spec?.restartPolicy ?? '', ['Always']),
    );
  }
  if (template.spec?.activeDeadlineSeconds !== undefined && template.spec?.activeDeadlineSeconds !== null) {
    errs.push(
      invalid(
        'spec.template.spec.activeDeadlineSeconds',
        template.spec.activeDeadlineSeconds,
        'activeDeadlineSeconds in DaemonSet is not Supported',
      ),
    );
  }
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  const us: Obj = spec.updateStrategy ?? {};
  switch (us.type) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const ru = us.rollingUpdate;
      if (!ru) {
        errs.push(required('spec.updateStrategy.rollingUpdate'));
        break;
      }
      const p = 'spec.updateStrategy.rollingUpdate';
      errs.push(
        ...validateIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...validateIntOrPercent(ru.maxSurge, `${p}.maxSurge`),
      );
      const mu = intOrPercentValue(ru.maxUnavailable);
      const ms = intOrPercentValue(ru.maxSurge);
      if (mu === 0 && ms === 0)
        errs.push(invalid(`${p}.maxUnavailable`, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      if (mu !== 0 && ms !== 0)
        errs.push(invalid(`${p}.maxSurge`, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      break;
    }
    default:
      errs.push(notSupported('spec.updateStrategy', us, ['RollingUpdate', 'OnDelete']));
  }
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  return errs;
}

export const daemonSets: KindDefinition = {
  info: info({
    group: 'apps',
    resource: 'daemonsets',
    kind: 'DaemonSet',
    shortNames: ['ds'],
    categories: ['all'],
    subresources: ['status'],
  }),
  strategy: defineStrategy({
    tracksGeneration: true,
    status: true,
    initialStatus: () => ({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    }),
    defaults(ds) {
      const spec = specOf(ds);
      const us = (spec.updateStrategy ??= {});
      if (!us.type) us.type = 'RollingUpdate';
      if (us.type === 'RollingUpdate') {
        us.rollingUpdate ??= {};
        us.rollingUpdate.maxUnavailable ??= 1;
        us.rollingUpdate.maxSurge ??= 0;
      }
      spec.revisionHistoryLimit ??= 10;
      defaultPodTemplate((spec.template ??= {}));
    },
    validate: validateDaemonSet,
    validateUpdate: selectorImmutable,
    table: {
      columns: [
        nameCol(),
        col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
        col(
          'Current',
          'integer',
          'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
        ),
        col(
          'Ready',
          'integer',
          'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
        ),
        col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
        col(
          'Available',
          'integer',
          'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
        ),
        col(
          'Node Selector',
          'string',
          'NodeSelector is a selector which must be true for the pod to fit on a node.',
        ),
        ageCol(),
        wide('Containers', CONTAINERS_DOC),
        wide('Images', IMAGES_DOC),
        wide('Selector', 'A label query over pods that are managed by the daemon set.'),
      ],
      cells: (ds, ctx) => {
        const st: Obj = ds.status ?? {};
        const [names, images] = containerCells(ds.spec?.template?.spec?.containers);
        return [
          ds.metadata.name,
          st.desiredNumberScheduled ?? 0,
          st.currentNumberScheduled ?? 0,
          st.numberReady ?? 0,
          st.updatedNumberScheduled ?? 0,
          st.numberAvailable ?? 0,
          formatLabels(ds.spec?.template?.spec?.nodeSelector),
          age(ds, ctx),
          names,
          images,
          formatLabelSelector(ds.spec?.selector),
        ];
      },
    },
  }),
};

// ---------------------------------------------------------------- StatefulSet

const STATEFULSET_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

export const statefulSets: KindDefinition = {
  info: info({
    group: 'apps',
    resource: 'statefulsets',
    kind: 'StatefulSet',
    shortNames: ['sts'],
    categories: ['all'],
    subresources: ['scale', 'status'],
  }),
  strategy: defineStrategy({
    tracksGeneration: true,
    status: true,
    initialStatus: () => ({ availableReplicas: 0, replicas: 0 }),
    defaults(sts) {
      const spec = specOf(sts);
      spec.replicas ??= 1;
      if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
      const us = (spec.updateStrategy ??= {});
      if (!us.type) us.type = 'RollingUpdate';
      if (us.type === 'RollingUpdate') {
        us.rollingUpdate ??= {};
        us.rollingUpdate.partition ??= 0;
      }
      spec.revisionHistoryLimit ??= 10;
      spec.persistentVolumeClaimRetentionPolicy ??= {};
      spec.persistentVolumeClaimRetentionPolicy.whenDeleted ??= 'Retain';
      spec.persistentVolumeClaimRetentionPolicy.whenScaled ??= 'Retain';
      defaultPodTemplate((spec.template ??= {}));
      for (const claim of Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) {
        if (claim && typeof claim === 'object') {
          claim.apiVersion ??= 'v1';
          claim.kind ??= 'PersistentVolumeClaim';
          claim.spec ??= {};
          claim.spec.volumeMode ??= 'Filesystem';
          claim.status ??= { phase: 'Pending' };
        }
      }
    },
    validate: (sts) => {
      const errs = validateReplicatedSpec(sts, 'statefulset');
      const policy = sts.spec?.podManagementPolicy;
      if (policy && !['OrderedReady', 'Parallel'].includes(policy)) {
        errs.push(notSupported('spec.podManagementPolicy', policy, ['OrderedReady', 'Parallel']));
      }
      return errs;
    },
    validateUpdate(sts, old) {
      const strip = (spec: Obj) => {
        const rest: Obj = { ...(spec ?? {}) };
        for (const k of STATEFULSET_MUTABLE) delete rest[k];
        return rest;
      };
      if (sameJSON(strip(sts.spec), strip(old.spec))) return [];
      return [
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      ];
    },
    table: {
      columns: [
        nameCol(),
        col('Ready', 'string', 'Number of the pod with ready state'),
        ageCol(),
        wide('Containers', CONTAINERS_DOC),
        wide('Images', IMAGES_DOC),
      ],
      cells: (sts, ctx) => {
        const [names, images] = containerCells(sts.spec?.template?.spec?.containers);
        return [
          sts.metadata.name,
          `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 0}`,
          age(sts, ctx),
          names,
          images,
        ];
      },
    },
  }),
};
