import type { RawData } from 'ws';
import type { ShellMessage } from '../../daemon/shell.ts';
import { flag } from '../args.ts';
import {
  checkFlags,
  EXIT_FAILED,
  EXIT_USAGE,
  guarded,
  noDaemonLab,
  positionals,
  runningDaemon,
} from './lab-common.ts';
import { parseTarget } from './target.ts';
import type { Command } from './types.ts';

export const shell: Command = {
  name: 'shell',
  usage: 'shell <name> [<node>|pod/<ns>/<pod>] [--container C]',
  summary: 'an interactive shell on a node (the control-plane node by default) or in a pod',
  valueFlags: new Set(['container']),
  async run(args) {
    checkFlags(args, ['container']);
    const [name, where] = positionals(args, 1, 2, 'the lab name');
    const target = where ? parseTarget(where) : undefined;
    return guarded('shell', async () => {
      const client = await runningDaemon();
      if (!client) throw noDaemonLab(name);
      const tty = process.stdin.isTTY && process.stdout.isTTY;
      const size = () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
      const ws = client.shell(
        name,
        {
          node: target && 'node' in target ? target.node : undefined,
          pod: target && 'pod' in target ? `${target.pod.namespace}/${target.pod.name}` : undefined,
          container: flag(args, 'container'),
        },
        size(),
      );
      return await new Promise<number>((resolve) => {
        let code = EXIT_FAILED;
        const onResize = () => ws.send(JSON.stringify({ type: 'resize', ...size() } satisfies ShellMessage));
        const restore = () => {
          if (tty) process.stdin.setRawMode(false);
          process.stdin.pause();
          process.stdout.off('resize', onResize);
        };
        ws.on('unexpected-response', (req, res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let message = `the daemon answered ${res.statusCode}`;
            try {
              message = JSON.parse(Buffer.concat(chunks).toString('utf8')).error ?? message;
            } catch {
              /* not JSON */
            }
            console.error(`labctl shell: ${message}`);
            req.destroy();
            resolve((res.statusCode ?? 500) < 500 ? EXIT_USAGE : EXIT_FAILED);
          });
        });
        ws.on('error', (e) => {
          console.error(`labctl shell: ${e.message}`);
          resolve(EXIT_FAILED);
        });
        ws.on('open', () => {
          if (tty) process.stdin.setRawMode(true);
          process.stdin.on('data', (d: Buffer) => ws.send(d, { binary: true }));
          // Piped input ends: the shell gets end-of-file (^D) as on a terminal, again until it goes,
          // because a ^D typed ahead is lost when readline switches the terminal mode.
          process.stdin.on('end', () => {
            const eof = () => {
              if (ws.readyState === ws.OPEN) ws.send(Buffer.from([4]), { binary: true });
            };
            eof();
            setInterval(eof, 500).unref();
          });
          process.stdin.resume();
          process.stdout.on('resize', onResize);
        });
        ws.on('message', (data: RawData, isBinary: boolean) => {
          const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
          if (isBinary) {
            process.stdout.write(buf);
            return;
          }
          try {
            const msg = JSON.parse(buf.toString('utf8')) as ShellMessage;
            if (msg.type === 'exit') code = msg.code;
            else if (msg.type === 'error') console.error(`labctl shell: ${msg.message}`);
          } catch {
            /* not ours */
          }
        });
        ws.on('close', () => {
          restore();
          resolve(Math.min(Math.max(code, 0), 255));
        });
      });
    });
  },
};
