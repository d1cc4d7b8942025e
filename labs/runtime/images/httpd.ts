/**
 * httpd (Apache 2.4): logs its start-up to stderr, answers "It works!" on port 80 with an access
 * line per request on stdout, and stops gracefully on SIGWINCH (the image's STOPSIGNAL), exit 0.
 */
import type { HttpRequestInfo, ImageDefinition, ProgramContext } from './catalog.ts';
import { DEBIAN_SLIM_TOOLS } from './debian-base.ts';
import { apacheErrorTime, clfTime, dq, idleScript, SH_APACHE_TIME } from './script.ts';

const VERSION = '2.4.63';
const TID = '140251284461448';
/** Size of the stock htdocs/index.html (`<html><body><h1>It works!</h1></body></html>\n`). */
const INDEX_BYTES = 45;
const NOT_FOUND_BYTES = 196;

function foreground(ctx: ProgramContext) {
  const fqdn = `AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using ${ctx.podIP}. Set the 'ServerName' directive globally to suppress this message`;
  const t = ctx.now;
  const us = t.getUTCMilliseconds() * 1000 + 123;
  return {
    script: idleScript({
      busybox: ctx.busybox,
      startup: [
        ['stderr', dq(fqdn)],
        ['stderr', dq(fqdn)],
        [
          'stderr',
          dq(
            `[${apacheErrorTime(t, us)}] [mpm_event:notice] [pid 1:tid ${TID}] AH00489: Apache/${VERSION} (Unix) configured -- resuming normal operations`,
          ),
        ],
        [
          'stderr',
          dq(
            `[${apacheErrorTime(t, us + 317)}] [core:notice] [pid 1:tid ${TID}] AH00094: Command line: 'httpd -D FOREGROUND'`,
          ),
        ],
      ],
      onSignal: [
        {
          signals: ['WINCH'],
          print: [
            [
              'stderr',
              `[${SH_APACHE_TIME}] [mpm_event:notice] [pid 1:tid ${TID}] AH00492: caught SIGWINCH, shutting down gracefully`,
            ],
          ],
          exitCode: 0,
        },
        {
          signals: ['TERM'],
          print: [
            [
              'stderr',
              `[${SH_APACHE_TIME}] [mpm_event:notice] [pid 1:tid ${TID}] AH00491: caught SIGTERM, shutting down`,
            ],
          ],
          exitCode: 0,
        },
      ],
    }),
  };
}

function serve(req: HttpRequestInfo) {
  const ok = req.path === '/' || req.path === '/index.html';
  const status = ok ? 200 : 404;
  const line = `${req.clientIP} - - [${clfTime(req.now)}] "${req.method} ${req.path} HTTP/1.1" ${status} ${ok ? INDEX_BYTES : NOT_FOUND_BYTES}`;
  return { status, log: { stream: 'stdout' as const, line } };
}

export const httpd: ImageDefinition = {
  repositories: ['docker.io/library/httpd'],
  sizeBytes: 58_224_519,
  entrypoint: [],
  cmd: ['httpd-foreground'],
  env: { HTTPD_PREFIX: '/usr/local/apache2', HTTPD_VERSION: VERSION, HTTPD_PATCHES: '' },
  workingDir: '/usr/local/apache2',
  toolbox: { kind: 'host', only: DEBIAN_SLIM_TOOLS },
  stopSignal: 'SIGWINCH',
  programs: {
    'httpd-foreground': foreground,
    '/usr/local/bin/httpd-foreground': foreground,
    httpd: foreground,
    '/usr/local/apache2/bin/httpd': foreground,
  },
  listeners: () => [{ port: 80, protocol: 'TCP', http: serve }],
};
