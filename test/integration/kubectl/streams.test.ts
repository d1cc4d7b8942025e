import { spawn as spawnPty } from '@lydell/node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startCluster, type TestCluster } from './harness.ts';

let c: TestCluster;

beforeAll(async () => {
  c = await startCluster('streams');
  await c.kubectl([
    'run',
    'talker',
    '--image=busybox',
    '--',
    'sh',
    '-c',
    'i=0; while true; do echo "line $i"; i=$((i+1)); sleep 0.2; done',
  ]);
  await eventually(
    async () =>
      (await c.kubectl(['get', 'pod', 'talker', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running',
    'talker running',
  );
});

afterAll(async () => {
  await c?.stop();
});

/** busybox ash prints its prompt and then asks the terminal for the cursor position (ESC[6n). */
const PROMPT = /[#$] (\x1b\[(6n|J))*$/;

/** Run kubectl in a pseudo-terminal, feed it keystrokes, and collect what the terminal shows. */
function inPty(args: string[], script: (write: (s: string) => void, screen: () => string) => Promise<void>) {
  return new Promise<{ code: number; screen: string }>((resolve, reject) => {
    const term = spawnPty('kubectl', args, {
      cols: 100,
      rows: 30,
      env: { ...process.env, ...c.env } as Record<string, string>,
    });
    let screen = '';
    term.onData((d) => {
      screen += d;
    });
    term.onExit(({ exitCode }) => resolve({ code: exitCode, screen }));
    script(
      (s) => term.write(s),
      () => screen,
    ).catch((e) => {
      term.kill();
      reject(e);
    });
  });
}

describe('kubectl logs, exec, attach and run against a lab', () => {
  it('prints a container log and follows it', async () => {
    await eventually(
      async () => (await c.kubectl(['logs', 'talker'])).stdout.includes('line 2'),
      'three log lines',
    );
    const tail = await c.kubectl(['logs', 'talker', '--tail=1']);
    expect(tail.stdout.trim().split('\n')).toHaveLength(1);
    const follow = await c.kubectl(['logs', '-f', 'talker', '--tail=1'], { timeoutMs: 2_500 });
    expect(follow.stdout.trim().split('\n').length).toBeGreaterThan(3);
  });

  it('runs a command with exec and propagates its exit code', async () => {
    const ok = await c.kubectl(['exec', 'talker', '--', 'echo', 'hello from the pod']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('hello from the pod\n');
    const fail = await c.kubectl(['exec', 'talker', '--', 'sh', '-c', 'echo oops >&2; exit 3']);
    expect(fail.code).toBe(3);
    expect(fail.stderr).toMatch(/oops/);
    expect(fail.stderr).toMatch(/command terminated with exit code 3/);
    const stdin = await c.kubectl(['exec', '-i', 'talker', '--', 'cat'], { input: 'piped in\n' });
    expect(stdin.stdout).toBe('piped in\n');
  });

  it('gives exec -it a real terminal', async () => {
    const r = await inPty(['exec', '-it', 'talker', '--', 'sh'], async (write, screen) => {
      await eventually(() => PROMPT.test(screen()), 'a shell prompt');
      write('tty; echo "cols=$(stty size)"\r');
      await eventually(() => screen().includes('cols=30 100'), 'stty to see the terminal size');
      write('exit 4\r');
    });
    expect(r.screen).toMatch(/\/dev\/pts\/\d+/);
    expect(r.code).toBe(4);
  });

  it('runs an interactive pod with run --rm -it and deletes it afterwards', async () => {
    const r = await inPty(
      ['run', 'debug', '--rm', '-it', '--restart=Never', '--image=busybox', '--', 'sh'],
      async (write, screen) => {
        await eventually(() => PROMPT.test(screen()), 'a shell in the new pod', 20_000);
        write('echo inside-$((6*7))\r');
        await eventually(() => screen().includes('inside-42'), 'the command output');
        write('exit\r');
      },
    );
    expect(r.screen).toMatch(/pod "debug" deleted/);
    expect((await c.kubectl(['get', 'pod', 'debug'])).stderr).toMatch(/NotFound/);
  });
});
