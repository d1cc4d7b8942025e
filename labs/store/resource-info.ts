/**
 * What the API server knows about one resource type: enough for discovery, routing, OpenAPI
 * paths and the generic store. Per-kind behaviour (defaults, validation, table columns) lives in
 * the kind's strategy in labs/registry/, not here.
 */
export interface ResourceInfo {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural, lower-case resource name as used in URLs: 'pods', 'deployments'. */
  resource: string;
  /** Singular name ('pod'); kubectl uses it for `kubectl get pod`. */
  singular: string;
  kind: string;
  /** Kind of the list object, normally `${kind}List`. */
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Subresources served for this resource: 'status', 'scale', 'log', 'exec', 'attach', 'binding', ... */
  subresources: string[];
}

export const READ_WRITE_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
