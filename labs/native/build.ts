/**
 * Compiles labs/native/nsutil.c on first use and caches the binary by the hash of its source, so a
 * changed source is rebuilt and concurrent builders (daemon, tests in parallel workers) never see a
 * half-written file: each compiles to a private temporary name and renames it into place.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NSUTIL_SOURCE = fileURLToPath(new URL('./nsutil.c', import.meta.url));
const REPO_ROOT = path.resolve(path.dirname(NSUTIL_SOURCE), '..', '..');
const CFLAGS = ['-O2', '-Wall'];
const INSTALL_HINT = 'install gcc (apt-get install gcc libc6-dev)';

export class NativeBuildError extends Error {
  readonly hint: string;
  constructor(message: string, hint = INSTALL_HINT) {
    super(`${message}; ${hint}`);
    this.name = 'NativeBuildError';
    this.hint = hint;
  }
}

let pending: Promise<string> | undefined;

/** Path of a ready nsutil binary, compiled now if the cache has none for the current source.
 * The cache is `<repo>/.cache/native/<sha>/nsutil` ($SVCL_NATIVE_CACHE replaces `<repo>/.cache/native`). */
export function ensureNsutil(): Promise<string> {
  pending ??= locateOrBuild().catch((err) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function locateOrBuild(): Promise<string> {
  const source = await readFile(NSUTIL_SOURCE);
  const sha = createHash('sha256').update(CFLAGS.join(' ')).update('\0').update(source).digest('hex');
  const dirs = cacheDirs(sha.slice(0, 16));
  for (const dir of dirs) {
    const bin = path.join(dir, 'nsutil');
    if (await isExecutable(bin)) return bin;
  }
  let lastError: unknown;
  for (const dir of dirs) {
    try {
      return await compileInto(dir);
    } catch (err) {
      if (err instanceof NativeBuildError) throw err;
      lastError = err; // not writable here: try the next place
    }
  }
  throw new Error(`cannot write the nsutil build cache (${dirs.join(', ')}): ${String(lastError)}`);
}

function cacheDirs(key: string): string[] {
  const override = process.env.SVCL_NATIVE_CACHE;
  if (override) return [path.join(path.resolve(override), key)];
  // The repository cache first; a per-user temporary one when the checkout is not writable
  // (an unprivileged user running a root-owned checkout).
  return [
    path.join(REPO_ROOT, '.cache', 'native', key),
    path.join(os.tmpdir(), `svc-labs-native-${process.getuid?.() ?? 'u'}`, key),
  ];
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function compileInto(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await access(dir, constants.W_OK);
  if (dir.startsWith(os.tmpdir())) await assertPrivate(path.dirname(dir));
  const bin = path.join(dir, 'nsutil');
  const tmp = `${bin}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await compile(['-o', tmp, NSUTIL_SOURCE]);
    await rename(tmp, bin);
  } finally {
    await rm(tmp, { force: true });
  }
  return bin;
}

/** A shared temporary directory must be ours alone, or someone else could plant the binary. */
async function assertPrivate(dir: string): Promise<void> {
  const st = await lstat(dir);
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not a private directory of this user`);
  }
}

function compile(args: string[]): Promise<void> {
  const cc = process.env.CC || 'cc';
  return new Promise((resolve, reject) => {
    let stderr = '';
    const child = spawn(cc, [...CFLAGS, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new NativeBuildError(`no C compiler found ('${cc}')`)
          : new NativeBuildError(`cannot run the C compiler '${cc}': ${err.message}`),
      );
    });
    child.on('close', (code) => {
      if (code === 0) return resolve();
      if (/fatal error: [^:]+\.h: No such file/.test(stderr)) {
        reject(new NativeBuildError(`the C library headers are missing (${firstLine(stderr)})`));
      } else {
        reject(new NativeBuildError(`compiling nsutil failed:\n${stderr.trim()}`, 'report this as a bug'));
      }
    });
  });
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.includes('error')) ?? text.trim();
}

/** Environment for spawning nsutil from this process: its parent-death checks need our pid, as
 * we may die before the child gets to look (nsutil removes the variable before exec'ing anything). */
export function nsutilEnv(
  env: NodeJS.ProcessEnv | Record<string, string> = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  out.NSUTIL_PARENT_PID = String(process.pid);
  return out;
}
