/**
 * serve_hostname (seed 002's `hostnames` Deployment): answers its pod name on port 9376 and logs
 * each request; on SIGTERM it logs and keeps waiting for the pod's deletion (60 s), so the kubelet
 * ends it with SIGKILL after the grace period.
 */
import type { HttpRequestInfo, ImageDefinition, ProgramContext } from './catalog.ts';
import { dq, goLogTime, idleScript, SH_GO_TIME } from './script.ts';

function portOf(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const m = args[i].match(/^--?port(?:=(\d+))?$/);
    if (m) return Number(m[1] ?? args[i + 1]);
  }
  return 9376;
}

function program(ctx: ProgramContext) {
  return {
    script: idleScript({
      busybox: ctx.busybox,
      startup: [['stderr', dq(`${goLogTime(ctx.now)} Serving on port ${portOf(ctx.args)}.`)]],
      onSignal: [
        {
          signals: ['TERM'],
          print: [
            ['stderr', `${SH_GO_TIME} Shutting down after receiving signal: terminated.`],
            ['stderr', `${SH_GO_TIME} Awaiting pod deletion.`],
          ],
          thenSleep: 60,
          exitCode: 0,
        },
      ],
    }),
  };
}

function serve(req: HttpRequestInfo) {
  return {
    status: 200,
    log: {
      stream: 'stderr' as const,
      line: `${goLogTime(req.now)} HTTP request from ${req.clientIP}:${req.clientPort}`,
    },
  };
}

export const serveHostname: ImageDefinition = {
  repositories: [
    'k8s.gcr.io/serve_hostname',
    'registry.k8s.io/serve_hostname',
    'gcr.io/google_containers/serve_hostname',
  ],
  sizeBytes: 2_389_214,
  entrypoint: ['/serve_hostname'],
  cmd: [],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'host', only: [] },
  programs: { '/serve_hostname': program },
  listeners: (argv) => [{ port: portOf(argv.slice(1)), protocol: 'TCP', http: serve }],
};
