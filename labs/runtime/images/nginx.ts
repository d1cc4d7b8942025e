/**
 * nginx: /docker-entrypoint.sh reports its configuration steps on stdout, nginx its notices on
 * stderr; port 80 serves the welcome page with a combined-format access line per request. The
 * image stops on SIGQUIT (graceful, exit 0).
 */
import { release } from 'node:os';
import type { HttpRequestInfo, ImageDefinition, ProgramContext, ProgramRun } from './catalog.ts';
import { DEBIAN_SLIM_TOOLS } from './debian-base.ts';
import { clfTime, dq, goLogTime, idleScript, SH_GO_TIME } from './script.ts';

const VERSION = '1.27.4';
const WORKERS = [29, 30];

const ENTRYPOINT_LINES = [
  '/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration',
  '/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/',
  '/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh',
  '10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf',
  '10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf',
  '/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh',
  '/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh',
  '/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh',
  '/docker-entrypoint.sh: Configuration complete; ready for start up',
];

function nginxScript(ctx: ProgramContext, withEntrypoint: boolean): ProgramRun {
  const t = goLogTime(ctx.now);
  const notice = (pid: number, text: string) => `${t} [notice] ${pid}#${pid}: ${text}`;
  const startup: ['stdout' | 'stderr', string][] = [];
  if (withEntrypoint) for (const l of ENTRYPOINT_LINES) startup.push(['stdout', dq(l)]);
  for (const l of [
    'using the "epoll" event method',
    `nginx/${VERSION}`,
    'built by gcc 12.2.0 (Debian 12.2.0-14) ',
    `OS: Linux ${release()}`,
    'getrlimit(RLIMIT_NOFILE): 1048576:1048576',
    'start worker processes',
    ...WORKERS.map((w) => `start worker process ${w}`),
  ]) {
    startup.push(['stderr', dq(notice(1, l))]);
  }
  const later = (pid: number, text: string): ['stderr', string] => [
    'stderr',
    `${SH_GO_TIME} [notice] ${pid}#${pid}: ${dq(text)}`,
  ];
  return {
    script: idleScript({
      busybox: ctx.busybox,
      startup,
      onSignal: [
        {
          signals: ['QUIT'],
          print: [
            later(1, 'signal 3 (SIGQUIT) received, shutting down'),
            ...WORKERS.flatMap((w) => [
              later(w, 'gracefully shutting down'),
              later(w, 'exiting'),
              later(w, 'exit'),
            ]),
            ...WORKERS.flatMap((w) => [
              later(1, `signal 17 (SIGCHLD) received from ${w}`),
              later(1, `worker process ${w} exited with code 0`),
            ]),
            later(1, 'exit'),
          ],
          exitCode: 0,
        },
        {
          signals: ['TERM', 'INT'],
          print: [
            later(1, 'signal 15 (SIGTERM) received, exiting'),
            ...WORKERS.map((w) => later(w, 'exiting')),
            later(1, 'exit'),
          ],
          exitCode: 0,
        },
      ],
    }),
  };
}

function entrypoint(ctx: ProgramContext): ProgramRun {
  const [cmd] = ctx.args;
  if (cmd === 'nginx' || cmd === 'nginx-debug') return nginxScript(ctx, true);
  return { argv: ctx.args };
}

const PAGES: Record<string, number> = { '/': 615, '/index.html': 615, '/50x.html': 497 };

function serve(req: HttpRequestInfo) {
  const bytes = PAGES[req.path];
  const status = bytes ? 200 : 404;
  const line = `${req.clientIP} - - [${clfTime(req.now)}] "${req.method} ${req.path} HTTP/1.1" ${status} ${bytes ?? 153} "-" "${req.userAgent}" "-"`;
  return { status, log: { stream: 'stdout' as const, line } };
}

export const nginx: ImageDefinition = {
  repositories: ['docker.io/library/nginx'],
  sizeBytes: 72_195_292,
  entrypoint: ['/docker-entrypoint.sh'],
  cmd: ['nginx', '-g', 'daemon off;'],
  env: {
    NGINX_VERSION: VERSION,
    NJS_VERSION: '0.8.9',
    NJS_RELEASE: '1~bookworm',
    PKG_RELEASE: '1~bookworm',
    DYNPKG_RELEASE: '1~bookworm',
  },
  workingDir: '/',
  toolbox: { kind: 'host', only: [...DEBIAN_SLIM_TOOLS, 'curl'] },
  stopSignal: 'SIGQUIT',
  programs: {
    '/docker-entrypoint.sh': entrypoint,
    nginx: (ctx) => nginxScript(ctx, false),
    '/usr/sbin/nginx': (ctx) => nginxScript(ctx, false),
  },
  listeners: () => [{ port: 80, protocol: 'TCP', http: serve }],
};
