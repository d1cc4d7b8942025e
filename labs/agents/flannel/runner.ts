/**
 * How the agent runs `ip`, `bridge` and `iptables` inside its node: any object with `run` that
 * never throws on a non-zero exit. A lab binds its Sandbox to the node's namespace.
 */
import type { RunResult, Sandbox } from '../../netns/sandbox.ts';

export interface NodeCommandRunner {
  run(argv: string[], opts?: { input?: string }): Promise<RunResult>;
}

/**
 * Bind a sandbox to one of its namespaces. Commands go in `bare` (network namespace only, no
 * private /sys or bind mounts), which sandboxes that know the option use as their fast path.
 */
export function sandboxRunner(sandbox: Pick<Sandbox, 'run'>, netns: string): NodeCommandRunner {
  return {
    run: (argv, opts) => {
      const options: Parameters<Sandbox['run']>[1] & { bare: boolean } = {
        netns,
        allowFailure: true,
        bare: true,
        ...(opts?.input !== undefined ? { input: opts.input } : {}),
      };
      return sandbox.run(argv, options);
    },
  };
}

/** Lowercase errno text as Go's netlink errors read (`RTNETLINK answers: File exists` -> `file exists`). */
export function netlinkError(stderr: string): string {
  const line =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('Command failed')) ?? 'unknown error';
  const text = line.replace(/^RTNETLINK answers:\s*/, '').replace(/^Error:\s*/, '');
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** The kernel's answer for each failed line (0-based) of an `ip`/`bridge` `-force -batch` run. */
export function batchErrors(stderr: string): Map<number, string> {
  const errors = new Map<number, string>();
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const failed = /^Command failed -:(\d+)$/.exec(line);
    if (failed) {
      errors.set(Number(failed[1]) - 1, netlinkError(pending.join('\n')));
      pending = [];
    } else {
      pending.push(line);
    }
  }
  return errors;
}

/** Run `<tool> -force -batch -` (every line is tried) and return the failures by line. */
export async function runBatch(
  runner: NodeCommandRunner,
  tool: 'ip' | 'bridge',
  lines: readonly string[],
): Promise<Map<number, string>> {
  if (lines.length === 0) return new Map();
  const res = await runner.run([tool, '-force', '-batch', '-'], { input: `${lines.join('\n')}\n` });
  const errors = batchErrors(res.stderr);
  if (res.code !== 0 && errors.size === 0)
    errors.set(0, netlinkError(res.stderr || `${tool} exited ${res.code}`));
  return errors;
}
