/**
 * Where the daemon keeps things. One state directory (`$SVC_LABS_STATE`, default `<repo>/.state`):
 *   daemon.sock   the API for labctl (mode 0600)
 *   daemon.json   who serves it (DaemonInfo)
 *   daemon.log    the daemon's log
 *   labs/<name>/  one directory per lab: lab.json (owner, for gc), kubeconfig, node files
 *   pki/          the CA shared by the labs' apiservers
 * Drivers may keep their own records under it (the netns driver's `sandboxes/`).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export interface DaemonPaths {
  state: string;
  socket: string;
  info: string;
  log: string;
  labs: string;
}

export function stateDir(): string {
  const fromEnv = process.env.SVC_LABS_STATE;
  return resolve(fromEnv && fromEnv.length > 0 ? fromEnv : join(REPO_ROOT, '.state'));
}

export function daemonPaths(state = stateDir()): DaemonPaths {
  return {
    state,
    socket: join(state, 'daemon.sock'),
    info: join(state, 'daemon.json'),
    log: join(state, 'daemon.log'),
    labs: join(state, 'labs'),
  };
}

/** Create the state directory; say clearly when its socket path would be too long. */
export function ensureStateDir(paths: DaemonPaths): void {
  if (Buffer.byteLength(paths.socket) > MAX_SOCKET_PATH)
    throw new Error(
      `the state directory ${paths.state} is too deep for a unix socket (${Buffer.byteLength(paths.socket)} > ${MAX_SOCKET_PATH} bytes); set SVC_LABS_STATE to a shorter path`,
    );
  mkdirSync(paths.labs, { recursive: true, mode: 0o700 });
}

export function labDir(paths: DaemonPaths, name: string): string {
  return join(paths.labs, name);
}

let version: string | undefined;
export function daemonVersion(): string {
  version ??= (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  return version;
}
