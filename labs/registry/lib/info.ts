/** Discovery facts for one resource, with the defaults most kinds share. */
import { READ_WRITE_VERBS, type ResourceInfo } from '../../store/resource-info.ts';

export interface InfoSpec {
  group?: string;
  version?: string;
  resource: string;
  kind: string;
  singular?: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  subresources?: string[];
}

export const NO_DELETECOLLECTION = READ_WRITE_VERBS.filter((v) => v !== 'deletecollection');
export const CREATE_ONLY = ['create'];

export function info(spec: InfoSpec): ResourceInfo {
  return {
    group: spec.group ?? '',
    version: spec.version ?? 'v1',
    resource: spec.resource,
    singular: spec.singular ?? spec.kind.toLowerCase(),
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    namespaced: spec.namespaced ?? true,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    verbs: spec.verbs ?? [...READ_WRITE_VERBS],
    subresources: spec.subresources ?? [],
  };
}
