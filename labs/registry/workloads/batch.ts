/** batch/v1 Jobs and CronJobs. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { defineStrategy, specOf } from '../lib/base.ts';
import { humanDuration, since } from '../lib/duration.ts';
import {
  FIELD_IMMUTABLE,
  immutable,
  invalid,
  nonNegative,
  notSupported,
  required,
  sameJSON,
} from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { maxLenError } from '../lib/names.ts';
import { age, ageCol, col, containerCells, formatLabelSelector, nameCol, wide } from '../lib/table.ts';
import { defaultPodTemplate, defaultTemplateMeta } from '../pods/defaults.ts';
import type { KindDefinition } from '../strategy.ts';
import {
  selectorMatchesTemplate,
  selectorValue,
  validateLabelSelector,
  validatePodTemplate,
} from './common.ts';

type Obj = Record<string, any>;

const JOB_RESTART_POLICIES = ['OnFailure', 'Never'];

function defaultJob(job: KObject): void {
  const spec = specOf(job);
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  const labels = spec.template?.metadata?.labels;
  if (labels && !Object.keys(job.metadata.labels ?? {}).length) job.metadata.labels = { ...labels };
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  defaultPodTemplate((spec.template ??= {}));
}

/** generateSelector: pods are tied to the Job by its uid, plus the job-name labels. */
function generateSelector(job: KObject): void {
  const spec = job.spec;
  if (spec.manualSelector === true) return;
  const labels = (spec.template.metadata.labels ??= {});
  for (const k of [
    'batch.kubernetes.io/controller-uid',
    'batch.kubernetes.io/job-name',
    'controller-uid',
    'job-name',
  ]) {
    if (!(k in labels)) labels[k] = k.endsWith('uid') ? job.metadata.uid : job.metadata.name;
  }
  spec.selector ??= {};
  spec.selector.matchLabels ??= {};
  spec.selector.matchLabels['batch.kubernetes.io/controller-uid'] ??= job.metadata.uid;
}

function validateJobTemplateSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
  ]) {
    errs.push(...nonNegative(`${path}.${f}`, spec[f]));
  }
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, `${path}.selector`));
  const t = spec.template;
  if (!t || typeof t !== 'object') return [...errs, required(`${path}.template`)];
  if (
    spec.selector &&
    Object.keys(spec.selector.matchLabels ?? {}).length + (spec.selector.matchExpressions ?? []).length
  ) {
    errs.push(...selectorMatchesTemplate(spec.selector, t, `${path}.template`));
  }
  errs.push(...validatePodTemplate(t, `${path}.template`));
  const rp = t.spec?.restartPolicy;
  if (!JOB_RESTART_POLICIES.includes(rp))
    errs.push(notSupported(`${path}.template.spec.restartPolicy`, rp ?? '', JOB_RESTART_POLICIES));
  if (spec.completionMode && !['NonIndexed', 'Indexed'].includes(spec.completionMode)) {
    errs.push(notSupported(`${path}.completionMode`, spec.completionMode, ['NonIndexed', 'Indexed']));
  }
  return errs;
}

function jobStatusCell(job: KObject): string {
  const has = (type: string) =>
    (job.status?.conditions ?? []).some((c: Obj) => c.type === type && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  if (has('FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function completionsCell(job: KObject): string {
  const succeeded = job.status?.succeeded ?? 0;
  const spec = job.spec ?? {};
  if (spec.completions != null) return `${succeeded}/${spec.completions}`;
  const parallelism = spec.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function durationCell(job: KObject, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime;
  return end ? humanDuration(Date.parse(end) - Date.parse(start)) : humanDuration(now - Date.parse(start));
}

const CONTAINERS_DOC = 'Names of each container in the template.';
const IMAGES_DOC = 'Images referenced by each container in the template.';

export const jobs: KindDefinition = {
  info: info({
    group: 'batch',
    resource: 'jobs',
    kind: 'Job',
    categories: ['all'],
    subresources: ['status'],
  }),
  strategy: defineStrategy({
    tracksGeneration: true,
    status: true,
    defaults: defaultJob,
    prepareForCreate: generateSelector,
    validate: (job) => validateJobTemplateSpec(job.spec ?? {}, 'spec'),
    validateUpdate(job, old) {
      const spec: Obj = job.spec ?? {};
      const prev: Obj = old.spec ?? {};
      const errs: FieldError[] = [
        ...immutable('spec.selector', spec.selector, prev.selector, selectorValue(spec.selector)),
        ...immutable('spec.completionMode', spec.completionMode, prev.completionMode),
        ...immutable('spec.podFailurePolicy', spec.podFailurePolicy, prev.podFailurePolicy),
      ];
      if (spec.completionMode !== 'Indexed')
        errs.push(...immutable('spec.completions', spec.completions, prev.completions));
      // A suspended Job that never started may still get a new template.
      const neverStarted = prev.suspend === true && !old.status?.startTime;
      if (!neverStarted && !sameJSON(spec.template, prev.template)) {
        errs.push(invalid('spec.template', 'core.PodTemplateSpec{...}', FIELD_IMMUTABLE));
      }
      return errs;
    },
    selectableFields: (job) => ({ 'status.successful': String(job.status?.succeeded ?? 0) }),
    table: {
      columns: [
        nameCol(),
        col('Status', 'string', 'Status of the job.'),
        col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
        col('Duration', 'string', 'Time required to complete the job.'),
        ageCol(),
        wide('Containers', CONTAINERS_DOC),
        wide('Images', IMAGES_DOC),
        wide('Selector', 'A label query over pods that should match the pod count.'),
      ],
      cells: (job, ctx) => {
        const [names, images] = containerCells(job.spec?.template?.spec?.containers);
        return [
          job.metadata.name,
          jobStatusCell(job),
          completionsCell(job),
          durationCell(job, ctx.now()),
          age(job, ctx),
          names,
          images,
          formatLabelSelector(job.spec?.selector),
        ];
      },
    },
  }),
};

export const cronJobs: KindDefinition = {
  info: info({
    group: 'batch',
    resource: 'cronjobs',
    kind: 'CronJob',
    shortNames: ['cj'],
    categories: ['all'],
    subresources: ['status'],
  }),
  strategy: defineStrategy({
    tracksGeneration: true,
    status: true,
    defaults(cj) {
      const spec = specOf(cj);
      if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
      spec.suspend ??= false;
      spec.successfulJobsHistoryLimit ??= 3;
      spec.failedJobsHistoryLimit ??= 1;
      const jt = (spec.jobTemplate ??= {});
      defaultTemplateMeta(jt);
      defaultPodTemplate(((jt.spec ??= {}).template ??= {}));
    },
    validate(cj) {
      const spec: Obj = cj.spec ?? {};
      const errs: FieldError[] = [];
      if ((cj.metadata.name ?? '').length > 52)
        errs.push(invalid('metadata.name', cj.metadata.name, maxLenError(52)));
      if (!spec.schedule) errs.push(required('spec.schedule'));
      else if (
        String(spec.schedule).trim().split(/\s+/).length !== 5 &&
        !String(spec.schedule).startsWith('@')
      ) {
        errs.push(
          invalid(
            'spec.schedule',
            spec.schedule,
            `unparseable cron schedule: expected exactly 5 fields, found ${String(spec.schedule).trim().split(/\s+/).length}: [${String(spec.schedule).trim()}]`,
          ),
        );
      }
      if (!['Allow', 'Forbid', 'Replace'].includes(spec.concurrencyPolicy)) {
        errs.push(
          notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy ?? '', [
            'Allow',
            'Forbid',
            'Replace',
          ]),
        );
      }
      errs.push(...nonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
      errs.push(...nonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
      errs.push(...nonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
      errs.push(...validateJobTemplateSpec(spec.jobTemplate?.spec ?? {}, 'spec.jobTemplate.spec'));
      return errs;
    },
    table: {
      columns: [
        nameCol(),
        col('Schedule', 'string', 'The schedule in Cron format.'),
        col('Timezone', 'string', 'The time zone name for the given schedule.'),
        col('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions.'),
        col('Active', 'integer', 'A list of pointers to currently running jobs.'),
        col(
          'Last Schedule',
          'string',
          'Information when was the last time the job was successfully scheduled.',
        ),
        ageCol(),
        wide('Containers', CONTAINERS_DOC),
        wide('Images', IMAGES_DOC),
        wide('Selector', 'A label query over pods that should match the pod count.'),
      ],
      cells: (cj, ctx) => {
        const spec: Obj = cj.spec ?? {};
        const [names, images] = containerCells(spec.jobTemplate?.spec?.template?.spec?.containers);
        const last = cj.status?.lastScheduleTime ? since(cj.status.lastScheduleTime, ctx.now()) : '<none>';
        return [
          cj.metadata.name,
          spec.schedule ?? '',
          spec.timeZone ?? '<none>',
          spec.suspend === true ? 'True' : 'False',
          (cj.status?.active ?? []).length,
          last,
          age(cj, ctx),
          names,
          images,
          formatLabelSelector(spec.jobTemplate?.spec?.selector),
        ];
      },
    },
  }),
};
