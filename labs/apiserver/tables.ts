/**
 * Server-side printing. kubectl asks every `get` for `as=Table` and prints the cells it receives,
 * so these columns are what the learner sees. Kinds without their own convertor get the apiserver's
 * default (NAME, CREATED AT).
 */
import type { KObject } from '../kube/object.ts';
import type { ClusterContext, ColumnDefinition, KindDefinition } from '../registry/strategy.ts';

const DEFAULT_COLUMNS: ColumnDefinition[] = [
  {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: 'Name must be unique within a namespace.',
    priority: 0,
  },
  {
    name: 'Created At',
    type: 'date',
    format: '',
    description:
      'CreationTimestamp is a timestamp representing the server time when this object was created.',
    priority: 0,
  },
];

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function partialMetadata(obj: KObject) {
  const { managedFields: _mf, ...metadata } = obj.metadata;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
}

function row(def: KindDefinition, obj: KObject, ctx: ClusterContext, include: IncludeObject) {
  const cells = def.strategy.table
    ? def.strategy.table.cells(obj, ctx)
    : [obj.metadata.name, obj.metadata.creationTimestamp ?? ''];
  const r: Record<string, unknown> = { cells };
  if (include === 'Metadata') r.object = partialMetadata(obj);
  else if (include === 'Object') r.object = obj;
  return r;
}

export function toTable(
  def: KindDefinition,
  objects: KObject[],
  ctx: ClusterContext,
  opts: { resourceVersion?: string; include?: IncludeObject; noHeaders?: boolean } = {},
) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {},
    ...(opts.noHeaders ? {} : { columnDefinitions: def.strategy.table?.columns ?? DEFAULT_COLUMNS }),
    rows: objects.map((o) => row(def, o, ctx, opts.include ?? 'Metadata')),
  };
}
