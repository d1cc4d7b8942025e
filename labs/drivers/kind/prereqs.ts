/**
 * What the kind driver needs on this machine, for `labctl doctor` and before every build.
 *
 * `probeKind()` asks the machine (real commands and /proc reads); `evaluateKind()` turns the answers
 * into findings that say exactly what is missing and how to get it. Blocking: the docker CLI, a
 * reachable Docker daemon of version 28 or newer (`docker network connect --gw-priority`), kind,
 * kubectl, br_netfilter on the Docker host (flanneld exits without
 * /proc/sys/net/bridge/bridge-nf-call-iptables) and the CNI plugins. Warnings: inotify limits below
 * what kind's known-issues page asks for, a kind older than the node image's, kubectl outside the
 * cluster's version skew.
 */
import { readFileSync } from 'node:fs';
import type { Availability } from '../lab-driver.ts';
import { CNI_FIX, CNI_PLUGINS, type CniSource, findCniSource } from './cni.ts';
import { runArgv } from './runner.ts';
import { DOCKER_MIN_VERSION, KIND_VERSION, KUBERNETES_VERSION } from './versions.ts';

/** kind's documented values for multi-node clusters ("Pod errors due to too many open files"). */
export const INOTIFY_MIN = { max_user_watches: 524288, max_user_instances: 512 } as const;

export interface KindProbe {
  /** `docker version --format {{.Client.Version}}`, undefined when the CLI is missing. */
  dockerClient?: string;
  /** `docker info`: the server version when the daemon answers, else its error. */
  dockerServer: { version?: string; error?: string };
  /** First line of `kind version`, undefined when missing. */
  kind?: string;
  /** kubectl's client gitVersion, undefined when missing. */
  kubectl?: string;
  brNetfilter: boolean;
  inotify: { max_user_watches?: number; max_user_instances?: number };
  cni: CniSource;
}

export type Level = 'ok' | 'warn' | 'fail';

export interface KindFinding {
  item: string;
  level: Level;
  detail: string;
  fix?: string;
}

function version(text: string | undefined): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function atLeast(have: [number, number, number], want: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i];
  return true;
}

const DOCKER_INSTALL = 'install Docker Engine 28 or newer (https://docs.docker.com/engine/install/)';

export function evaluateKind(p: KindProbe): KindFinding[] {
  const out: KindFinding[] = [];
  const minDocker = version(DOCKER_MIN_VERSION) as [number, number, number];
  if (!p.dockerClient)
    out.push({ item: 'docker', level: 'fail', detail: 'missing: the docker CLI', fix: DOCKER_INSTALL });
  else {
    const v = version(p.dockerClient);
    out.push(
      v && atLeast(v, minDocker)
        ? { item: 'docker', level: 'ok', detail: `client ${p.dockerClient}` }
        : {
            item: 'docker',
            level: 'fail',
            detail: `client ${p.dockerClient} is older than ${DOCKER_MIN_VERSION} (no --gw-priority)`,
            fix: DOCKER_INSTALL,
          },
    );
  }
  if (p.dockerClient) {
    const err = p.dockerServer.error?.trim().split('\n')[0];
    if (!p.dockerServer.version)
      out.push({
        item: 'docker daemon',
        level: 'fail',
        detail: `not reachable: ${err || 'docker info failed'}`,
        fix: /permission denied/i.test(err ?? '')
          ? 'add yourself to the docker group (sudo usermod -aG docker $USER, then log in again)'
          : 'start the Docker daemon (sudo systemctl start docker), or point DOCKER_HOST at one',
      });
    else {
      const v = version(p.dockerServer.version);
      out.push(
        v && atLeast(v, minDocker)
          ? { item: 'docker daemon', level: 'ok', detail: `Docker Engine ${p.dockerServer.version}` }
          : {
              item: 'docker daemon',
              level: 'fail',
              detail: `Docker Engine ${p.dockerServer.version} is older than ${DOCKER_MIN_VERSION}: it cannot choose the default route (--gw-priority)`,
              fix: DOCKER_INSTALL,
            },
      );
    }
  }
  const kindFix = `install kind ${KIND_VERSION} (go install sigs.k8s.io/kind@${KIND_VERSION}, or the release binary from https://kind.sigs.k8s.io/docs/user/quick-start/#installation)`;
  if (!p.kind) out.push({ item: 'kind', level: 'fail', detail: 'missing: builds the cluster', fix: kindFix });
  else {
    const v = version(p.kind);
    const want = version(KIND_VERSION) as [number, number, number];
    out.push(
      v && atLeast(v, want)
        ? { item: 'kind', level: 'ok', detail: p.kind }
        : {
            item: 'kind',
            level: 'warn',
            detail: `${p.kind}: the node image is built for kind ${KIND_VERSION}; older kind may not boot it`,
            fix: kindFix,
          },
    );
  }
  if (!p.kubectl)
    out.push({
      item: 'kubectl',
      level: 'fail',
      detail: 'missing: the driver and learners use the real kubectl',
      fix: 'install kubectl 1.32 (https://kubernetes.io/docs/tasks/tools/)',
    });
  else {
    const v = version(p.kubectl);
    const k = version(KUBERNETES_VERSION) as [number, number, number];
    const skew = v ? Math.abs(v[1] - k[1]) : 99;
    out.push(
      v && v[0] === k[0] && skew <= 1
        ? { item: 'kubectl', level: 'ok', detail: p.kubectl }
        : {
            item: 'kubectl',
            level: 'warn',
            detail: `${p.kubectl}: the cluster runs ${KUBERNETES_VERSION}; kubectl supports one minor version either way`,
            fix: 'install kubectl 1.32 (https://kubernetes.io/docs/tasks/tools/)',
          },
    );
  }
  out.push(
    p.brNetfilter
      ? { item: 'br_netfilter', level: 'ok', detail: '/proc/sys/net/bridge/bridge-nf-call-iptables present' }
      : {
          item: 'br_netfilter',
          level: 'fail',
          detail:
            'not loaded on the Docker host (no /proc/sys/net/bridge/bridge-nf-call-iptables): flanneld exits without it',
          fix: 'sudo modprobe br_netfilter; to keep it: echo br_netfilter | sudo tee /etc/modules-load.d/br_netfilter.conf',
        },
  );
  for (const key of ['max_user_watches', 'max_user_instances'] as const) {
    const have = p.inotify[key];
    const want = INOTIFY_MIN[key];
    out.push(
      have !== undefined && have >= want
        ? { item: `inotify ${key}`, level: 'ok', detail: `fs.inotify.${key} = ${have}` }
        : {
            item: `inotify ${key}`,
            level: 'warn',
            detail: `fs.inotify.${key} = ${have ?? 'unknown'}, kind asks for ${want} (pods fail with "too many open files")`,
            fix: `sudo sysctl fs.inotify.${key}=${want}; to keep it: echo fs.inotify.${key} = ${want} | sudo tee /etc/sysctl.d/99-kind.conf`,
          },
    );
  }
  out.push(
    p.cni.dir
      ? { item: 'CNI plugins', level: 'ok', detail: `${p.cni.dir} (${CNI_PLUGINS.join(', ')})` }
      : {
          item: 'CNI plugins',
          level: 'fail',
          detail: `missing: kind's node image has no bridge plugin for flannel; looked in ${p.cni.searched
            .map((s) => `${s.dir} (no ${s.missing.join(', ')})`)
            .join(' and ')}`,
          fix: CNI_FIX,
        },
  );
  return out;
}

/** Ready when nothing fails; the reason names every failing item, the fix says what to do. */
export function availabilityOf(findings: KindFinding[]): Availability {
  const failed = findings.filter((f) => f.level === 'fail');
  if (failed.length === 0) return { ok: true };
  return {
    ok: false,
    reason: failed.map((f) => `${f.item}: ${f.detail}`).join('; '),
    fix: failed
      .map((f) => f.fix)
      .filter((f): f is string => !!f)
      .join('; '),
  };
}

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

export async function probeKind(): Promise<KindProbe> {
  const [client, info, kind, kubectl] = await Promise.all([
    runArgv(['docker', 'version', '--format', '{{.Client.Version}}'], { timeoutMs: 15_000 }),
    runArgv(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 }),
    runArgv(['kind', 'version'], { timeoutMs: 15_000 }),
    runArgv(['kubectl', 'version', '--client', '-o', 'json'], { timeoutMs: 15_000 }),
  ]);
  // `docker version` exits non-zero without a daemon but still prints the client's version.
  const clientVersion = client.code === 127 ? undefined : client.stdout.trim().split('\n')[0] || undefined;
  let kubectlVersion: string | undefined;
  try {
    kubectlVersion = kubectl.code === 0 ? JSON.parse(kubectl.stdout).clientVersion?.gitVersion : undefined;
  } catch {
    kubectlVersion = undefined;
  }
  const serverVersion = info.code === 0 ? info.stdout.trim() : '';
  return {
    dockerClient: clientVersion,
    dockerServer: serverVersion
      ? { version: serverVersion }
      : { error: (info.stderr || info.stdout).trim() || `docker info exited ${info.code}` },
    kind: kind.code === 0 ? kind.stdout.trim().split('\n')[0] : undefined,
    kubectl: kubectlVersion,
    brNetfilter: exists('/proc/sys/net/bridge/bridge-nf-call-iptables'),
    inotify: {
      max_user_watches: readNumber('/proc/sys/fs/inotify/max_user_watches'),
      max_user_instances: readNumber('/proc/sys/fs/inotify/max_user_instances'),
    },
    cni: findCniSource(),
  };
}

export async function kindAvailability(): Promise<Availability> {
  return availabilityOf(evaluateKind(await probeKind()));
}
