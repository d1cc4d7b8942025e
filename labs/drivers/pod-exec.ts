/**
 * A command in a pod's container through the kubelet of its node, as `kubectl exec` does it, with
 * the output collected: shared by every driver whose kubelets run in this process.
 */
import { type Kubelet, KubeletError, type PodRef } from '../runtime/kubelet.ts';
import type { ExecProcess } from '../runtime/pod-runtime.ts';
import type { ExecOptions, RunResult } from './driver.ts';

export const DEFAULT_POD_EXEC_TIMEOUT_MS = 5 * 60_000;

export async function execThroughKubelet(
  kubelet: Kubelet,
  ref: PodRef,
  container: string,
  argv: string[],
  opts: ExecOptions,
): Promise<RunResult> {
  const started = performance.now();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const result = (code: number, extra = ''): RunResult => ({
    code,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8') + extra,
    ms: Math.round(performance.now() - started),
  });
  let proc: ExecProcess;
  try {
    proc = await kubelet.exec(
      ref,
      container,
      { command: argv, tty: false, stdin: opts.input !== undefined },
      (stream, chunk) => (stream === 'stderr' ? err : out).push(chunk),
    );
  } catch (e) {
    // As kubectl reports it: the runtime could not start the command.
    if (e instanceof KubeletError && e.kind === 'exec') return result(126, `${e.message}\n`);
    throw e;
  }
  if (opts.input !== undefined) {
    proc.writeStdin(Buffer.from(opts.input));
    proc.closeStdin();
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_POD_EXEC_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), timeoutMs);
  });
  const code = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (code === 'timeout') {
    proc.kill();
    return result(124, `command timed out after ${timeoutMs} ms\n`);
  }
  return result(code);
}
