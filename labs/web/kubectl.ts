/**
 * The real kubectl on this machine, pointed at a lab through the kubeconfig the daemon wrote (each
 * lab's apiserver is reachable from the host): the editor's "open a live object" and "Apply".
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

const TIMEOUT_MS = 20_000;

export function kubectl(kubeconfig: string, args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const cache = join(dirname(kubeconfig), 'web-kube-cache');
    const child = spawn('kubectl', args, {
      env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cache },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `kubectl could not run: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 124 : 1), stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const KIND = /^[A-Za-z][A-Za-z0-9.-]*$/;

/** Arguments for `kubectl get <kind> <name> [-n ns] -o yaml`, refusing anything that is not a name. */
export function getObjectArgs(kind: string, name: string, namespace?: string): string[] | string {
  if (!KIND.test(kind)) return `not a kind: "${kind}"`;
  if (!NAME.test(name) || name.length > 253) return `not an object name: "${name}"`;
  if (namespace !== undefined && namespace !== '' && !NAME.test(namespace))
    return `not a namespace: "${namespace}"`;
  return ['get', kind, name, ...(namespace ? ['-n', namespace] : []), '-o', 'yaml'];
}
