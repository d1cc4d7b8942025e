/** Events (core/v1): the legacy checks, the fields Go always writes, the `get events` table. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { defineStrategy } from '../lib/base.ts';
import { since } from '../lib/duration.ts';
import { each, invalid } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { isDNS1123Subdomain } from '../lib/names.ts';
import { col, nameCol, wide } from '../lib/table.ts';
import type { ClusterContext, KindDefinition } from '../strategy.ts';

type Obj = Record<string, any>;

function validateEvent(ev: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const involvedNs: string = ev.involvedObject?.namespace ?? '';
  const ns = ev.metadata.namespace ?? '';
  const mismatch = () => invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace');
  if (!ev.eventTime) {
    if (!involvedNs) {
      if (ns !== '' && ns !== 'default') errs.push(mismatch());
    } else if (ns !== involvedNs) errs.push(mismatch());
  } else if (!involvedNs && ns !== 'default' && ns !== 'kube-system') errs.push(mismatch());
  errs.push(...each('namespace', ns, isDNS1123Subdomain(ns)));
  return errs;
}

function eventSource(ev: KObject): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const host = ev.source?.host || ev.reportingInstance || '';
  return host ? `${component}, ${host}` : component;
}

function eventRow(ev: KObject, ctx: ClusterContext): unknown[] {
  const now = ctx.now();
  let first = since(ev.firstTimestamp, now);
  if (!ev.firstTimestamp) first = since(ev.eventTime, now);
  let last = ev.lastTimestamp ? since(ev.lastTimestamp, now) : first;
  let count: number = ev.count ?? 0;
  if (ev.series) {
    last = since(ev.series.lastObservedTime, now);
    count = ev.series.count ?? 0;
  } else if (!count) count = 1;
  const io: Obj = ev.involvedObject ?? {};
  const kind = String(io.kind ?? '').toLowerCase();
  const target = io.name ? `${kind}/${io.name}` : kind;
  return [
    last,
    ev.type ?? '',
    ev.reason ?? '',
    target,
    io.fieldPath ?? '',
    eventSource(ev),
    String(ev.message ?? '').trim(),
    first,
    count,
    ev.metadata.name,
  ];
}

export const events: KindDefinition = {
  info: info({ resource: 'events', kind: 'Event', shortNames: ['ev'] }),
  strategy: defineStrategy({
    defaults(ev) {
      // Fields without omitempty in core/v1 Event: Go writes them even when empty.
      ev.involvedObject ??= {};
      ev.source ??= {};
      ev.reportingComponent ??= '';
      ev.reportingInstance ??= '';
      if (!('eventTime' in ev)) ev.eventTime = null;
      if (!('firstTimestamp' in ev)) ev.firstTimestamp = null;
      if (!('lastTimestamp' in ev)) ev.lastTimestamp = null;
    },
    validate: validateEvent,
    selectableFields: (ev) => {
      const io: Obj = ev.involvedObject ?? {};
      return {
        'involvedObject.kind': io.kind ?? '',
        'involvedObject.namespace': io.namespace ?? '',
        'involvedObject.name': io.name ?? '',
        'involvedObject.uid': io.uid ?? '',
        'involvedObject.apiVersion': io.apiVersion ?? '',
        'involvedObject.resourceVersion': io.resourceVersion ?? '',
        'involvedObject.fieldPath': io.fieldPath ?? '',
        reason: ev.reason ?? '',
        reportingComponent: ev.reportingComponent ?? '',
        source: ev.source?.component || ev.reportingComponent || '',
        type: ev.type ?? '',
      };
    },
    table: {
      columns: [
        col(
          'Last Seen',
          'string',
          'The time at which the most recent occurrence of this event was recorded.',
        ),
        col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
        col(
          'Reason',
          'string',
          "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
        ),
        col('Object', 'string', 'The object that this event is about.'),
        wide(
          'Subobject',
          'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
        ),
        wide(
          'Source',
          'The component reporting this event. Should be a short machine understandable string.',
        ),
        col('Message', 'string', 'A human-readable description of the status of this operation.'),
        wide(
          'First Seen',
          'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
        ),
        wide('Count', 'The number of times this event has occurred.'),
        { ...nameCol(), priority: 1 },
      ],
      cells: eventRow,
    },
  }),
};
