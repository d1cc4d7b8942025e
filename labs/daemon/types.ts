/**
 * The lab daemon's API as data: request and response bodies of the HTTP routes (labs/daemon/api.ts)
 * and the events of a build's stream. Shared by the daemon, labctl and the web server.
 */
import type { DriverName, LabNodeInfo, ProgressEvent, RunResult } from '../drivers/driver.ts';
import type { GcReport } from '../drivers/lab-driver.ts';

export type LabPhase = 'building' | 'ready' | 'failed' | 'deleting';

/** `POST /labs`. Exactly one of scenario / environment. */
export interface CreateLabRequest {
  scenario?: string;
  environment?: string;
  /** A DNS label; default `<scenario or environment>-<4 random>`. */
  name?: string;
  driver: string;
  noFault?: boolean;
  variant?: string;
}

export interface LabStatus {
  name: string;
  phase: LabPhase;
  driver: DriverName;
  environment: string;
  scenario?: string;
  variant?: string;
  noFault: boolean;
  /** Known once the lab is ready. */
  nodes: LabNodeInfo[];
  kubeconfig?: string;
  /** The apiserver URL in the kubeconfig, as reachable from the host. */
  apiserver?: string;
  createdAt: string;
  readyAt?: string;
  /** Build wall time, once ready. */
  buildMs?: number;
  /** Why the build (or the last delete) failed. */
  error?: string;
}

/** A progress event as streamed: the driver's event plus milliseconds since the build started. */
export interface TimedProgressEvent extends ProgressEvent {
  at: number;
}

/**
 * Server-Sent Events of `GET /labs/:name/events`: every `progress` event so far, then live ones,
 * and last `ready` (data: LabStatus) or `failed` (data: {error, status}); then the stream ends.
 */
export type LabStreamEvent =
  | { type: 'progress'; data: TimedProgressEvent }
  | { type: 'ready'; data: LabStatus }
  | { type: 'failed'; data: { error: string; status: LabStatus } };

/** `POST /labs/:name/exec`. Exactly one of node / pod. */
export interface ExecRequest {
  node?: string;
  pod?: { namespace: string; name: string };
  container?: string;
  argv: string[];
  input?: string;
  timeoutMs?: number;
}

export type ExecResponse = RunResult;

/** `POST /labs/:name/check`. */
export interface CheckRequest {
  lang?: 'en' | 'zh-CN';
  /** Leave out the persistence checks (they restart parts of the lab): a quick, read-only grade. */
  skipPersistence?: boolean;
}

/** `POST /labs/:name/hint`: the next hint, or the one named; `peek` reveals nothing new. */
export interface HintRequest {
  id?: string;
  lang?: 'en' | 'zh-CN';
  peek?: boolean;
}

/** `POST /labs/:name/solve`: a reference solution (the first for the variant by default) or a known wrong fix. */
export interface SolveRequest {
  solution?: string;
  wrongFix?: string;
}

export type { FixReport, GradeReport, HintAnswer, ResetReport } from '../scenarios/types.ts';

/** `POST /gc` and `labctl gc`. */
export interface StateGcReport {
  /** Labs (state directories) of dead owners that were removed. */
  labs: string[];
  /** Daemon files (socket, daemon.json) of a dead daemon that were removed. */
  daemonFiles: string[];
  drivers: Record<string, GcReport>;
  errors: string[];
}

/** `<state>/daemon.json`: who serves the socket. */
export interface DaemonInfo {
  pid: number;
  /** Start time of the pid (clock ticks since boot): pid + start name one process. */
  pidStart: string;
  startedAt: string;
  socket: string;
  version: string;
  /** Set when the daemon also listens on 127.0.0.1 (for the web server). */
  tcp?: { host: string; port: number };
  /** Bearer token for the TCP listener (the socket is protected by its mode). */
  token: string;
}

/** The error body of every non-2xx answer. */
export interface ApiErrorBody {
  error: string;
  /** Machine-readable reason: BadRequest, NotFound, AlreadyExists, UnknownTarget, DriverUnavailable, ... */
  reason: string;
  /** For UnknownTarget / unknown drivers: what is valid. */
  valid?: string[];
}
