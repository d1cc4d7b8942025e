/**
 * Terminals: a pty running a login shell inside a node (its namespace, hostname, files and /root),
 * or a tty exec into a pod's container through its kubelet, as `kubectl exec -it` does.
 */
import pty from '@lydell/node-pty';
import type { NativeSandbox } from '../../netns/sandbox/types.ts';
import type { Kubelet, PodRef } from '../../runtime/kubelet.ts';
import type { Terminal, TerminalOptions } from '../lab-driver.ts';

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** `bash -l` on the node (or `command`), with the prompt `root@<hostname>:~# `. */
export function nodeTerminal(sandbox: NativeSandbox, netns: string, opts: TerminalOptions): Terminal {
  const argv = opts.command?.length ? opts.command : ['bash', '-l'];
  const spec = sandbox.commandFor(argv, {
    netns,
    env: { TERM: 'xterm-256color', HOME: '/root', PS1: '\\u@\\h:\\w\\$ ', SHELL: '/bin/bash' },
  });
  const term = pty.spawn(spec.file, spec.args, {
    name: 'xterm-256color',
    cols: Math.max(1, opts.cols),
    rows: Math.max(1, opts.rows),
    cwd: '/',
    env: spec.env,
    encoding: null,
  });
  const exited = new Promise<number>((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      killGroup(term.pid);
      resolve(signal ? 128 + signal : exitCode);
    });
  });
  return {
    onData: (listener) => {
      term.onData((d) => listener(Buffer.isBuffer(d) ? d : Buffer.from(d)));
    },
    write: (data) => term.write(data as string),
    resize: (size) => {
      try {
        term.resize(Math.max(1, size.cols), Math.max(1, size.rows));
      } catch {
        /* exited */
      }
    },
    close: () => killGroup(term.pid),
    exited,
  };
}

/** A tty exec into a container (`sh` unless a command is given). */
export async function podTerminal(
  kubelet: Kubelet,
  ref: PodRef,
  container: string,
  opts: TerminalOptions,
): Promise<Terminal> {
  const listeners: ((chunk: Buffer) => void)[] = [];
  const early: Buffer[] = [];
  const proc = await kubelet.exec(
    ref,
    container,
    { command: opts.command?.length ? opts.command : ['sh'], tty: true, stdin: true, size: opts },
    (_stream, chunk) => {
      if (listeners.length === 0) early.push(chunk);
      for (const l of listeners) l(chunk);
    },
  );
  return {
    onData: (listener) => {
      listeners.push(listener);
      for (const chunk of early.splice(0)) listener(chunk);
    },
    write: (data) => proc.writeStdin(Buffer.isBuffer(data) ? data : Buffer.from(data)),
    resize: (size) => proc.resize(size),
    close: () => proc.kill(),
    exited: proc.exited,
  };
}
