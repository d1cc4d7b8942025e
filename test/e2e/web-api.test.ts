/**
 * The web server's contract with browsers, over real HTTP and WebSockets: the static site, one
 * session cookie per browser, labs that belong to the session that started them, Origin and Host
 * checks in front of everything that changes a lab or opens a shell, build progress as events,
 * and progress that survives a restart of the server.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DIST_DIR, ensureSiteBuilt } from '../../labs/web/build.ts';
import { startWebServer } from '../../labs/web/server.ts';
import { kubectlAvailable, REPO, type Stack, startStack } from './harness.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const url = new URL(path, base);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A browser-like client: keeps its cookie and sends our Origin. */
class Client {
  cookie = '';
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }
  async call(
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<Reply> {
    const r = await http(this.base, method, path, {
      body,
      headers: { origin: this.base, ...(this.cookie ? { cookie: this.cookie } : {}), ...extra },
    });
    const set = r.headers['set-cookie'];
    if (set) this.cookie = String(Array.isArray(set) ? set[0] : set).split(';')[0];
    return r;
  }
  async json<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.call(method, path, body);
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
    return JSON.parse(r.body) as T;
  }
}

/** Open a WebSocket and report how the server answered the upgrade. */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.on('error', () => {});
  });
}

const LESSON = '/api/lessons/flannel-wrong-iface';
const START = { scenario: 'flannel-wrong-iface', environment: 'virtualbox-3node' };

describe.skipIf(!kubectlAvailable())('the web server', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('web');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves the built site, with directory URLs and a 404 page, and nothing outside it', async () => {
    const home = await http(stack.url, 'GET', '/');
    expect(home.status).toBe(200);
    expect(home.headers['content-type']).toMatch(/text\/html/);
    expect(home.body).toMatch(/svc-labs/);
    const bare = await http(stack.url, 'GET', '/lessons/flannel-wrong-iface');
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('/lessons/flannel-wrong-iface/');
    const zh = await http(stack.url, 'GET', '/zh-cn/lessons/flannel-wrong-iface/');
    expect(zh.status).toBe(200);
    expect(zh.body).toMatch(/lang="zh-CN"/);
    for (const evil of ['/../package.json', '/%2e%2e/package.json', '/..%2f..%2fetc%2fpasswd', '/_astro/%00'])
      expect((await http(stack.url, 'GET', evil)).status, evil).toBe(404);
    expect((await http(stack.url, 'POST', '/')).status).toBe(405);
  });

  it('hands out one HttpOnly, SameSite=Strict session cookie and knows the browser by it', async () => {
    const c = new Client(stack.url);
    const first = await c.call('GET', '/api/session');
    expect(first.status).toBe(200);
    const set = String(first.headers['set-cookie']);
    expect(set).toMatch(/^svcl_session=[0-9a-f]{48};/);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    const again = await c.call('GET', '/api/session');
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(JSON.parse(again.body).id).toBe(JSON.parse(first.body).id);
    // Every other route needs the session.
    expect((await http(stack.url, 'GET', LESSON)).status).toBe(401);
    expect((await http(stack.url, 'GET', LESSON, { headers: { cookie: 'svcl_session=00' } })).status).toBe(
      401,
    );
  });

  it('refuses changes from another origin, without an Origin, or under a non-local Host name', async () => {
    const c = new Client(stack.url);
    await c.call('GET', '/api/session');
    const foreign = await c.call('POST', `${LESSON}/lab`, START, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const none = await http(stack.url, 'POST', `${LESSON}/lab`, {
      body: START,
      headers: { cookie: c.cookie },
    });
    expect(none.status).toBe(403);
    const rebound = await http(stack.url, 'GET', '/api/session', {
      headers: { host: 'attacker.example:4321' },
    });
    expect(rebound.status).toBe(421);
    expect((await c.json('GET', LESSON)).lab).toBeNull();
  });

  it('builds a lab with progress events, keeps it to its learner, and stops it', async () => {
    const alice = new Client(stack.url);
    const bob = new Client(stack.url);
    await alice.call('GET', '/api/session');
    await bob.call('GET', '/api/session');

    const started = await alice.call('POST', `${LESSON}/lab`, START);
    expect(started.status).toBe(202);
    const view = JSON.parse(started.body);
    expect(view.lab.phase).toBe('building');
    const name: string = view.lab.name;

    const events = await alice.call('GET', `${LESSON}/lab/events`);
    expect(events.headers['content-type']).toMatch(/text\/event-stream/);
    expect(events.body).toMatch(/event: progress/);
    expect(events.body).toMatch(/event: ready/);
    const ready = await alice.json('GET', LESSON);
    expect(ready.lab).toMatchObject({ name, phase: 'ready' });
    expect(ready.progress).toMatchObject({ lab: name, environment: 'virtualbox-3node' });

    // Bob sees no lab of his own, and cannot reach Alice's.
    expect((await bob.json('GET', LESSON)).lab).toBeNull();
    expect((await bob.call('GET', `${LESSON}/lab/events`)).status).toBe(409);
    const wsBase = stack.url.replace('http', 'ws');
    const bobShell = await upgrade(`${wsBase}${LESSON}/lab/shell?node=ubuntu01`, {
      origin: stack.url,
      cookie: bob.cookie,
    });
    expect(bobShell.status).toBe(409);

    // Alice's shell: only with her cookie and our Origin.
    const foreign = await upgrade(`${wsBase}${LESSON}/lab/shell?node=ubuntu01`, {
      origin: 'http://evil.example',
      cookie: alice.cookie,
    });
    expect(foreign.status).toBe(403);
    const anonymous = await upgrade(`${wsBase}${LESSON}/lab/shell?node=ubuntu01`, { origin: stack.url });
    expect(anonymous.status).toBe(401);
    const shell = await upgrade(`${wsBase}${LESSON}/lab/shell?node=ubuntu01&term=t1`, {
      origin: stack.url,
      cookie: alice.cookie,
    });
    expect(shell.status).toBe(101);
    const out = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`no kubectl output; got ${text}`)), 20_000);
      shell.ws!.on('message', (d: Buffer, binary: boolean) => {
        if (!binary) return;
        text += d.toString('utf8');
        if (/ubuntu03\s+Ready/.test(text)) {
          clearTimeout(timer);
          resolve(text);
        }
      });
      shell.ws!.send(Buffer.from('kubectl get nodes\r'), { binary: true });
    });
    expect(out).toMatch(/ubuntu01\s+Ready/);
    shell.ws!.close();

    // The editor's way in: a live object as YAML, and kubectl's refusal of a bad one as a 422.
    const svc = await alice.json(
      'GET',
      `${LESSON}/lab/object?kind=service&name=kubernetes&namespace=default`,
    );
    expect(svc.yaml).toMatch(/kind: Service/);
    expect((await alice.call('GET', `${LESSON}/lab/object?kind=service&name=..%2Fx`)).status).toBe(400);
    const bad = await alice.call('PUT', `${LESSON}/lab/object`, {
      yaml: svc.yaml.replace(/port: 443/, 'port: 99999'),
    });
    expect(bad.status).toBe(422);
    expect(JSON.parse(bad.body).output).toMatch(/port/i);

    // Node files: the node's own, on a driver with real nodes; refused on the process driver,
    // whose "nodes" are this machine.
    const netplan = `${LESSON}/lab/file?node=ubuntu01&path=${encodeURIComponent('/etc/netplan/50-cloud-init.yaml')}`;
    if (ready.lab.driver === 'process') expect((await alice.call('GET', netplan)).status).toBe(501);
    else {
      const file = await alice.json('GET', netplan);
      expect(file.content).toMatch(/enp0s3/);
      const edited = `${file.content}# edited in the browser\n`;
      const put = await alice.json('PUT', `${LESSON}/lab/file`, {
        node: 'ubuntu01',
        path: '/etc/netplan/50-cloud-init.yaml',
        content: edited,
      });
      expect(put.ok).toBe(true);
      expect((await alice.json('GET', netplan)).content).toBe(edited);
    }
    expect((await alice.call('GET', `${LESSON}/lab/file?node=ubuntu01&path=..%2Fetc`)).status).toBe(400);
    expect((await alice.call('GET', `${LESSON}/lab/file?node=nope&path=%2Fetc%2Fhosts`)).status).toBe(404);

    const topo = await alice.json('GET', `${LESSON}/lab/topology`);
    expect(topo.nodes.map((n: { name: string }) => n.name)).toEqual(['ubuntu01', 'ubuntu02', 'ubuntu03']);
    expect(topo.nodes[0].interfaces.map((i: { name: string }) => i.name)).toEqual(
      expect.arrayContaining(['enp0s3', 'enp0s8', 'cni0', 'flannel.1']),
    );

    const stopped = await alice.json('DELETE', `${LESSON}/lab`);
    expect(stopped.lab).toBeNull();
    await expect(stack.client.getLab(name)).rejects.toMatchObject({ status: 404 });
  });

  it('keeps progress on disk: a restarted server knows the learner and resumes the lab', async () => {
    const c = new Client(stack.url);
    await c.call('GET', '/api/session');
    const view = await c.json('POST', `${LESSON}/lab`, START);
    await c.call('GET', `${LESSON}/lab/events`);
    stack.web.sessions.flush();
    const file = join(stack.state, 'web', 'sessions.json');
    expect(readFileSync(file, 'utf8')).toContain(view.lab.name);

    const second = await startWebServer({
      client: stack.client,
      siteDir: DIST_DIR,
      sessionsFile: file,
      port: 0,
      drivers: ['process'],
    });
    try {
      const again = new Client(second.url);
      again.cookie = c.cookie;
      const resumed = await again.json('GET', LESSON);
      expect(resumed.lab).toMatchObject({ name: view.lab.name, phase: 'ready' });
      expect(resumed.progress.startedAt).toBe(view.progress.startedAt);
    } finally {
      await second.close();
    }
    await c.json('DELETE', `${LESSON}/lab`);
  });
});

describe('npm start (scripts/start.ts)', () => {
  it('serves the site and the lab API on PORT, with its own lab daemon, and stops on SIGTERM', async () => {
    await ensureSiteBuilt({ quiet: true });
    const state = mkdtempSync(join(tmpdir(), 'svcl-start-'));
    const child = spawn(join(REPO, 'node_modules', '.bin', 'node'), [join(REPO, 'scripts', 'start.ts')], {
      cwd: REPO,
      env: { ...process.env, PORT: '0', SVC_LABS_STATE: state },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "serving on" line:\n${out}`)), 30_000);
        child.stdout.on('data', () => {
          const m = /serving on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.on('exit', (code) => reject(new Error(`start.ts exited ${code}:\n${out}`)));
      });
      expect(out).toMatch(/the site is up to date/);
      expect((await http(url, 'GET', '/')).status).toBe(200);
      const s = await http(url, 'GET', '/api/session');
      expect(s.status).toBe(200);
      expect(existsSync(join(state, 'daemon.sock'))).toBe(true);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      const info = JSON.parse(readFileSync(join(state, 'daemon.json'), 'utf8')) as { pid: number };
      try {
        process.kill(info.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 100 && existsSync(join(state, 'daemon.sock')); i++)
        await new Promise((r) => setTimeout(r, 100));
      rmSync(state, { recursive: true, force: true });
    }
  });
});
