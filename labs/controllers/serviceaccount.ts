/**
 * Per-namespace defaults every cluster has: the `default` ServiceAccount (serviceaccount
 * controller) and the `kube-root-ca.crt` ConfigMap (root-ca-cert-publisher), recreated if deleted
 * and put back if edited.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import { type Change, type Controller, isKind, kindOf, type WorkQueue } from './framework.ts';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount-controller';
  private readonly cp: ControlPlaneCore;
  private readonly caCert: () => string;

  constructor(cp: ControlPlaneCore, caCert: () => string) {
    this.cp = cp;
    this.caCert = caCert;
  }

  private get nsDef() {
    return kindOf(this.cp, '', 'namespaces');
  }

  resyncKeys(): Iterable<string> {
    const def = this.nsDef;
    return def ? [...this.cp.store.peek(def)].map((n) => n.metadata.name!) : [];
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, object, type } = change;
    if (isKind(def, '', 'namespaces')) {
      if (type !== 'DELETED' && !object.metadata.deletionTimestamp) queue.add(object.metadata.name!);
    } else if (isKind(def, '', 'serviceaccounts')) {
      if (type === 'DELETED' && object.metadata.name === 'default') queue.add(object.metadata.namespace!);
    } else if (isKind(def, '', 'configmaps')) {
      if (type !== 'ADDED' && object.metadata.name === ROOT_CA_CONFIGMAP)
        queue.add(object.metadata.namespace!);
    }
  }

  reconcile(namespace: string): void {
    const nsDef = this.nsDef;
    if (!nsDef) return;
    const ns = this.cp.store.tryGet(nsDef, undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    const store = this.cp.store;
    const saDef = kindOf(this.cp, '', 'serviceaccounts');
    if (saDef && !store.tryGet(saDef, namespace, 'default')) {
      this.tryCreate(() =>
        store.create(saDef, {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'default', namespace },
        }),
      );
    }
    const cmDef = kindOf(this.cp, '', 'configmaps');
    if (!cmDef) return;
    const data = { 'ca.crt': this.caCert() };
    const annotations = { 'kubernetes.io/description': DESCRIPTION };
    const cm = store.tryGet(cmDef, namespace, ROOT_CA_CONFIGMAP);
    if (!cm) {
      this.tryCreate(() =>
        store.create(cmDef, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations },
          data,
        }),
      );
    } else if (
      cm.data?.['ca.crt'] !== data['ca.crt'] ||
      Object.keys(cm.data ?? {}).length !== 1 ||
      cm.metadata.annotations?.['kubernetes.io/description'] !== DESCRIPTION
    ) {
      store.mutate(cmDef, namespace, ROOT_CA_CONFIGMAP, (o) => {
        o.data = data;
        o.metadata.annotations = { ...(o.metadata.annotations ?? {}), ...annotations };
      });
    }
  }

  private tryCreate(fn: () => unknown): void {
    try {
      fn();
    } catch (e) {
      // Raced with another writer, or the namespace started terminating: both are fine.
      if (
        e instanceof ApiError &&
        (e.reason === 'AlreadyExists' || e.reason === 'Forbidden' || e.reason === 'NotFound')
      )
        return;
      throw e;
    }
  }
}
