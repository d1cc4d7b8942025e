/**
 * The lab daemon through its API: builds streamed as events, failures that leave nothing behind,
 * input it must refuse without falling over, terminals over WebSocket, and shutdown on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DaemonApiError,
  type DaemonClient,
  DaemonUnavailableError,
  ensureDaemon,
} from '../../../labs/daemon/client.ts';
import { daemonPaths } from '../../../labs/daemon/paths.ts';
import type { LabStatus, LabStreamEvent, TimedProgressEvent } from '../../../labs/daemon/types.ts';
import { daemonInfo, makeState, NODE, processGone, stopDaemonAndClean, waitFor } from './helpers.ts';

let state: string;
let client: DaemonClient;

beforeAll(async () => {
  state = makeState('daemon');
  client = await ensureDaemon({ paths: daemonPaths(state), tcpPort: 0 });
});

afterAll(async () => {
  await stopDaemonAndClean(state);
});

/** Raw bytes to the socket; resolves with whatever comes back before the daemon closes it. */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(join(state, 'daemon.sock'));
    let out = '';
    sock.on('data', (d) => (out += d));
    sock.on('close', () => resolve(out));
    sock.on('error', () => resolve(out));
    sock.end(bytes);
    setTimeout(() => sock.destroy(), 3000);
  });
}

/** An HTTP request with an arbitrary body; resolves with status and parsed JSON. */
function call(method: string, path: string, body?: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(state, 'daemon.sock'), method, path }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function follow(name: string): Promise<LabStreamEvent[]> {
  const events: LabStreamEvent[] = [];
  await client.events(name, (e) => events.push(e));
  return events;
}

describe('building a lab', () => {
  it('answers POST /labs at once and streams every step, then ready, to early and late followers', async () => {
    const created = await client.createLab({
      environment: 'virtualbox-3node',
      driver: 'process',
      name: 'ev1',
    });
    expect(created).toMatchObject({
      name: 'ev1',
      phase: 'building',
      driver: 'process',
      environment: 'virtualbox-3node',
    });

    const events = await follow('ev1');
    const progress = events.filter((e) => e.type === 'progress').map((e) => e.data as TimedProgressEvent);
    const steps = [...new Set(progress.map((p) => p.step))];
    expect(steps).toEqual(
      expect.arrayContaining([
        'pki',
        'control-plane',
        'node:ubuntu01',
        'node:ubuntu02',
        'node:ubuntu03',
        'apiserver',
        'nodes-ready',
      ]),
    );
    for (const step of steps) {
      const states = progress.filter((p) => p.step === step).map((p) => p.state);
      expect(states, step).toEqual(['running', 'done']);
    }
    const last = progress.at(-1)!;
    expect(last.done).toBe(last.total);
    expect(progress.map((p) => p.at)).toEqual([...progress.map((p) => p.at)].sort((a, b) => a - b));
    const final = events.at(-1)!;
    expect(final.type).toBe('ready');
    expect((final.data as LabStatus).kubeconfig).toBe(join(state, 'labs', 'ev1', 'kubeconfig'));

    // A client arriving after the build sees the same story.
    const replay = await follow('ev1');
    expect(replay).toEqual(events);
  });

  it('keeps a failed build as an error in status and leaves nothing of it on disk', async () => {
    // A file where the CA directory should be: the first step fails.
    renameSync(join(state, 'pki'), join(state, 'pki.saved'));
    writeFileSync(join(state, 'pki'), 'not a directory');
    try {
      await client.createLab({ environment: 'virtualbox-3node', driver: 'process', name: 'broken' });
      const events = await follow('broken');
      const final = events.at(-1)!;
      expect(final.type).toBe('failed');
      const status = await client.getLab('broken');
      expect(status.phase).toBe('failed');
      expect(status.error).toMatch(/pki/);
      expect(existsSync(join(state, 'labs', 'broken'))).toBe(false);
      await client.deleteLab('broken');
      await expect(client.getLab('broken')).rejects.toMatchObject({ status: 404 });
    } finally {
      rmSync(join(state, 'pki'), { force: true });
      renameSync(join(state, 'pki.saved'), join(state, 'pki'));
    }
  });

  it('undoes a build that is deleted while it runs', async () => {
    await client.createLab({ environment: 'two-master-business', driver: 'process', name: 'shortlived' });
    const events: LabStreamEvent[] = [];
    const followed = client.events('shortlived', (e) => events.push(e));
    await client.deleteLab('shortlived');
    const last = await followed;
    expect(last.type).toBe('failed');
    expect(last.type === 'failed' && last.data.error).toBe('the lab was deleted while it was building');
    await expect(client.getLab('shortlived')).rejects.toMatchObject({ status: 404 });
    expect(existsSync(join(state, 'labs', 'shortlived'))).toBe(false);
  });

  it('refuses a taken name, bad names, unknown environments and unknown drivers with 4xx', async () => {
    const cases: [unknown, number, string][] = [
      [{ environment: 'virtualbox-3node', driver: 'process', name: 'ev1' }, 409, 'AlreadyExists'],
      [{ environment: 'virtualbox-3node', driver: 'process', name: 'Not_A_Label' }, 400, 'BadRequest'],
      [{ environment: 'nowhere', driver: 'process' }, 400, 'UnknownTarget'],
      [{ environment: 'virtualbox-3node', driver: 'hyperv' }, 400, 'UnknownDriver'],
      [{ environment: 'virtualbox-3node', scenario: 'x', driver: 'process' }, 400, 'BadRequest'],
      [{ driver: 'process' }, 400, 'BadRequest'],
    ];
    for (const [body, status, reason] of cases) {
      const r = await call('POST', '/labs', JSON.stringify(body));
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.reason, JSON.stringify(body)).toBe(reason);
    }
    const unknown = await call(
      'POST',
      '/labs',
      JSON.stringify({ environment: 'nowhere', driver: 'process' }),
    );
    expect(unknown.json.valid).toEqual(expect.arrayContaining(['virtualbox-3node', 'two-master-business']));
  });
});

describe('a daemon that never falls over on input', () => {
  it('answers garbage on its socket and keeps serving', async () => {
    const pid = daemonInfo(state)!.pid;
    await raw('hello daemon\r\n\r\n');
    await raw(Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]));
    await raw('GET /labs HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
    await raw('POST /labs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"environ');
    const answers = [
      await call('POST', '/labs', '{not json'),
      await call('POST', '/labs', '[1,2,3]'),
      await call('POST', '/labs', JSON.stringify({ environment: 42, driver: 'process' })),
      await call('POST', '/labs', 'x'.repeat(2 * 1024 * 1024)),
      await call('GET', '/labs/%E0%A4%A/events'),
      await call('GET', '/labs/..%2F..%2Fetc'),
      await call('DELETE', '/labs/..%2Fpki'),
      await call('POST', '/labs/ev1/exec', JSON.stringify({ node: 'ubuntu01', argv: [] })),
      await call(
        'POST',
        '/labs/ev1/exec',
        JSON.stringify({ node: 'ubuntu01', pod: { namespace: 'a', name: 'b' }, argv: ['true'] }),
      ),
      await call(
        'POST',
        '/labs/ev1/exec',
        JSON.stringify({ node: 'ubuntu01', argv: ['true'], timeoutMs: -1 }),
      ),
      await call('POST', '/labs/ev1/exec', JSON.stringify({ node: 'ubuntu99', argv: ['true'] })),
      await call('POST', '/labs/ev1/reboot/ubuntu99'),
      await call('PUT', '/labs'),
      await call('GET', '/nowhere'),
    ];
    for (const a of answers) {
      expect(a.status).toBeGreaterThanOrEqual(400);
      expect(a.status).toBeLessThan(500);
      expect(typeof a.json.error).toBe('string');
    }
    expect(processGone(pid)).toBe(false);
    expect(existsSync(join(state, 'pki'))).toBe(true);
    const labs = await client.listLabs();
    expect(labs.find((l) => l.name === 'ev1')?.phase).toBe('ready');
    const ok = await client.exec('ev1', { node: 'ubuntu01', argv: ['sh', '-c', 'exit 3'] });
    expect(ok.code).toBe(3);
  });

  it('serves TCP only with the token from daemon.json', async () => {
    const info = daemonInfo(state)!;
    expect(info.tcp?.host).toBe('127.0.0.1');
    const base = `http://127.0.0.1:${info.tcp!.port}`;
    expect((await fetch(`${base}/labs`)).status).toBe(401);
    expect((await fetch(`${base}/labs`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${base}/labs`, { headers: { authorization: `Bearer ${info.token}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as LabStatus[]).map((l) => l.name)).toContain('ev1');
  });

  it('a second ensureDaemon finds the running daemon instead of starting another', async () => {
    const pid = daemonInfo(state)!.pid;
    const again = await Promise.all([
      ensureDaemon({ paths: daemonPaths(state) }),
      ensureDaemon({ paths: daemonPaths(state) }),
    ]);
    for (const c of again) expect((await c.info()).pid).toBe(pid);
  });
});

describe('terminals over WebSocket', () => {
  it('carries a node shell with input, resize and the exit code', async () => {
    const ws = client.shell('ev1', { node: 'ubuntu02' }, { cols: 100, rows: 30 });
    let output = '';
    const exit = new Promise<number>((resolve, reject) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) output += data.toString();
        else {
          const msg = JSON.parse(data.toString());
          if (msg.type === 'exit') resolve(msg.code);
        }
      });
      ws.on('error', reject);
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'resize', cols: 132, rows: 43 }));
    ws.send(JSON.stringify({ type: 'input', data: 'stty size; echo "on $SVC_LABS_NODE"\n' }));
    ws.send(Buffer.from('exit 9\n'), { binary: true });
    expect(await exit).toBe(9);
    expect(output).toContain('43 132');
    expect(output).toContain('on ubuntu02');
  });

  it('answers a shell for a lab or node that does not exist with 404 before upgrading', async () => {
    for (const [lab, node] of [
      ['nosuch', 'ubuntu01'],
      ['ev1', 'ubuntu42'],
    ]) {
      const ws = client.shell(lab, { node }, { cols: 80, rows: 24 });
      const status = await new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
      });
      expect(status).toBe(404);
    }
  });
});

describe('shutdown', () => {
  it('on SIGTERM destroys its labs, removes its socket and daemon.json, and exits', async () => {
    const own = makeState('daemon-term');
    try {
      const paths = daemonPaths(own);
      const c = await ensureDaemon({ paths });
      await c.createLab({ environment: 'virtualbox-3node', driver: 'process', name: 'term1' });
      await c.events('term1', () => {});
      const info = daemonInfo(own)!;
      process.kill(info.pid, 'SIGTERM');
      await waitFor('the daemon to exit', () => processGone(info.pid), 15_000);
      expect(existsSync(paths.socket)).toBe(false);
      expect(existsSync(paths.info)).toBe(false);
      expect(readdirSync(paths.labs)).toEqual([]);
      await expect(c.listLabs()).rejects.toThrow(/no lab daemon is running/);
    } finally {
      await stopDaemonAndClean(own);
    }
  });
});

describe('starting the daemon', () => {
  it('concurrent starts on a fresh state directory end with one daemon', async () => {
    const own = makeState('daemon-race');
    try {
      const paths = daemonPaths(own);
      const clients = await Promise.all([1, 2, 3].map(() => ensureDaemon({ paths })));
      const pids = await Promise.all(clients.map(async (c) => (await c.info()).pid));
      expect(new Set(pids).size).toBe(1);
      expect(daemonInfo(own)?.pid).toBe(pids[0]);
    } finally {
      await stopDaemonAndClean(own);
    }
  });

  it('fails with the reason and the tail of daemon.log when the daemon cannot come up', async () => {
    const own = makeState('daemon-fail');
    const blocker = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const taken = (blocker.address() as AddressInfo).port;
      const err = await ensureDaemon({ paths: daemonPaths(own), tcpPort: taken }).catch((e) => e);
      expect(err).toBeInstanceOf(DaemonUnavailableError);
      expect(err.message).toMatch(/the lab daemon failed to start: it exited \(code 1\)/);
      expect(err.message).toContain('daemon.log');
      expect(err.message).toContain('EADDRINUSE');
      expect(existsSync(join(own, 'daemon.sock'))).toBe(false);
    } finally {
      blocker.close();
      await stopDaemonAndClean(own);
    }
  });
});

describe('client errors', () => {
  it('DaemonApiError carries the status and the reason', async () => {
    const err = await client.getLab('missing-lab').catch((e) => e);
    expect(err).toBeInstanceOf(DaemonApiError);
    expect(err).toMatchObject({ status: 404, reason: 'NotFound' });
  });

  it('a state dir with a dead daemon.json and stale socket is taken over by a new daemon', async () => {
    const own = makeState('daemon-stale');
    try {
      const paths = daemonPaths(own);
      mkdirSync(paths.labs, { recursive: true });
      // What a daemon killed with -9 leaves: its socket (nobody listening) and its daemon.json.
      const holder = spawn(NODE, [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(paths.socket)}, () => console.log('up'))`,
      ]);
      await new Promise((r) => holder.stdout.once('data', r));
      holder.kill('SIGKILL');
      await waitFor('the holder to die', () => processGone(holder.pid!));
      expect(existsSync(paths.socket)).toBe(true);
      writeFileSync(paths.info, JSON.stringify({ pid: holder.pid, pidStart: '1', socket: paths.socket }));
      const c = await ensureDaemon({ paths });
      const info = await c.info();
      expect(info.pid).not.toBe(holder.pid);
      expect(processGone(info.pid)).toBe(false);
    } finally {
      await stopDaemonAndClean(own);
    }
  });
});
