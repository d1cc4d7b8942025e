/**
 * The images a lab can run, one small module each, registered by repository. An image says what a
 * container of it runs by default (ENTRYPOINT/CMD/ENV/WORKDIR), which tools are on its PATH, how its
 * own programs behave (startup lines, stop signal, exit code) and which ports it serves.
 *
 * Nothing is ever downloaded: tools come from the host (busybox applets or host binaries), and an
 * image's own programs (httpd, nginx, /pause, serve_hostname, agnhost) are imitated by small busybox
 * shell scripts, so a pod costs a process or two and no extra runtime.
 */
import { createHash } from 'node:crypto';
import { canonicalName, type ImageReference, parseReference, repositoryOf } from './reference.ts';

/** Which commands the container finds on its PATH. */
export type Toolbox =
  /** every busybox applet (busybox, alpine-based images) */
  | { kind: 'busybox' }
  /** host programs; `only` limits them to what the real image ships (a Debian-slim base, say) */
  | { kind: 'host'; only?: readonly string[] };

export interface ProgramContext {
  /** Arguments after the program name. */
  args: string[];
  env: Record<string, string>;
  podIP: string;
  hostname: string;
  /** Host path of busybox, for scripts. */
  busybox: string;
  now: Date;
}

/**
 * How an image's own program runs here: a busybox sh script, a host program standing in for it, or
 * another command line of the image (an entrypoint script that ends in `exec "$@"`).
 */
export type ProgramRun = { script: string } | { exec: string; args: string[] } | { argv: string[] };

export type ProgramImitation = (ctx: ProgramContext) => ProgramRun;

export interface HttpRequestInfo {
  method: string;
  path: string;
  clientIP: string;
  clientPort: number;
  userAgent: string;
  now: Date;
}

export interface HttpAnswer {
  status: number;
  /** An access-log line the server writes for this request, and on which stream. */
  log?: { stream: 'stdout' | 'stderr'; line: string };
}

/**
 * A port the image's main program serves. Runtimes without real sockets (the process runtime)
 * answer probes from it; the netns dataplane ignores it and uses real sockets.
 */
export interface VirtualListener {
  port: number;
  protocol: 'TCP' | 'UDP';
  http?: (req: HttpRequestInfo) => HttpAnswer;
}

export interface ImageDefinition {
  /** Normalised repositories this module answers for: `docker.io/library/httpd`. */
  repositories: string[];
  /** Compressed size, as `Pulled` events and Node.status.images report it. */
  sizeBytes: number;
  entrypoint: string[];
  cmd: string[];
  /** Image ENV except PATH, which follows from the toolbox. */
  env: Record<string, string>;
  workingDir: string;
  toolbox: Toolbox;
  /** STOPSIGNAL of the image; containerd sends it instead of SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** Programs of the image that the host lacks, by absolute path or by name. */
  programs?: Record<string, ProgramImitation>;
  /** Ports served by a container running `argv`. */
  listeners?(argv: string[]): VirtualListener[];
}

export interface ResolvedImage {
  ref: ImageReference;
  /** Canonical name: `docker.io/library/httpd:latest`. */
  name: string;
  /** Repository digest reference: `docker.io/library/httpd@sha256:…`. */
  id: string;
  definition: ImageDefinition;
}

/** A repository a real registry would refuse, with the registry's words. */
export class UnknownImage extends Error {}

/**
 * A stand-in for images the catalog does not know. A real registry would serve them; here they can
 * only run when the pod gives an explicit command, which runs on a busybox toolbox.
 */
const GENERIC: ImageDefinition = {
  repositories: [],
  sizeBytes: 7_340_032,
  entrypoint: [],
  cmd: [],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'busybox' },
};

/** A stable fake digest: the same image always has the same ID on every node and run. */
export function digestOf(name: string): string {
  return `sha256:${createHash('sha256').update(`svc-labs image ${name}`).digest('hex')}`;
}

export class ImageCatalog {
  private readonly byRepo = new Map<string, ImageDefinition>();

  register(def: ImageDefinition): void {
    for (const r of def.repositories) this.byRepo.set(r, def);
  }

  known(repository: string): ImageDefinition | undefined {
    return this.byRepo.get(repository);
  }

  /**
   * Resolve an image reference for a pull. Unknown repositories resolve only when `hasCommand`
   * (the container says what to run); otherwise they fail as a registry would.
   */
  resolve(image: string, hasCommand: boolean): ResolvedImage {
    const ref = parseReference(image);
    const repo = repositoryOf(ref);
    const def = this.byRepo.get(repo) ?? (hasCommand ? GENERIC : undefined);
    const name = canonicalName(ref);
    if (!def) throw new UnknownImage(pullFailure(ref, name));
    const digest = ref.digest ?? digestOf(name);
    return { ref, name, id: `${repo}@${digest}`, definition: def };
  }
}

/** What containerd says when a registry refuses an image. */
function pullFailure(ref: ImageReference, name: string): string {
  const prefix = `failed to pull and unpack image "${name}": failed to resolve reference "${name}"`;
  if (ref.domain === 'docker.io') {
    return `rpc error: code = Unknown desc = ${prefix}: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`;
  }
  return `rpc error: code = NotFound desc = ${prefix}: ${name}: not found`;
}
