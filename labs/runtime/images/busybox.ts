/** busybox: `sh` by default; every applet (sleep, wget, nslookup, nc, ip ...) from the host's busybox. */
import type { ImageDefinition } from './catalog.ts';

export const busybox: ImageDefinition = {
  repositories: ['docker.io/library/busybox'],
  sizeBytes: 2_160_406,
  entrypoint: [],
  cmd: ['sh'],
  env: {},
  workingDir: '/',
  toolbox: { kind: 'busybox' },
};
