/**
 * Building blocks for server-side tables (what `kubectl get` prints): column definitions in the
 * apiserver's order and priorities, and the cell formats of pkg/printers/internalversion.
 */
import type { KObject } from '../../kube/object.ts';
import { formatSelector, type LabelSelectorObject, selectorFromObject } from '../../kube/selectors.ts';
import type { ClusterContext, ColumnDefinition, TableConvertor } from '../strategy.ts';
import { since } from './duration.ts';

const NAME_DOC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const CREATED_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

type ColumnType = ColumnDefinition['type'];

/** A column; `wide` marks priority-1 columns that only `-o wide` shows. */
export function col(
  name: string,
  type: ColumnType = 'string',
  description = '',
  wide = false,
): ColumnDefinition {
  return { name, type, format: '', description, priority: wide ? 1 : 0 };
}

export const nameCol = (): ColumnDefinition => ({
  name: 'Name',
  type: 'string',
  format: 'name',
  description: NAME_DOC,
  priority: 0,
});
export const ageCol = (): ColumnDefinition => col('Age', 'string', CREATED_DOC);
export const wide = (name: string, description = '', type: ColumnType = 'string'): ColumnDefinition =>
  col(name, type, description, true);

export function age(obj: KObject, ctx: ClusterContext): string {
  return since(obj.metadata.creationTimestamp, ctx.now());
}

/** The apiserver's default table for kinds without a printer: NAME and CREATED AT. */
export const createdAtTable: TableConvertor = {
  columns: [
    nameCol(),
    { name: 'Created At', type: 'date', format: '', description: CREATED_DOC, priority: 0 },
  ],
  cells: (obj) => [obj.metadata.name, obj.metadata.creationTimestamp ?? null],
};

/** NAME / AGE, what kubectl shows for kinds that are plain lists. */
export const nameAgeTable: TableConvertor = {
  columns: [nameCol(), ageCol()],
  cells: (obj, ctx) => [obj.metadata.name, age(obj, ctx)],
};

/** layoutContainerCells: names and images, comma-joined. */
export function containerCells(
  containers: { name?: string; image?: string }[] | undefined,
): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** labels.FormatLabels: sorted `k=v` pairs, `<none>` when empty. */
export function formatLabels(map: Record<string, string> | undefined | null): string {
  const keys = Object.keys(map ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${map![k]}`).join(',') : '<none>';
}

/** labels.Selector.String(): requirements sorted by key, values sorted. '' when empty or nil. */
export function selectorString(sel: LabelSelectorObject | undefined | null): string {
  const reqs = selectorFromObject(sel).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return formatSelector(reqs);
}

/** metav1.FormatLabelSelector: like selectorString but `<none>` when empty. */
export function formatLabelSelector(sel: LabelSelectorObject | undefined | null): string {
  return selectorString(sel) || '<none>';
}

/** strings.Join of a list, or a placeholder when it is empty. */
export function joinOr(list: string[], sep: string, empty: string): string {
  return list.length ? list.join(sep) : empty;
}
