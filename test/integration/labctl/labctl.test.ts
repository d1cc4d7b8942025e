/**
 * labctl as a learner runs it: a real child process on the project's Node, talking to a lab daemon
 * it starts on demand, building labs with the `process` driver; the real kubectl uses the result.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import pty from '@lydell/node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabStatus } from '../../../labs/daemon/types.ts';
import {
  daemonInfo,
  kubectl,
  labctl,
  makeState,
  NODE,
  REPO,
  type Run,
  stopDaemonAndClean,
} from '../daemon/helpers.ts';

let state: string;
let up: Run;

beforeAll(async () => {
  state = makeState('labctl');
  up = await labctl(state, ['up', 'virtualbox-3node', '--driver', 'process', '--name', 'lab1']);
});

afterAll(async () => {
  await stopDaemonAndClean(state);
});

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

function exportedKubeconfig(out: string): string {
  const m = /export KUBECONFIG=(\S+)/.exec(out);
  if (!m) throw new Error(`no export KUBECONFIG line in:\n${out}`);
  return m[1];
}

describe('labctl up', () => {
  it('prints each build step and a kubeconfig with which kubectl lists three Ready nodes', async () => {
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('Building lab lab1 (environment virtualbox-3node, driver process)');
    // Not a terminal: one plain line per finished step, counted.
    expect(up.stdout).toMatch(/^\[1\/\d+\] Certificates done \(\d+ ms\)$/m);
    expect(up.stdout).toMatch(/^\[\d+\/\d+\] Node ubuntu02 \(worker\) done/m);
    expect(up.stdout).toMatch(/^\[(\d+)\/\1\] Nodes Ready done/m);
    expect(up.stdout).toContain('Lab lab1 is ready');
    const kubeconfig = exportedKubeconfig(up.stdout);
    expect(kubeconfig).toBe(join(state, 'labs', 'lab1', 'kubeconfig'));

    const nodes = await kubectl(kubeconfig, ['get', 'nodes', '-o', 'json'], join(state, 'kube'));
    expect(nodes.code, nodes.stderr).toBe(0);
    const items = JSON.parse(nodes.stdout).items as {
      metadata: { name: string };
      status: { conditions: { type: string; status: string }[] };
    }[];
    expect(items.map((n) => n.metadata.name).sort()).toEqual(['ubuntu01', 'ubuntu02', 'ubuntu03']);
    for (const n of items) expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it("on a terminal, draws the step list in place with ✓ and each step's time", async () => {
    const term = pty.spawn(
      NODE,
      [
        join(REPO, 'scripts', 'labctl.js'),
        'up',
        'virtualbox-3node',
        '--driver',
        'process',
        '--name',
        'ttylab',
      ],
      {
        cols: 100,
        rows: 40,
        cwd: REPO,
        env: { ...process.env, SVC_LABS_STATE: state } as Record<string, string>,
      },
    );
    let out = '';
    term.onData((d) => (out += d));
    const code = await new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    expect(code, out).toBe(0);
    expect(out).toMatch(/✓.* Nodes Ready\s+.*\d+ ms/);
    expect(out).toMatch(/✓.* Node ubuntu03 \(worker\)/);
    // Redrawn in place (cursor up), not appended line by line.
    expect(out).toContain('\x1b[2K');
    expect(out).toMatch(/\x1b\[\d+F/);
    expect(out).toContain('Lab ttylab is ready');
    expect((await labctl(state, ['down', 'ttylab'])).code).toBe(0);
  });

  it('started one daemon, whose socket only its owner may use', () => {
    const info = daemonInfo(state);
    expect(info?.socket).toBe(join(state, 'daemon.sock'));
    expect(info?.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(existsSync(info!.socket)).toBe(true);
    expect(statSync(info!.socket).mode & 0o777).toBe(0o600);
  });

  it('refuses a second lab with the same name, leaving the first alone', async () => {
    const again = await labctl(state, ['up', 'virtualbox-3node', '--driver', 'process', '--name', 'lab1']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('a lab named "lab1" already exists');
    expect(again.stderr).not.toMatch(/\n\s+at /);
    const status = await labctl(state, ['status', 'lab1', '--json']);
    expect(JSON.parse(status.stdout).phase).toBe('ready');
  });

  it('exits 2 for an unknown environment, listing the valid ones, without starting a build', async () => {
    const bad = await labctl(state, ['up', 'virtualbox-9node', '--driver', 'process']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown scenario or environment "virtualbox-9node"');
    expect(bad.stderr).toContain('virtualbox-3node');
    expect(bad.stderr).toContain('two-master-business');
    const labs = JSON.parse((await labctl(state, ['list', '--json'])).stdout) as LabStatus[];
    expect(labs.map((l) => l.name)).toEqual(['lab1']);
  });

  it('exits 2 for an unknown driver, naming the supported ones', async () => {
    const bad = await labctl(state, ['up', 'virtualbox-3node', '--driver', 'vagrant']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown driver "vagrant"; supported: .*process/);
  });

  it('--dry-run shows the plan and builds nothing', async () => {
    const dry = await labctl(state, [
      'up',
      'two-master-business',
      '--driver',
      'process',
      '--dry-run',
      '--json',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan.environment).toBe('two-master-business');
    expect(plan.nodes.map((n: { name: string }) => n.name)).toEqual([
      'gaia-master1',
      'gaia-master2',
      'gaia-node1',
    ]);
    const labs = JSON.parse((await labctl(state, ['list', '--json'])).stdout) as LabStatus[];
    expect(labs).toHaveLength(1);
  });
});

describe('labctl read commands', () => {
  it('list shows the lab as a table and as JSON', async () => {
    const text = await labctl(state, ['list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^NAME\s+PHASE\s+DRIVER\s+ENVIRONMENT/m);
    expect(text.stdout).toMatch(/^lab1\s+ready\s+process\s+virtualbox-3node\s+-\s+3\s+\d+[smhd]$/m);
    const json = JSON.parse((await labctl(state, ['list', '--json'])).stdout) as LabStatus[];
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({
      name: 'lab1',
      phase: 'ready',
      driver: 'process',
      environment: 'virtualbox-3node',
    });
  });

  it('status gives phase, nodes, kubeconfig and the apiserver URL', async () => {
    const json = await labctl(state, ['status', 'lab1', '--json']);
    expect(json.code).toBe(0);
    const s = JSON.parse(json.stdout) as LabStatus;
    expect(s.kubeconfig).toBe(join(state, 'labs', 'lab1', 'kubeconfig'));
    expect(s.apiserver).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(s.nodes.map((n) => [n.name, n.role])).toEqual([
      ['ubuntu01', 'control-plane'],
      ['ubuntu02', 'worker'],
      ['ubuntu03', 'worker'],
    ]);
    expect(s.nodes[1].addresses).toContainEqual({ nic: 'enp0s3', address: '192.168.56.12/24' });
    expect(s.buildMs).toBeGreaterThan(0);
    const text = await labctl(state, ['status', 'lab1']);
    expect(text.stdout).toMatch(/^Phase:\s+ready$/m);
    expect(text.stdout).toContain(s.apiserver!);
  });

  it('kubeconfig prints the path, or the file with --print', async () => {
    const path = await labctl(state, ['kubeconfig', 'lab1']);
    expect(path.stdout.trim()).toBe(join(state, 'labs', 'lab1', 'kubeconfig'));
    const content = await labctl(state, ['kubeconfig', 'lab1', '--print']);
    expect(content.stdout).toBe(readFileSync(path.stdout.trim(), 'utf8'));
    expect(content.stdout).toContain('certificate-authority-data');
  });

  it('unknown labs and unknown flags exit 2 with a message, never a stack trace', async () => {
    for (const args of [
      ['status', 'nosuch'],
      ['kubeconfig', 'nosuch'],
      ['exec', 'nosuch', 'ubuntu01', '--', 'true'],
      ['down', 'nosuch'],
      ['reboot', 'lab1', 'ubuntu07'],
      ['list', '--colour'],
      ['status'],
      ['exec', 'lab1', 'ubuntu01', 'true'],
    ]) {
      const r = await labctl(state, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^labctl \w+: \S/);
      expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
    expect((await labctl(state, ['status', 'nosuch'])).stderr).toContain('no lab named "nosuch"; labs: lab1');
  });
});

describe('labctl exec, shell and reboot', () => {
  it("exec on a node runs the command and exits with the command's code", async () => {
    const r = await labctl(state, [
      'exec',
      'lab1',
      'ubuntu02',
      '--',
      'sh',
      '-c',
      'echo on $SVC_LABS_NODE; echo oops >&2; exit 7',
    ]);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('on ubuntu02\n');
    expect(r.stderr).toBe('oops\n');
    const missing = await labctl(state, ['exec', 'lab1', 'ubuntu02', '--', 'no-such-program']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('no-such-program: command not found');
  });

  it('exec in a pod goes through its kubelet, with --stdin and --json', async () => {
    const kubeconfig = join(state, 'labs', 'lab1', 'kubeconfig');
    const cache = join(state, 'kube');
    expect(
      (await kubectl(kubeconfig, ['run', 'sleeper', '--image=busybox', '--', 'sleep', '3600'], cache)).code,
    ).toBe(0);
    const wait = await kubectl(
      kubeconfig,
      ['wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=30s'],
      cache,
    );
    expect(wait.code, wait.stderr).toBe(0);
    const r = await labctl(state, [
      'exec',
      'lab1',
      'pod/default/sleeper',
      '--',
      'sh',
      '-c',
      'echo $HOSTNAME; exit 3',
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('sleeper\n');
    const piped = await labctl(state, ['exec', 'lab1', 'pod/sleeper', '--stdin', '--json', '--', 'cat'], {
      input: 'through stdin',
    });
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ code: 0, stdout: 'through stdin', stderr: '' });
    const none = await labctl(state, ['exec', 'lab1', 'pod/default/nosuch', '--', 'true']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('pod default/nosuch not found');
  });

  it("shell gives an interactive shell on the node and exits with the shell's code", async () => {
    const r = await labctl(state, ['shell', 'lab1', 'ubuntu03'], {
      input: 'echo "node is $SVC_LABS_NODE"\nexit 5\n',
    });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('node is ubuntu03');
    const noNode = await labctl(state, ['shell', 'lab1', 'ubuntu09']);
    expect(noNode.code).toBe(2);
    expect(noNode.stderr).toContain('has no node "ubuntu09"');
  });

  it('reboot brings the node back Ready', async () => {
    const r = await labctl(state, ['reboot', 'lab1', 'ubuntu02']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ubuntu02 rebooted/);
    const node = await kubectl(
      join(state, 'labs', 'lab1', 'kubeconfig'),
      ['get', 'node', 'ubuntu02', '-o', 'json'],
      join(state, 'kube'),
    );
    const ready = JSON.parse(node.stdout).status.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(ready.status).toBe('True');
  });
});

describe('labctl up --json and down', () => {
  it('up --json prints name, kubeconfig and nodes; down removes the lab and its files', async () => {
    const r = await labctl(state, ['up', 'two-master-business', '--driver', 'process', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      name: string;
      kubeconfig: string;
      apiserver: string;
      nodes: { name: string }[];
    };
    expect(out.name).toMatch(/^two-master-business-[a-z0-9]{4}$/);
    expect(out.kubeconfig).toBe(join(state, 'labs', out.name, 'kubeconfig'));
    expect(out.nodes.map((n) => n.name)).toEqual(['gaia-master1', 'gaia-master2', 'gaia-node1']);
    expect(existsSync(out.kubeconfig)).toBe(true);

    const down = await labctl(state, ['down', out.name]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toBe(`lab ${out.name} deleted\n`);
    expect(existsSync(join(state, 'labs', out.name))).toBe(false);
    const labs = JSON.parse((await labctl(state, ['list', '--json'])).stdout) as LabStatus[];
    expect(labs.map((l) => l.name)).toEqual(['lab1']);
    // Its apiserver is gone with it.
    expect(await portAnswers(Number(new URL(out.apiserver).port))).toBe(false);
  });

  it('down --all removes every lab', async () => {
    const r = await labctl(state, ['down', '--all']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('lab lab1 deleted');
    expect(JSON.parse((await labctl(state, ['list', '--json'])).stdout)).toEqual([]);
    expect(existsSync(join(state, 'labs', 'lab1'))).toBe(false);
  });
});
