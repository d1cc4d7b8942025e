/**
 * What `labctl doctor` says about the kind driver for each state of a machine, and which
 * findings block a build.
 */
import { describe, expect, it } from 'vitest';
import { availabilityOf, evaluateKind, type KindProbe } from '../../../labs/drivers/kind/prereqs.ts';

const READY: KindProbe = {
  dockerClient: '28.2.2',
  dockerServer: { version: '28.2.2' },
  kind: 'kind v0.30.0 go1.24.6 linux/amd64',
  kubectl: 'v1.32.4',
  brNetfilter: true,
  inotify: { max_user_watches: 524288, max_user_instances: 512 },
  cni: { dir: '/usr/lib/cni', searched: [{ dir: '/usr/lib/cni', missing: [] }] },
};

function finding(p: KindProbe, item: string) {
  return evaluateKind(p).find((f) => f.item === item);
}

describe('kind prerequisites', () => {
  it('a machine with everything is ready', () => {
    const all = evaluateKind(READY);
    expect(all.every((f) => f.level === 'ok')).toBe(true);
    expect(availabilityOf(all)).toEqual({ ok: true });
  });

  it('a Docker daemon that does not answer is named with Docker’s own words and how to start it', () => {
    const p = {
      ...READY,
      dockerServer: {
        error:
          'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      },
    };
    const f = finding(p, 'docker daemon');
    expect(f?.level).toBe('fail');
    expect(f?.detail).toBe(
      'not reachable: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    );
    expect(f?.fix).toContain('systemctl start docker');
    const a = availabilityOf(evaluateKind(p));
    expect(a.ok).toBe(false);
    expect(a.reason).toContain('docker daemon: not reachable');
  });

  it('a socket the user may not open says to join the docker group', () => {
    const p = {
      ...READY,
      dockerServer: { error: 'permission denied while trying to connect to the Docker daemon socket' },
    };
    expect(finding(p, 'docker daemon')?.fix).toContain('usermod -aG docker');
  });

  it('Docker before 28 cannot pick the default route', () => {
    const f = finding({ ...READY, dockerServer: { version: '27.5.1' } }, 'docker daemon');
    expect(f?.level).toBe('fail');
    expect(f?.detail).toContain('--gw-priority');
  });

  it('no docker CLI at all', () => {
    const all = evaluateKind({
      ...READY,
      dockerClient: undefined,
      dockerServer: { error: 'docker: command not found' },
    });
    expect(all.find((f) => f.item === 'docker')?.level).toBe('fail');
    expect(all.find((f) => f.item === 'docker')?.fix).toContain('docs.docker.com/engine/install');
    expect(all.some((f) => f.item === 'docker daemon')).toBe(false);
  });

  it('kind missing fails; an older kind only warns', () => {
    expect(finding({ ...READY, kind: undefined }, 'kind')?.fix).toContain('sigs.k8s.io/kind@v0.30.0');
    expect(finding({ ...READY, kind: undefined }, 'kind')?.level).toBe('fail');
    expect(finding({ ...READY, kind: 'kind v0.27.0 go1.23 linux/amd64' }, 'kind')?.level).toBe('warn');
  });

  it('kubectl missing fails; one too far from the cluster warns', () => {
    expect(finding({ ...READY, kubectl: undefined }, 'kubectl')?.level).toBe('fail');
    expect(finding({ ...READY, kubectl: 'v1.28.0' }, 'kubectl')?.level).toBe('warn');
    expect(finding({ ...READY, kubectl: 'v1.33.1' }, 'kubectl')?.level).toBe('ok');
  });

  it('br_netfilter missing blocks (flanneld exits without it) and says how to load it for good', () => {
    const f = finding({ ...READY, brNetfilter: false }, 'br_netfilter');
    expect(f?.level).toBe('fail');
    expect(f?.fix).toContain('modprobe br_netfilter');
    expect(f?.fix).toContain('/etc/modules-load.d/');
  });

  it('low inotify limits warn with kind’s numbers', () => {
    const all = evaluateKind({ ...READY, inotify: { max_user_watches: 8192, max_user_instances: 128 } });
    const w = all.find((f) => f.item === 'inotify max_user_watches');
    expect(w?.level).toBe('warn');
    expect(w?.fix).toContain('fs.inotify.max_user_watches=524288');
    expect(all.find((f) => f.item === 'inotify max_user_instances')?.fix).toContain('=512');
    expect(availabilityOf(all).ok).toBe(true);
  });

  it('no CNI plugins anywhere names the directories looked in and the package', () => {
    const f = finding(
      {
        ...READY,
        cni: {
          searched: [
            { dir: '/opt/cni/bin', missing: ['bridge'] },
            { dir: '/usr/lib/cni', missing: ['bridge', 'ptp'] },
          ],
        },
      },
      'CNI plugins',
    );
    expect(f?.level).toBe('fail');
    expect(f?.detail).toContain('/opt/cni/bin (no bridge) and /usr/lib/cni (no bridge, ptp)');
    expect(f?.fix).toContain('containernetworking-plugins');
  });
});
