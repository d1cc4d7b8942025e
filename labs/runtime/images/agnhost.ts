/**
 * agnhost, the Kubernetes e2e test image: `pause` (default), `netexec`, `serve-hostname` and
 * `liveness`, with their start-up logs, ports and signal handling. Other subcommands idle.
 */
import type { HttpRequestInfo, ImageDefinition, ProgramContext, VirtualListener } from './catalog.ts';
import { dq, goLogTime, idleScript } from './script.ts';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** klog's header: `I0115 10:00:00.123456       1 file.go:42] `. */
function klog(d: Date, where: string): string {
  return `I${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds() * 1000, 6)}       1 ${where}] `;
}

function flag(args: string[], name: string, fallback: number): number {
  for (let i = 0; i < args.length; i++) {
    const m = args[i].match(new RegExp(`^--?${name}(?:=(-?\\d+))?$`));
    if (m) return Number(m[1] ?? args[i + 1]);
  }
  return fallback;
}

const TERMINATED = 'Shutting down after receiving signal: terminated.';

function program(ctx: ProgramContext) {
  const [sub = 'pause', ...rest] = ctx.args;
  const t = ctx.now;
  const startup: ['stdout' | 'stderr', string][] = [];
  let exitCode = 0;
  switch (sub) {
    case 'pause':
      startup.push(['stdout', 'Paused']);
      break;
    case 'netexec': {
      startup.push([
        'stderr',
        dq(`${klog(t, 'netexec.go:181')}Started HTTP server on port ${flag(rest, 'http-port', 8080)}`),
      ]);
      const udp = flag(rest, 'udp-port', 8081);
      if (udp > 0)
        startup.push(['stderr', dq(`${klog(t, 'netexec.go:188')}Started UDP server on port  ${udp}`)]);
      break;
    }
    case 'serve-hostname':
      startup.push(['stderr', dq(`${goLogTime(t)} Serving on port ${flag(rest, 'port', 9376)}.`)]);
      exitCode = 0;
      break;
    default:
      break;
  }
  return {
    script: idleScript({
      busybox: ctx.busybox,
      startup,
      onSignal: [{ signals: ['TERM', 'INT'], print: [['stdout', TERMINATED]], exitCode }],
    }),
  };
}

function listeners(argv: string[]): VirtualListener[] {
  const [, sub = 'pause', ...rest] = argv;
  const started = Date.now();
  const ok = (status: number) => () => ({ status });
  switch (sub) {
    case 'netexec': {
      const known = new Set([
        '/',
        '/hostname',
        '/echo',
        '/clientip',
        '/header',
        '/healthz',
        '/dial',
        '/shell',
        '/upload',
        '/redirect',
        '/exit',
        '/shutdown',
      ]);
      const out: VirtualListener[] = [
        {
          port: flag(rest, 'http-port', 8080),
          protocol: 'TCP',
          http: (req: HttpRequestInfo) => ({
            status: known.has(req.path) ? 200 : 404,
            log: { stream: 'stderr', line: `${klog(req.now, 'log.go:245')}${req.method} ${req.path}` },
          }),
        },
      ];
      const udp = flag(rest, 'udp-port', 8081);
      if (udp > 0) out.push({ port: udp, protocol: 'UDP' });
      return out;
    }
    case 'serve-hostname':
      return [{ port: flag(rest, 'port', 9376), protocol: 'TCP', http: ok(200) }];
    case 'liveness':
      // Healthy for ten seconds, then failing: the upstream liveness demo.
      return [
        { port: 8080, protocol: 'TCP', http: () => ({ status: Date.now() - started < 10_000 ? 200 : 500 }) },
      ];
    default:
      return [];
  }
}

export const agnhost: ImageDefinition = {
  repositories: ['registry.k8s.io/e2e-test-images/agnhost', 'k8s.gcr.io/e2e-test-images/agnhost'],
  sizeBytes: 51_378_117,
  entrypoint: ['/agnhost'],
  cmd: ['pause'],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'busybox' },
  programs: { '/agnhost': program, agnhost: program },
  listeners,
};
