/**
 * The boundary between a lab's dataplane code and the host.
 *
 * A sandbox owns every kernel object a lab creates: network namespaces (and what lives in them:
 * links, routes, iptables rules, conntrack), the mounts that give nodes their private files, and
 * the processes started inside. Destroying the sandbox, or garbage-collecting it after a crash,
 * must leave none of them behind.
 *
 * Two modes, chosen by `labctl doctor`'s probe:
 * - 'userns': an unprivileged user namespace plus a mount namespace held by one process; network
 *   namespaces are bind-mounted on a private tmpfs, so killing the holder frees everything.
 * - 'root': plain `ip netns` names with the sandbox prefix, removed by name on destroy/gc.
 */
export type SandboxMode = 'userns' | 'root';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Run inside this network namespace of the sandbox (by the name given to addNetns). */
  netns?: string;
  /** Text written to the command's standard input. */
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Resolve with the exit code instead of throwing when the command fails. */
  allowFailure?: boolean;
}

export interface Sandbox {
  readonly mode: SandboxMode;
  /** Unique, greppable prefix for everything this sandbox creates (e.g. `svcl-a1b2c3-`). */
  readonly prefix: string;
  /** Create a network namespace; `name` is local to the sandbox (e.g. 'ubuntu01', 'pod-…'). */
  addNetns(name: string): Promise<void>;
  deleteNetns(name: string): Promise<void>;
  /** A path that names the namespace for setns(2) / nsenter --net=. */
  netnsPath(name: string): string;
  /** Run one command, in the sandbox's context, optionally inside one of its namespaces. */
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** `ip -batch -` inside a namespace (or the sandbox's own context): one process for many changes. */
  ipBatch(lines: string[], netns?: string): Promise<void>;
  /** Tear down everything the sandbox created. Idempotent. */
  destroy(): Promise<void>;
}
