/**
 * How the agent runs iptables, sysctl and conntrack inside its node: any object with `run`.
 * A lab passes its Sandbox bound to the node's namespace; `ipNetnsRunner` runs `ip netns exec`
 * directly (root, named namespaces), which kernel tests use.
 */
import { spawn } from 'node:child_process';
import type { RunResult, Sandbox } from '../../netns/sandbox.ts';

export interface NodeCommandRunner {
  run(argv: string[], opts?: { input?: string }): Promise<RunResult>;
}

/** Bind a sandbox (anything with Sandbox.run's shape) to one of its network namespaces. */
export function sandboxRunner(sandbox: Pick<Sandbox, 'run'>, netns: string): NodeCommandRunner {
  return { run: (argv, opts) => sandbox.run(argv, { netns, input: opts?.input, allowFailure: true }) };
}

/** Run commands in a named namespace with `ip netns exec` (needs root). Never throws on exit codes. */
export function ipNetnsRunner(netns: string): NodeCommandRunner {
  return { run: (argv, opts) => runProcess(['ip', 'netns', 'exec', netns, ...argv], opts?.input) };
}

export function runProcess(argv: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
