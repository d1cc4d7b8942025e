/**
 * A control plane with three process-runtime nodes, served over HTTPS on loopback, and the real
 * kubectl pointed at it through its own kubeconfig and discovery cache.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane } from '../../../labs/controlplane/controlplane.ts';
import { startProcessNodes } from '../../../labs/controlplane/process-nodes.ts';
import { ensureServingCert } from '../../../labs/controlplane/tls.ts';
import type { ClusterConfig } from '../../../labs/controlplane/types.ts';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestCluster {
  cp: ControlPlane;
  dir: string;
  kubeconfig: string;
  env: Record<string, string>;
  kubectl(
    args: string[],
    opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number },
  ): Promise<KubectlResult>;
  stop(): Promise<void>;
}

const TLS_DIR = join(tmpdir(), 'svcl-test-pki');

export async function startCluster(name = 'test'): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'svcl-kubectl-'));
  const config: ClusterConfig = {
    name,
    podCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/12',
    dnsIP: '10.96.0.10',
    clusterDomain: 'cluster.local',
    nodePortRange: [30000, 32767],
    kubernetesVersion: 'v1.32.4',
    apiservers: [{ nodeName: 'ubuntu01', ip: '192.168.56.11', port: 6443 }],
  };
  const tls = await ensureServingCert(TLS_DIR, [
    '127.0.0.1',
    'localhost',
    'kubernetes',
    '10.96.0.1',
    '192.168.56.11',
  ]);
  const cp = new ControlPlane({ config, tls });
  cp.start();
  const nodes = await startProcessNodes(cp, [
    { name: 'ubuntu01', ip: '192.168.56.11', controlPlane: true },
    { name: 'ubuntu02', ip: '192.168.56.12' },
    { name: 'ubuntu03', ip: '192.168.56.13' },
  ]);
  const port = await cp.listen('127.0.0.1', 0);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, cp.kubeconfig(`https://127.0.0.1:${port}`));
  const env = { KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir };
  return {
    cp,
    dir,
    kubeconfig,
    env,
    kubectl(args, opts = {}) {
      return new Promise((resolve) => {
        const child = execFile(
          'kubectl',
          args,
          {
            env: { ...process.env, ...env, ...opts.env },
            timeout: opts.timeoutMs ?? 30_000,
            maxBuffer: 16 * 1024 * 1024,
          },
          (error, stdout, stderr) => {
            const code = error ? (typeof (error as any).code === 'number' ? (error as any).code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
        if (opts.input !== undefined) child.stdin?.end(opts.input);
        else child.stdin?.end();
      });
    },
    async stop() {
      await nodes.stop();
      await cp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll until fn returns a truthy value (or throw with the last value seen). */
export async function eventually<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
  );
}
