/**
 * Building the lesson site (astro build into site/dist) only when its inputs changed: a hash of
 * every file under site/ (but its outputs), the lock file and this module is kept in
 * site/dist/.build-hash. Used by `npm start` and the browser tests; one build at a time per checkout.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SITE_DIR = join(REPO_ROOT, 'site');
export const DIST_DIR = join(SITE_DIR, 'dist');
const STAMP = join(DIST_DIR, '.build-hash');
const LOCK = join(SITE_DIR, '.build-lock');
const SKIP = new Set(['dist', '.astro', 'node_modules', '.build-lock']);

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/** The hash of what the build reads. */
export function siteInputsHash(): string {
  const files: string[] = [];
  walk(SITE_DIR, files);
  files.sort();
  const h = createHash('sha256');
  for (const f of [...files, join(REPO_ROOT, 'package-lock.json'), fileURLToPath(import.meta.url)]) {
    h.update(relative(REPO_ROOT, f));
    h.update('\0');
    h.update(existsSync(f) ? readFileSync(f) : '');
    h.update('\0');
  }
  return h.digest('hex');
}

export function siteIsCurrent(hash = siteInputsHash()): boolean {
  try {
    return readFileSync(STAMP, 'utf8').trim() === hash && existsSync(join(DIST_DIR, 'index.html'));
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Hold the build lock; a lock whose process died is taken over. */
async function lock(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    } catch {
      // Just made, pid not written yet - unless it is old.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs < 5000) owner = -1;
      } catch {
        continue;
      }
    }
    if (owner === 0 || (owner > 0 && !pidAlive(owner))) {
      rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface BuildResult {
  built: boolean;
  ms: number;
}

/** Build unless site/dist is current. Output of the build goes to `log` (default: inherited). */
export async function ensureSiteBuilt(opts: { force?: boolean; quiet?: boolean } = {}): Promise<BuildResult> {
  const started = performance.now();
  if (!opts.force && siteIsCurrent()) return { built: false, ms: 0 };
  const release = await lock();
  try {
    // Another process may have built it while we waited.
    const hash = siteInputsHash();
    if (!opts.force && siteIsCurrent(hash))
      return { built: false, ms: Math.round(performance.now() - started) };
    const astro = join(REPO_ROOT, 'node_modules', 'astro', 'bin', 'astro.mjs');
    const bin = join(REPO_ROOT, 'node_modules', '.bin');
    const output: string[] = [];
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [astro, 'build', '--root', SITE_DIR, '--silent'], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          ASTRO_TELEMETRY_DISABLED: '1',
          NODE_OPTIONS: '--max-old-space-size=4096',
        },
        stdio: opts.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      });
      child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
      child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0)
      throw new Error(
        `astro build failed (exit ${code})${output.length ? `:\n${output.join('').slice(-4000)}` : ''}`,
      );
    writeFileSync(STAMP, `${hash}\n`);
    return { built: true, ms: Math.round(performance.now() - started) };
  } finally {
    release();
  }
}
