import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureNsutil } from '../../../labs/native/build.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
const BUILD = path.join(REPO, 'labs', 'native', 'build.ts');

function buildInChild(
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const script = `import { ensureNsutil } from ${JSON.stringify(BUILD)};
try { console.log(await ensureNsutil()); } catch (e) { console.error(e.message); process.exit(3); }`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => resolve({ code, out: out.trim(), err: err.trim() }));
  });
}

describe('ensureNsutil', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'svcl-t-native-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('compiles once into the repository cache, keyed by the hash of the source', async () => {
    const bin = await ensureNsutil();
    expect(bin).toMatch(new RegExp(`^${REPO}/\\.cache/native/[0-9a-f]{16}/nsutil$`));
    accessSync(bin, constants.X_OK);
    expect(await ensureNsutil()).toBe(bin);
    const usage = spawnSync(bin, [], { encoding: 'utf8' });
    expect(usage.status).toBe(125);
    expect(usage.stderr).toContain('usage: nsutil exec|broker|hold|netns-add|netns-del');
  });

  it('lets concurrent builders share one cache without torn or stray files', async () => {
    const cache = path.join(tmp, 'concurrent');
    const results = await Promise.all(
      Array.from({ length: 4 }, () => buildInChild({ SVCL_NATIVE_CACHE: cache })),
    );
    for (const r of results) expect(r.code).toBe(0);
    const paths = new Set(results.map((r) => r.out));
    expect(paths.size).toBe(1);
    const [bin] = [...paths];
    expect(bin.startsWith(`${cache}/`)).toBe(true);
    expect(readdirSync(path.dirname(bin))).toEqual(['nsutil']);
    expect(spawnSync(bin, ['exec', '--', 'true']).status).toBe(0);
  });

  it('says which package to install when there is no C compiler', async () => {
    const r = await buildInChild({ SVCL_NATIVE_CACHE: path.join(tmp, 'nocc'), CC: '/nonexistent/cc' });
    expect(r.code).toBe(3);
    expect(r.err).toContain("no C compiler found ('/nonexistent/cc')");
    expect(r.err).toContain('install gcc (apt-get install gcc libc6-dev)');
  });
});
