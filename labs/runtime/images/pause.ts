/** registry.k8s.io/pause: does nothing until SIGTERM/SIGINT, then exits 0. */
import type { ImageDefinition } from './catalog.ts';
import { idleScript } from './script.ts';

const pauseProgram = (ctx: { busybox: string }) => ({
  script: idleScript({
    busybox: ctx.busybox,
    onSignal: [
      { signals: ['TERM', 'INT'], print: [['stderr', 'Shutting down, got signal: Terminated']], exitCode: 0 },
    ],
  }),
});

export const pause: ImageDefinition = {
  repositories: ['registry.k8s.io/pause', 'k8s.gcr.io/pause'],
  sizeBytes: 320_368,
  entrypoint: ['/pause'],
  cmd: [],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'host', only: [] },
  programs: { '/pause': pauseProgram },
};
