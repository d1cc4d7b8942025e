/**
 * The commands a container finds on its PATH, made from the host: a directory of symlinks to
 * busybox (one per applet) or to an allow-list of host programs. Directories are built once per
 * host user and reused by every lab (they hold only symlinks); a changed list gets a new directory.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import type { Toolbox } from './catalog.ts';

/** The PATH of a stock Linux image, and where host programs are looked for. */
export const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A host program by name, from the standard directories and then the host PATH. */
export function hostWhich(name: string): string | undefined {
  if (isAbsolute(name)) return executable(name) ? name : undefined;
  const dirs = [...STANDARD_PATH.split(':'), ...(process.env.PATH ?? '').split(':')];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    if (executable(p)) return p;
  }
  return undefined;
}

let busyboxCache: string | null | undefined;

/** Host busybox, or undefined when the host has none (`labctl doctor` reports it). */
export function findBusybox(): string | undefined {
  if (busyboxCache === undefined) busyboxCache = hostWhich('busybox') ?? null;
  return busyboxCache ?? undefined;
}

let appletCache: string[] | undefined;

export function busyboxApplets(): string[] {
  if (appletCache) return appletCache;
  const bb = findBusybox();
  if (!bb) return (appletCache = []);
  const out = execFileSync(bb, ['--list'], { encoding: 'utf8' });
  appletCache = out.split('\n').filter((a) => /^[\w.[-]+$/.test(a));
  return appletCache;
}

const built = new Map<string, string>();

function root(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `svc-labs-toolbox-${uid}`);
}

/** A directory of symlinks name -> target, created atomically so parallel labs never see half of one. */
function linkDir(key: string, links: [string, string][]): string {
  const hash = createHash('sha256').update(JSON.stringify(links)).digest('hex').slice(0, 12);
  const id = `${key}-${hash}`;
  const cached = built.get(id);
  if (cached) return cached;
  const base = root();
  const dir = join(base, id);
  if (!existsSync(dir)) {
    mkdirSync(base, { recursive: true, mode: 0o755 });
    const tmp = mkdtempSync(join(base, `.${id}-`));
    for (const [name, target] of links) symlinkSync(target, join(tmp, name));
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process won the race
    }
  }
  built.set(id, dir);
  return dir;
}

/** The directory holding this toolbox's commands, or undefined when it uses the host PATH as is. */
function toolDir(tb: Toolbox): string | undefined {
  if (tb.kind === 'busybox') {
    const bb = findBusybox();
    if (!bb) return undefined;
    return linkDir(
      'busybox',
      busyboxApplets().map((a) => [a, bb]),
    );
  }
  if (!tb.only) return undefined;
  const links: [string, string][] = [];
  for (const name of new Set(tb.only)) {
    const p = hostWhich(name);
    if (p) links.push([name, p]);
  }
  return linkDir('host', links);
}

/** PATH for a container using this toolbox. */
export function toolboxPath(tb: Toolbox): string {
  return toolDir(tb) ?? STANDARD_PATH;
}

/** Directories an image keeps its programs in: `/bin/sh` in a busybox image is the `sh` applet. */
const IMAGE_BIN_DIRS = new Set([
  '/bin',
  '/sbin',
  '/usr/bin',
  '/usr/sbin',
  '/usr/local/bin',
  '/usr/local/sbin',
]);

/**
 * The host file that runs when a container of this toolbox executes `argv0`, or undefined when
 * the image has no such program.
 */
export function resolveTool(tb: Toolbox, argv0: string): string | undefined {
  const dir = toolDir(tb);
  if (!dir) return hostWhich(argv0);
  if (!isAbsolute(argv0)) {
    const p = join(dir, argv0);
    return existsSync(p) ? p : undefined;
  }
  const parent = argv0.slice(0, argv0.lastIndexOf('/')) || '/';
  if (!IMAGE_BIN_DIRS.has(parent)) return undefined;
  const p = join(dir, basename(argv0));
  return existsSync(p) ? p : undefined;
}
