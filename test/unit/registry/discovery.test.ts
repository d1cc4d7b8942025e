import { describe, expect, it } from 'vitest';
import { builtinKinds } from '../../../labs/registry/index.ts';
import { fieldsOf } from '../../../labs/store/store.ts';

const byResource = (group: string, resource: string) => {
  const def = builtinKinds().find((d) => d.info.group === group && d.info.resource === resource);
  if (!def) throw new Error(`missing ${resource}.${group}`);
  return def.info;
};

describe('discovery facts of the built-in kinds', () => {
  it('carries the short names kubectl users type', () => {
    const short = (group: string, resource: string) => byResource(group, resource).shortNames;
    expect(short('', 'pods')).toEqual(['po']);
    expect(short('', 'services')).toEqual(['svc']);
    expect(short('', 'endpoints')).toEqual(['ep']);
    expect(short('', 'namespaces')).toEqual(['ns']);
    expect(short('', 'nodes')).toEqual(['no']);
    expect(short('', 'configmaps')).toEqual(['cm']);
    expect(short('', 'serviceaccounts')).toEqual(['sa']);
    expect(short('', 'events')).toEqual(['ev']);
    expect(short('', 'persistentvolumeclaims')).toEqual(['pvc']);
    expect(short('', 'resourcequotas')).toEqual(['quota']);
    expect(short('', 'limitranges')).toEqual(['limits']);
    expect(short('', 'replicationcontrollers')).toEqual(['rc']);
    expect(short('apps', 'deployments')).toEqual(['deploy']);
    expect(short('apps', 'replicasets')).toEqual(['rs']);
    expect(short('apps', 'daemonsets')).toEqual(['ds']);
    expect(short('apps', 'statefulsets')).toEqual(['sts']);
    expect(short('batch', 'cronjobs')).toEqual(['cj']);
    expect(short('networking.k8s.io', 'ingresses')).toEqual(['ing']);
    expect(short('networking.k8s.io', 'networkpolicies')).toEqual(['netpol']);
    expect(short('policy', 'poddisruptionbudgets')).toEqual(['pdb']);
    expect(short('storage.k8s.io', 'storageclasses')).toEqual(['sc']);
    expect(short('apiextensions.k8s.io', 'customresourcedefinitions')).toEqual(['crd', 'crds']);
  });

  it('puts exactly the workload kinds in the `all` category', () => {
    const all = builtinKinds()
      .filter((d) => d.info.categories.includes('all'))
      .map((d) => `${d.info.resource}${d.info.group ? `.${d.info.group}` : ''}`)
      .sort();
    expect(all).toEqual([
      'cronjobs.batch',
      'daemonsets.apps',
      'deployments.apps',
      'horizontalpodautoscalers.autoscaling',
      'jobs.batch',
      'pods',
      'replicasets.apps',
      'replicationcontrollers',
      'services',
      'statefulsets.apps',
    ]);
  });

  it('serves the subresources kubectl uses', () => {
    expect(byResource('', 'pods').subresources).toEqual(
      expect.arrayContaining([
        'log',
        'exec',
        'attach',
        'status',
        'binding',
        'eviction',
        'portforward',
        'ephemeralcontainers',
      ]),
    );
    expect(byResource('apps', 'deployments').subresources).toEqual(['scale', 'status']);
    expect(byResource('', 'namespaces').subresources).toEqual(['finalize', 'status']);
    expect(byResource('', 'namespaces').verbs).not.toContain('deletecollection');
    expect(byResource('authorization.k8s.io', 'selfsubjectaccessreviews').verbs).toEqual(['create']);
  });

  it('registers every resource once, with singular names and list kinds', () => {
    const keys = builtinKinds().map((d) => `${d.info.group}/${d.info.version}/${d.info.resource}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(byResource('', 'endpoints').singular).toBe('endpoints');
    expect(byResource('apps', 'deployments').listKind).toBe('DeploymentList');
    expect(byResource('', 'nodes').namespaced).toBe(false);
  });

  it('declares every field selector name on an empty object, as the store checks them', () => {
    const pods = builtinKinds().find((d) => d.info.resource === 'pods')!;
    const fields = Object.keys(fieldsOf(pods, { apiVersion: '', kind: 'Pod', metadata: {} }));
    expect(fields).toEqual(
      expect.arrayContaining([
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'spec.hostNetwork',
        'status.phase',
        'status.podIP',
        'status.nominatedNodeName',
      ]),
    );
    for (const def of builtinKinds()) {
      expect(() => fieldsOf(def, { apiVersion: '', kind: def.info.kind, metadata: {} })).not.toThrow();
    }
  });
});
