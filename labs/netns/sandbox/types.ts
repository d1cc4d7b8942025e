import type { NetnsBroker } from '../../native/broker.ts';
import type { RunOptions, RunResult, Sandbox } from '../sandbox.ts';

/** A file or directory of the host bound over a path inside a namespace's view (e.g. a node's
 * private `etc-cni` directory over /etc/cni). A missing target is created in a private mirror of
 * its parent directory, never on the host. */
export interface BindMount {
  source: string;
  target: string;
}

/** How commands run in one namespace see the machine: the node's (or pod's) own view. */
export interface NetnsView {
  /** UTS hostname (default: the namespace's local name). */
  hostname?: string;
  /** A fresh /sys showing this namespace's network devices only (default true). */
  sysfs?: boolean;
  binds?: BindMount[];
  /** Working directory of commands (default: unchanged; '/' in rootless sandboxes). */
  cwd?: string;
}

export interface CommandOptions {
  netns?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Only enter the namespaces: no private mounts, sysfs or hostname (fast path for `ip`, `iptables`). */
  bare?: boolean;
  /** SIGKILL the command when the process that spawned it dies. Default true. */
  dieWithParent?: boolean;
}

/** A ready-to-spawn command line (for node-pty terminals or child_process). */
export interface CommandSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
}

export interface SandboxRunOptions extends RunOptions {
  /** Enter the namespace only: no private mounts, sysfs or hostname (fast path for `ip`, `iptables`). */
  bare?: boolean;
  cwd?: string;
}

export interface NativeSandbox extends Sandbox {
  readonly stateDir: string;
  /** As Sandbox.run, plus `bare` (enter the namespace only) and `cwd`. */
  run(argv: string[], opts?: SandboxRunOptions): Promise<RunResult>;
  /** Create several namespaces with one helper process (one process spawn instead of one each). */
  addNetnsMany(names: string[]): Promise<void>;
  /** Local names of the namespaces that exist now. */
  netnsNames(): string[];
  /** Replace the view of one namespace (applies to commands started afterwards). */
  setView(name: string, view: NetnsView): void;
  getView(name: string): NetnsView | undefined;
  /** The command line that runs `argv` in the sandbox, for callers that spawn it themselves. */
  commandFor(argv: string[], opts?: CommandOptions): CommandSpec;
  /** The sandbox's socket broker (created on first use, closed by destroy()). */
  broker(): NetnsBroker;
}
