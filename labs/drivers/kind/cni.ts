/**
 * The CNI plugins a kind lab's nodes get at /opt/cni/bin. They come from this host - nothing is
 * downloaded: Debian and Ubuntu ship them in `containernetworking-plugins` (/usr/lib/cni), other
 * set-ups keep them in /opt/cni/bin; SVC_LABS_CNI_BIN names another directory. Each lab gets its
 * own copy (flannel's init container writes its `flannel` binary into it from every node).
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** The plugins kind's image ships (which the mount hides) plus `bridge`, which flannel delegates to. */
export const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap', 'ptp'] as const;

export const CNI_SEARCH_DIRS = ['/opt/cni/bin', '/usr/lib/cni', '/usr/libexec/cni'];

export const CNI_FIX =
  'apt-get install containernetworking-plugins (Debian/Ubuntu: /usr/lib/cni), or set SVC_LABS_CNI_BIN to a directory holding the CNI plugins (bridge, host-local, loopback, portmap, ptp)';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface CniSource {
  /** The first directory holding every plugin, if any. */
  dir?: string;
  /** For each searched directory, the plugins it lacks. */
  searched: { dir: string; missing: string[] }[];
}

export function findCniSource(env: NodeJS.ProcessEnv = process.env): CniSource {
  const dirs = env.SVC_LABS_CNI_BIN ? [env.SVC_LABS_CNI_BIN] : CNI_SEARCH_DIRS;
  const searched = dirs.map((dir) => ({
    dir,
    missing: CNI_PLUGINS.filter((p) => !executable(join(dir, p))),
  }));
  return { dir: searched.find((s) => s.missing.length === 0)?.dir, searched };
}
