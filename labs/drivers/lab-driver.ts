/**
 * What a driver is to the lab daemon: a named factory of Labs (labs/drivers/driver.ts). The daemon
 * resolves a scenario or environment into a LabSpec, asks the driver to build it, and from then on
 * talks to the Lab only. A driver registers itself by name (labs/drivers/registry.ts).
 *
 * The lifecycle the daemon fixes, in this order:
 *   available()  - before every build; a false answer is shown to the user with its `fix`
 *   create()     - build the lab, reporting ProgressEvents; on failure it has already undone its work
 *   Lab methods  - exec, kubectl, reboot, ... while the lab is ready
 *   Lab.destroy  - on `labctl down`, daemon shutdown, or a build aborted by `down`
 *   gc()         - after crashes: remove what dead owners left (the owning daemon may be gone)
 */
import type { Topology } from '../topology/types.ts';
import type { DriverName, ExecTarget, Lab, ProgressSink } from './driver.ts';

export interface Availability {
  ok: boolean;
  /** Why the driver cannot build labs here (shown as is). */
  reason?: string;
  /** What to run or install to fix it. */
  fix?: string;
}

/** What to build. Plain data except `signal`; the topology is the driver's own copy. */
export interface LabSpec {
  /** The lab's name: a DNS label, unique within the daemon. */
  name: string;
  /** Environment name (labs/environments) and its validated topology. */
  environment: string;
  topology: Topology;
  /** Set when the lab was asked for by scenario; fault injection is the scenario engine's job. */
  scenario?: string;
  /** Scenario variant (`--variant`), passed through untouched. */
  variant?: string;
  /** `--no-fault`: build the healthy lab. */
  noFault: boolean;
  /** A directory for this lab's files (kubeconfig, node files). It exists; the daemon removes it after destroy. */
  dir: string;
  /** The daemon's state directory: shared across labs (CA, driver records for gc). */
  stateDir: string;
  /** Aborted when the lab is deleted while it builds: stop early, undo, and reject. */
  signal: AbortSignal;
}

export interface GcReport {
  /** What was removed, one line each (e.g. `containers of dead owner 1234`, `netns svcl-ab12-`). */
  removed: string[];
  /** What was left alone because its owner lives. */
  kept: string[];
  errors: string[];
}

export interface LabDriver {
  readonly name: DriverName;
  /** One line for `labctl scenarios` and `--help`. */
  readonly summary: string;
  /** Whether labs can be built on this machine now. Cheap enough to call before every build. */
  available(): Promise<Availability>;
  /**
   * Build a lab. Rejects only after releasing everything it created, so a failed build leaves
   * nothing behind; honours `spec.signal` between steps.
   */
  create(spec: LabSpec, progress: ProgressSink): Promise<Lab>;
  /** Remove what labs of dead owners left in `stateDir` (and machine-wide, where the driver keeps records). */
  gc?(stateDir: string): Promise<GcReport>;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** An interactive session with a pty: `labctl shell` and the web terminal. */
export interface Terminal {
  onData(listener: (chunk: Buffer) => void): void;
  write(data: Buffer | string): void;
  resize(size: TerminalSize): void;
  /** End the session (the client went away). */
  close(): void;
  /** Exit code of the shell (128 + n for a signal). */
  readonly exited: Promise<number>;
}

export interface TerminalOptions extends TerminalSize {
  /** What to run; a login-like shell of the target when omitted. */
  command?: string[];
}

/** A Lab that can open terminals. Drivers implement it when they can give a pty. */
export interface InteractiveLab extends Lab {
  openTerminal(target: ExecTarget, opts: TerminalOptions): Promise<Terminal>;
}

export function canOpenTerminal(lab: Lab): lab is InteractiveLab {
  return typeof (lab as Partial<InteractiveLab>).openTerminal === 'function';
}

/** A node, pod or container that the lab does not have. The daemon answers it with 404. */
export class TargetNotFoundError extends Error {
  override readonly name = 'TargetNotFoundError';
}
