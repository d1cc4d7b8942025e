/**
 * Per-kind behaviour, in the spirit of Kubernetes' registry strategies: the generic store calls
 * these hooks in one fixed order (see labs/store/store.ts), and each kind keeps its defaults,
 * validation, table columns and field-selector attributes in one small file under labs/registry/.
 */
import type { FieldError } from '../kube/errors.ts';
import type { KObject } from '../kube/object.ts';
import type { ResourceInfo } from '../store/resource-info.ts';

/** Lab-wide settings and services the hooks may consult. */
export interface ClusterContext {
  /** e.g. '10.96.0.0/12' */
  serviceCIDR: string;
  /** e.g. [30000, 32767] */
  nodePortRange: [number, number];
  clusterDomain: string;
  /** Allocators for ClusterIPs and NodePorts; owned by the control plane, one per lab. */
  allocators: {
    clusterIP: IpAllocator;
    nodePort: PortAllocator;
  };
  now(): number;
}

export interface IpAllocator {
  /** Reserve a specific address; throws a FieldError-bearing Error if taken or outside the range. */
  allocate(ip: string): void;
  allocateNext(): string;
  release(ip: string): void;
  contains(ip: string): boolean;
  isAllocated(ip: string): boolean;
}

export interface PortAllocator {
  allocate(port: number): void;
  allocateNext(): number;
  release(port: number): void;
  contains(port: number): boolean;
  isAllocated(port: number): boolean;
}

export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 = always shown; 1 = only with `-o wide`. */
  priority: number;
}

export interface TableConvertor {
  columns: ColumnDefinition[];
  /** One cell per column, already formatted as a real apiserver formats them (ages, `<none>`, ...). */
  cells(obj: KObject, ctx: ClusterContext): unknown[];
}

export interface Strategy {
  /**
   * Create: set defaults and server-owned fields (status reset, allocated IPs). May mutate `obj`.
   * Runs after metadata (name, uid, timestamps) is filled in and before validation.
   */
  prepareForCreate?(obj: KObject, ctx: ClusterContext): void;
  /** Update of the main resource: copy over what the caller may not change here (usually status). May mutate `obj`. */
  prepareForUpdate?(obj: KObject, old: KObject, ctx: ClusterContext): void;
  /** Update through the /status subresource: keep everything but status from `old`. May mutate `obj`. */
  prepareForStatusUpdate?(obj: KObject, old: KObject, ctx: ClusterContext): void;
  validate?(obj: KObject, ctx: ClusterContext): FieldError[];
  /** Immutable fields and transition rules. Runs in addition to validate(). */
  validateUpdate?(obj: KObject, old: KObject, ctx: ClusterContext): FieldError[];
  /** After a successful delete: release what prepareForCreate allocated. */
  afterDelete?(obj: KObject, ctx: ClusterContext): void;
  /** Field-selector attributes beyond metadata.name / metadata.namespace. */
  selectableFields?(obj: KObject): Record<string, string>;
  /** Server-side table for `kubectl get`; kinds without one get NAME / AGE. */
  table?: TableConvertor;
  /** Whether metadata.generation is bumped when anything but metadata/status changes. */
  tracksGeneration?: boolean;
  /**
   * Kinds whose deletion waits on something other than metadata.finalizers - namespaces wait on
   * spec.finalizers until the namespace controller has emptied them.
   */
  deletionBlocked?(obj: KObject): boolean;
  /** Pods: deletion is graceful (deletionTimestamp first, the kubelet finishes it). */
  gracefulDeletion?: (obj: KObject) => number | undefined;
}

/** A kind the API server serves: discovery facts plus its strategy. */
export interface KindDefinition {
  info: ResourceInfo;
  strategy: Strategy;
}
