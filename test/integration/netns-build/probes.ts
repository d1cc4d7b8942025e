/**
 * Real traffic for the netns-build tests: a TCP listener that answers with the peer address it
 * saw, a TCP client with a short connect timeout, ping, and kernel counters. Listeners run as
 * long-lived processes started through the sandbox; every one is killed by its owner.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { NativeSandbox } from '../../../labs/netns/sandbox/types.ts';
import type { Sandbox } from '../../../labs/netns/sandbox.ts';

const LISTENER = `
const net = require('node:net');
const [host, port, name] = process.argv.slice(1);
const server = net.createServer((s) => s.end(name + ' ' + s.remoteAddress + '\\n'));
server.listen(Number(port), host, () => console.log('listening'));
`;

const CLIENT = `
const net = require('node:net');
const [host, port, ms] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) });
let data = '';
const done = (r) => { console.log(JSON.stringify(r)); process.exit(0); };
const timer = setTimeout(() => done({ ok: false, error: 'timeout' }), Number(ms));
s.on('data', (d) => (data += d));
s.on('end', () => { clearTimeout(timer); done({ ok: true, data: data.trim() }); });
s.on('error', (e) => { clearTimeout(timer); done({ ok: false, error: e.code || e.message }); });
`;

export interface Listener {
  close(): Promise<void>;
}

/** Listen on host:port inside a namespace; each connection gets `<name> <peer address>`. */
export async function listen(
  sandbox: NativeSandbox,
  netns: string,
  host: string,
  port: number,
  name: string,
): Promise<Listener> {
  const spec = sandbox.commandFor([process.execPath, '-e', LISTENER, host, String(port), name], {
    netns,
    bare: true,
  });
  const child: ChildProcess = spawn(spec.file, spec.args, {
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      if (String(d).includes('listening')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`listener in ${netns} exited ${code}: ${err}`)));
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.on('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

export interface ConnectResult {
  ok: boolean;
  data?: string;
  error?: string;
}

export async function connect(
  sandbox: Sandbox,
  netns: string,
  host: string,
  port: number,
  timeoutMs = 1500,
): Promise<ConnectResult> {
  const r = await sandbox.run([process.execPath, '-e', CLIENT, host, String(port), String(timeoutMs)], {
    netns,
  });
  return JSON.parse(r.stdout.trim()) as ConnectResult;
}

export async function ping(sandbox: Sandbox, netns: string, address: string): Promise<boolean> {
  const r = await sandbox.run(['ping', '-n', '-q', '-c', '1', '-W', '1', address], {
    netns,
    allowFailure: true,
  });
  return r.code === 0;
}

/** A TcpExt counter of the namespace (e.g. IPReversePathFilter: packets dropped by rp_filter). */
export async function tcpExtCounter(sandbox: Sandbox, netns: string, name: string): Promise<number> {
  const text = (await sandbox.run(['cat', '/proc/net/netstat'], { netns })).stdout;
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const keys = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  const i = keys.indexOf(name);
  if (i < 0) throw new Error(`no TcpExt counter ${name}`);
  return Number(values[i]);
}

export async function sh(sandbox: Sandbox, netns: string, ...argv: string[]): Promise<string> {
  return (await sandbox.run(argv, { netns })).stdout;
}
