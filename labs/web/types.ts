/**
 * The browser's lab API as data (labs/web/api.ts serves it; site/src/lab/ uses it). Everything is
 * scoped to the learner's session (cookie) and a lesson: one lab per learner per lesson.
 *
 *   GET    /api/session                          SessionView (creates the session cookie)
 *   GET    /api/lessons/:lesson                  LessonView: progress and the running lab, to resume
 *   POST   /api/lessons/:lesson/lab              StartLabRequest -> 202 LessonView (building)
 *   DELETE /api/lessons/:lesson/lab              stop -> LessonView
 *   POST   /api/lessons/:lesson/lab/reset        rebuild from scratch (or the scenario's reset) -> 202 LessonView
 *   GET    /api/lessons/:lesson/lab/events       Server-Sent Events, as the daemon's (progress, ready|failed)
 *   POST   /api/lessons/:lesson/lab/check        GradeView
 *   POST   /api/lessons/:lesson/lab/hint         HintView (the next level; {peek: true}: what was shown so far)
 *   GET    /api/lessons/:lesson/lab/topology     TopologyView
 *   GET    /api/lessons/:lesson/lab/object?kind=&name=&namespace=   {yaml}
 *   PUT    /api/lessons/:lesson/lab/object       {yaml} -> ApplyView (422 with the server's words)
 *   GET    /api/lessons/:lesson/lab/file?node=&path=                {content}
 *   PUT    /api/lessons/:lesson/lab/file         {node, path, content} -> ApplyView
 *   GET    /api/lessons/:lesson/lab/shell?node=&term=&cols=&rows=   WebSocket terminal (labs/web/terminals.ts)
 *
 * Errors: {error, reason} with 400, 401 (no session), 403 (foreign origin), 404, 409 (no lab or
 * not ready), 422 (the cluster refused an apply), 501 (the scenario engine is not installed), 502.
 */
import type { LabStatus } from '../daemon/types.ts';
import type { LessonProgress } from './sessions.ts';

export interface SessionView {
  id: string;
  lessons: Record<string, LessonProgress>;
}

export interface StartLabRequest {
  /** The scenario the lesson is about; built with its fault when the scenario engine has it. */
  scenario?: string;
  /** The environment to build (healthy) when there is no scenario, or it is not installed. */
  environment: string;
}

export interface LessonView {
  lesson: string;
  progress: LessonProgress;
  /** The learner's lab, or null when none runs (never started, stopped, or lost with the daemon). */
  lab: LabStatus | null;
  /** Whether this build grades (the scenario engine has the scenario). */
  grading: boolean;
}

export interface CheckView {
  id: string;
  title: string;
  passed: boolean;
  /** What ran and what came back, as the grader reports it. */
  evidence: string;
  /** The hint level that helps with this check, when the scenario says so. */
  hint?: number;
  /** Not run this time (persistence checks wait for the others to pass). */
  skipped?: boolean;
  /** Endpoints of the traffic this check tried, for marking the failing path on the topology. */
  from?: string;
  to?: string;
}

export interface GradeView {
  passed: boolean;
  checks: CheckView[];
  ms?: number;
  progress: LessonProgress;
}

export interface HintView {
  /** 1-based level just revealed. */
  level: number;
  /** The scenario's hint text; absent when the lesson's own hints are shown instead. */
  text?: string;
  /** More levels after this one. */
  more: boolean;
  source: 'scenario' | 'lesson';
  /** Every scenario hint revealed so far, in order (to show them again after a reload). */
  revealed?: { level: number; text: string }[];
  progress: LessonProgress;
}

export interface ApplyView {
  ok: boolean;
  /** kubectl's or the shell's words (stdout on success, stderr on failure). */
  output: string;
}

export interface TopologyNic {
  name: string;
  addresses: string[];
  segment?: string;
  kind: 'nic' | 'bridge' | 'vxlan';
}

export interface TopologyPod {
  namespace: string;
  name: string;
  ip?: string;
  hostNetwork: boolean;
}

export interface TopologyNode {
  name: string;
  role: 'control-plane' | 'worker';
  description?: string;
  podCIDR: string;
  defaultRoute?: { via?: string; dev: string };
  interfaces: TopologyNic[];
  pods: TopologyPod[];
}

export interface TopologySegment {
  name: string;
  subnets: string[];
  description?: string;
}

export interface TopologyView {
  environment: string;
  description?: string;
  segments: TopologySegment[];
  nodes: TopologyNode[];
  /** Routers and hosts outside the cluster (the VirtualBox NAT, the host). */
  others: { name: string; kind: 'router' | 'host'; interfaces: TopologyNic[] }[];
  cluster: { podCIDR: string; serviceCIDR: string; dnsIP: string };
}
