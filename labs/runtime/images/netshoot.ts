/**
 * nicolaka/netshoot: the network debugging image (bash, curl, dig, ip, ping, tcpdump, iptables ...),
 * here the host's own tools. Its default shell is zsh; hosts without zsh get bash instead.
 */
import type { ImageDefinition } from './catalog.ts';
import { hostWhich } from './toolbox.ts';

export const netshoot: ImageDefinition = {
  repositories: ['docker.io/nicolaka/netshoot'],
  sizeBytes: 211_486_520,
  entrypoint: [],
  cmd: ['zsh'],
  env: {},
  workingDir: '/root',
  toolbox: { kind: 'host' },
  programs: {
    zsh: (ctx) => ({ exec: hostWhich('zsh') ?? hostWhich('bash') ?? ctx.busybox, args: ctx.args }),
  },
};
