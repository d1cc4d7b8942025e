/**
 * The real kubectl 1.32 against the lab's API server, with kubelets on the process runtime:
 * exec (exit codes, stdin, -it through a real terminal), run -it --rm, attach and logs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from '@lydell/node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../../labs/controlplane/controlplane.ts';
import { type ProcessNodes, startProcessNodes } from '../../../labs/controlplane/process-nodes.ts';
import { ensureServingCert } from '../../../labs/controlplane/tls.ts';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);

let dir: string;
let cp: ControlPlane;
let nodes: ProcessNodes;
let env: Record<string, string>;

beforeAll(async () => {
  if (!haveKubectl) return;
  dir = mkdtempSync(join(tmpdir(), 'svcl-t-streams-'));
  const tls = await ensureServingCert(join(dir, 'pki'), ['127.0.0.1']);
  cp = new ControlPlane({
    tls,
    config: {
      name: 'streams',
      podCIDR: '10.244.0.0/16',
      serviceCIDR: '10.96.0.0/12',
      dnsIP: '10.96.0.10',
      clusterDomain: 'cluster.local',
      nodePortRange: [30000, 32767],
      kubernetesVersion: 'v1.32.4',
      apiservers: [{ nodeName: 'ubuntu01', ip: '192.168.56.11', port: 6443 }],
    },
  });
  cp.start();
  const port = await cp.listen('127.0.0.1', 0);
  writeFileSync(join(dir, 'kubeconfig'), cp.kubeconfig(`https://127.0.0.1:${port}`));
  nodes = await startProcessNodes(
    cp,
    [
      { name: 'ubuntu01', ip: '192.168.56.11', controlPlane: true },
      { name: 'ubuntu02', ip: '192.168.56.12' },
    ],
    { crashLoopBackoff: { initialMs: 300, maxMs: 1200 }, resyncMs: 100 },
  );
  env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    KUBECONFIG: join(dir, 'kubeconfig'),
    TERM: 'xterm',
  };
});

afterAll(async () => {
  if (!haveKubectl) return;
  await nodes?.stop();
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      [`--cache-dir=${join(dir, 'cache')}`, ...args],
      { env, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** kubectl in a real terminal: answers `[waitFor, type]` steps, returns the screen text and exit code. */
function kubectlTty(args: string[], steps: [string, string][]): Promise<{ code: number; output: string }> {
  const term = pty.spawn(KUBECTL, [`--cache-dir=${join(dir, 'cache')}`, ...args], {
    cols: 100,
    rows: 30,
    env,
  });
  let output = '';
  term.onData((d) => {
    output += d;
  });
  void (async () => {
    for (const [waitFor, type] of steps) {
      const deadline = Date.now() + 15_000;
      while (!output.includes(waitFor) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 30));
      term.write(type);
    }
  })();
  return new Promise((resolve) => {
    const kill = setTimeout(() => term.kill(), 40_000);
    term.onExit(({ exitCode }) => {
      clearTimeout(kill);
      resolve({ code: exitCode, output });
    });
  });
}

async function waitRunning(pod: string): Promise<void> {
  const r = await kubectl(['wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=20s']);
  expect(r.stderr).toBe('');
}

describe.skipIf(!haveKubectl)('kubectl streams against the lab', () => {
  it('exec propagates exit codes and stdin', async () => {
    expect((await kubectl(['run', 'box', '--image=busybox', '--', 'sleep', '3600'])).code).toBe(0);
    await waitRunning('box');
    const ok = await kubectl(['exec', 'box', '--', 'sh', '-c', 'echo hello from $HOSTNAME']);
    expect(ok).toMatchObject({ code: 0, stdout: 'hello from box\n' });
    const three = await kubectl(['exec', 'box', '--', 'sh', '-c', 'exit 3']);
    expect(three.code).toBe(3);
    expect(three.stderr).toBe('command terminated with exit code 3\n');
    const piped = await kubectl(['exec', '-i', 'box', '--', 'tr', 'a-z', 'A-Z'], 'shout\n');
    expect(piped).toMatchObject({ code: 0, stdout: 'SHOUT\n' });
    const missing = await kubectl(['exec', 'box', '--', 'bash']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^error: Internal error occurred: Internal error occurred: error executing command in container: .*exec: "bash": executable file not found in \$PATH: unknown\n$/,
    );
  });

  it('exec -it gets a terminal of the client size', async () => {
    await waitRunning('box');
    const r = await kubectlTty(
      ['exec', '-it', 'box', '--', 'sh'],
      [
        ['# ', 'stty size\r'],
        ['30 100', 'exit 7\r'],
      ],
    );
    expect(r.output).toContain('30 100');
    expect(r.code).toBe(7);
  });

  it('run -it --rm attaches, and deletes the pod when the shell exits', async () => {
    const r = await kubectlTty(
      ['run', '-it', '--rm', 'tmp', '--image=busybox', '--restart=Never', '--', 'sh'],
      [
        ["If you don't see a command prompt", '\r'],
        ['/ # ', 'echo sum-$((40+2))\r'],
        ['sum-42', 'exit\r'],
      ],
    );
    expect(r.output).toContain('sum-42');
    expect(r.output).toContain('pod "tmp" deleted');
    expect(r.code).toBe(0);
  });

  it('logs follows a running container and explains --previous', async () => {
    await kubectl([
      'run',
      'ticker',
      '--image=busybox',
      '--restart=Never',
      '--',
      'sh',
      '-c',
      'for i in 1 2 3; do echo tick $i; sleep 0.3; done',
    ]);
    await kubectl(['wait', '--for=jsonpath={.status.phase}=Running', 'pod/ticker', '--timeout=20s']);
    const follow = await kubectl(['logs', '-f', 'ticker']);
    expect(follow).toMatchObject({ code: 0, stdout: 'tick 1\ntick 2\ntick 3\n' });
    const prev = await kubectl(['logs', 'ticker', '--previous']);
    expect(prev.stderr).toBe(
      'Error from server (BadRequest): previous terminated container "ticker" in pod "ticker" not found\n',
    );
  });
});
