/**
 * The `process` driver: a real control plane that the real kubectl drives, with three (or however
 * many the environment has) kubelets whose pods are host processes. No network namespaces, no
 * node agents: for developing and testing labctl, the daemon and the web UI without root.
 *
 * Build steps, in order: certificates, control plane, the nodes' kubelets (concurrently), the API
 * server on 127.0.0.1 with a kubeconfig in the lab's directory, nodes Ready.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane } from '../../controlplane/controlplane.ts';
import { findBusybox, hostWhich } from '../../runtime/images/index.ts';
import type { Kubelet } from '../../runtime/kubelet.ts';
import { reapOrphanContainers } from '../../runtime/process-tree.ts';
import { clusterConfig, serialisedCert, servingNames } from '../cluster.ts';
import type { ProgressSink } from '../driver.ts';
import type { Availability, GcReport, LabDriver, LabSpec } from '../lab-driver.ts';
import { ProcessLab } from './lab.ts';
import { startKubelet, stopKubelet, waitNodesReady } from './nodes.ts';

export class ProcessDriver implements LabDriver {
  readonly name = 'process' as const;
  readonly summary = 'control plane and kubelets as host processes, no networking (development and tests)';

  async available(): Promise<Availability> {
    if (!findBusybox())
      return {
        ok: false,
        reason: 'pods of the process runtime run busybox applets',
        fix: 'apt-get install busybox',
      };
    if (!hostWhich('openssl'))
      return {
        ok: false,
        reason: 'lab apiservers serve TLS made with openssl',
        fix: 'apt-get install openssl',
      };
    return { ok: true };
  }

  async create(spec: LabSpec, progress: ProgressSink): Promise<ProcessLab> {
    const t = spec.topology;
    const total = 4 + t.nodes.length;
    let done = 0;
    const step = async <T>(id: string, title: string, fn: () => Promise<T>): Promise<T> => {
      spec.signal.throwIfAborted();
      progress({ step: id, title, done, total, state: 'running' });
      try {
        const value = await fn();
        done++;
        progress({ step: id, title, done, total, state: 'done' });
        return value;
      } catch (e) {
        progress({ step: id, title, done, total, state: 'failed' });
        throw e;
      }
    };

    let cp: ControlPlane | undefined;
    const kubelets = new Map<string, Kubelet>();
    try {
      const tls = await step('pki', 'Certificates', () =>
        serialisedCert(join(spec.stateDir, 'pki'), servingNames(t)),
      );
      const plane = await step('control-plane', 'Control plane and controllers', async () => {
        const made = new ControlPlane({ config: clusterConfig(spec.name, t), tls });
        cp = made;
        made.start();
        return made;
      });
      await Promise.all(
        t.nodes.map((node) =>
          step(`node:${node.name}`, `Node ${node.name} (${node.role})`, async () => {
            const kubelet = await startKubelet(plane, t, node);
            kubelets.set(node.name, kubelet);
          }),
        ),
      );
      const kubeconfigPath = join(spec.dir, 'kubeconfig');
      await step('apiserver', 'API server and kubeconfig', async () => {
        const port = await plane.listen('127.0.0.1', 0);
        writeFileSync(kubeconfigPath, plane.kubeconfig(`https://127.0.0.1:${port}`), { mode: 0o600 });
      });
      await step('nodes-ready', 'Nodes Ready', () =>
        waitNodesReady(
          plane,
          t.nodes.map((n) => n.name),
          spec.signal,
        ),
      );
      return new ProcessLab({ spec, cp: plane, kubelets, kubeconfigPath });
    } catch (e) {
      // Undo in reverse: kubelets (and their containers), then the control plane and its listeners.
      const plane = cp;
      if (plane) await Promise.allSettled([...kubelets].map(([name, k]) => stopKubelet(plane, name, k)));
      await cp?.stop();
      throw e;
    }
  }

  async gc(_stateDir: string): Promise<GcReport> {
    // Containers carry a parent-death signal, so this only finds the ones that outlived it
    // (setpriv missing, or a process that left its container's session).
    const reaped = reapOrphanContainers();
    return { removed: reaped ? [`${reaped} container(s) of dead lab daemons`] : [], kept: [], errors: [] };
  }
}
