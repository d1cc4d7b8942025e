/**
 * The boundary between the kubelet and a dataplane, in the spirit of the CRI: the kubelet decides
 * what should run and reports it to the API; a PodRuntime makes it run. Two implementations are
 * planned: the process runtime (every container a plain host process, pod IPs only on paper) and the
 * netns dataplane (every pod a real network namespace on the lab's nodes).
 *
 * Messages that a learner sees (pull failures, start failures, probe output) are produced here,
 * because only the runtime knows what really happened; the kubelet wraps them the way the real
 * kubelet does (`Readiness probe failed: <output>`, `Error: <message>`).
 */

export interface TerminalSize {
  cols: number;
  rows: number;
}

export type StdStream = 'stdout' | 'stderr';

/** Where a process's output goes. A tty merges everything into stdout, as a terminal does. */
export type OutputSink = (stream: StdStream, chunk: Buffer) => void;

/** An image as the node's image store knows it after a pull. */
export interface PulledImage {
  /** Fully qualified reference, as containerStatuses[].image shows it: `docker.io/library/httpd:latest`. */
  name: string;
  /** Repository digest, as containerStatuses[].imageID shows it: `docker.io/library/httpd@sha256:…`. */
  id: string;
  sizeBytes: number;
}

export interface PullResult {
  image: PulledImage;
  /** Time the transfer took (what the `Pulled` event reports). */
  pullMs: number;
}

export interface SandboxConfig {
  uid: string;
  namespace: string;
  name: string;
  /** spec.hostname or the pod name. */
  hostname: string;
  hostNetwork: boolean;
  /** Ports the pod's containers declare; a dataplane may use hostPorts. */
  ports: { containerPort: number; protocol: 'TCP' | 'UDP' | 'SCTP'; hostPort?: number }[];
  /** The resolv.conf the kubelet computed for the pod (ClusterFirst and friends). */
  dns: { nameservers: string[]; searches: string[]; options: string[] };
}

export interface Sandbox {
  readonly id: string;
  /** Pod IP: from the node's podCIDR, or the node's address for hostNetwork pods. */
  readonly ip: string;
}

export interface ContainerConfig {
  name: string;
  image: PulledImage;
  /** spec.command / spec.args with $(VAR) references already expanded; undefined = image default. */
  command?: string[];
  args?: string[];
  /** Fully resolved environment (service links, fieldRefs, configMaps ...), in order. */
  env: { name: string; value: string }[];
  workingDir?: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  /** Restart count of this container (the CRI "attempt"). */
  attempt: number;
}

export interface ContainerExit {
  exitCode: number;
  /** containerStatuses[].state.terminated.reason */
  reason: 'Completed' | 'Error' | 'OOMKilled';
  /** Wall clock (ms) when the last process of the container was gone. */
  finishedAt: number;
  /** The signal that ended the init process, if any (exitCode is then 128 + its number). */
  signal?: string;
}

/** One running instance of a container. */
export interface ContainerHandle {
  /** 64 lower-case hex digits; the kubelet shows it as `containerd://<id>`. */
  readonly id: string;
  /** Host pid of the container's init process (for tools and tests; not shown in the API). */
  readonly pid: number;
  /** Wall clock (ms) when the init process started. */
  readonly startedAt: number;
  readonly tty: boolean;
  /** Settles once the container's init process and everything it started are gone. */
  readonly exited: Promise<ContainerExit>;
  /**
   * StopContainer: the image's stop signal (SIGTERM unless the image says otherwise) to the init
   * process, then SIGKILL to everything after `gracePeriodSeconds`. Resolves when it is gone.
   */
  stop(gracePeriodSeconds: number): Promise<ContainerExit>;
  /** For `stdin: true` containers (attach). Writes to a container without stdin are dropped. */
  writeStdin(chunk: Buffer): void;
  /** End of input (the first attach of a `stdinOnce` container went away). */
  closeStdin(): void;
  /** Resize the container's terminal (tty containers only). */
  resize(size: TerminalSize): void;
}

export interface ExecOptions {
  command: string[];
  tty: boolean;
  stdin: boolean;
  /** Initial terminal size for tty sessions. */
  size?: TerminalSize;
}

/** A command running inside a container (kubectl exec, exec probes, lifecycle hooks). */
export interface ExecProcess {
  writeStdin(chunk: Buffer): void;
  closeStdin(): void;
  resize(size: TerminalSize): void;
  /** Ends the command (client went away). */
  kill(): void;
  /** Exit code; 128 + n when a signal ended it. */
  readonly exited: Promise<number>;
}

export type ProbeAction =
  | { type: 'exec'; command: string[] }
  | {
      type: 'httpGet';
      scheme: 'HTTP' | 'HTTPS';
      host: string;
      port: number;
      path: string;
      headers: { name: string; value: string }[];
    }
  | { type: 'tcpSocket'; host: string; port: number }
  | { type: 'grpc'; host: string; port: number; service?: string };

export interface ProbeResult {
  result: 'success' | 'failure' | 'unknown';
  /**
   * What the kubelet appends to `<Kind> probe failed: `: the command's output, `HTTP probe failed
   * with statuscode: 404`, or the Go dial error (`Get "http://10.244.1.5:8080/healthz": dial tcp
   * 10.244.1.5:8080: connect: connection refused`).
   */
  output: string;
}

/** Failures a runtime reports; `message` is what the CRI would return, verbatim. */
export class RuntimeError extends Error {
  readonly kind: 'ImagePull' | 'ImageInspect' | 'StartError' | 'NotFound' | 'ExecFailed';
  constructor(kind: RuntimeError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface PodRuntime {
  /** `containerd://1.7.24`: what the node reports as containerRuntimeVersion. */
  readonly version: string;

  /** The image if it is already in the node's store (for IfNotPresent / Never). */
  imageStatus(image: string): PulledImage | undefined;
  /**
   * Pull an image; rejects with RuntimeError('ImagePull') carrying the registry's complaint, or
   * RuntimeError('ImageInspect') for a malformed reference. Runtimes without a registry accept an
   * image they do not know only for containers that say what to run (`withCommand`).
   */
  pullImage(image: string, opts?: { withCommand?: boolean }): Promise<PullResult>;
  /** Everything in the node's image store (Node.status.images). */
  listImages(): PulledImage[];

  /** RunPodSandbox: network identity for the pod. hostNetwork sandboxes get the node's IP. */
  createSandbox(config: SandboxConfig): Promise<Sandbox>;
  /** StopPodSandbox + RemovePodSandbox: kills whatever still runs in it and releases its IP. */
  removeSandbox(sandboxId: string): Promise<void>;

  /**
   * CreateContainer + StartContainer. Rejects with RuntimeError('StartError') when the process
   * cannot start (`exec: "foo": executable file not found in $PATH`).
   */
  startContainer(sandboxId: string, config: ContainerConfig, output: OutputSink): Promise<ContainerHandle>;

  /**
   * ExecSync / Exec: a command inside a running container, with its environment and filesystem view.
   * Rejects with RuntimeError('NotFound') when the container is not running and
   * RuntimeError('ExecFailed') when the command cannot start.
   */
  exec(containerId: string, options: ExecOptions, output: OutputSink): Promise<ExecProcess>;

  /** One probe attempt against a container (exec inside it, or a connection to host:port). */
  probe(containerId: string, action: ProbeAction, timeoutSeconds: number): Promise<ProbeResult>;

  /** Tear everything down (node stop / lab teardown). */
  close(): Promise<void>;
}
