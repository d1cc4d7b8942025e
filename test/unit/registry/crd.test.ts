import { describe, expect, it } from 'vitest';
import { kindForCustomResource } from '../../../labs/registry/index.ts';
import { errorOf, newLab, obj } from './lab.ts';

const crontabs = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'crontabs.stable.example.com', {
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      },
      { name: 'v1beta1', served: false, storage: false },
    ],
  },
});

describe('CustomResourceDefinition', () => {
  it('is stored with its defaulted names and stored version', () => {
    const lab = newLab();
    const crd = lab.store.create(lab.kind('apiextensions.k8s.io', 'customresourcedefinitions'), crontabs);
    expect(crd.spec.names.listKind).toBe('CronTabList');
    expect(crd.status.storedVersions).toEqual(['v1']);
  });

  it('must be named plural.group', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(lab.kind('apiextensions.k8s.io', 'customresourcedefinitions'), {
        ...crontabs,
        metadata: { name: 'crontabs' },
      }),
    );
    expect(e.message).toBe(
      'CustomResourceDefinition.apiextensions.k8s.io "crontabs" is invalid: metadata.name: Invalid value: "crontabs": must be spec.names.plural+"."+spec.group',
    );
  });

  it('serves each served version as a kind whose table follows additionalPrinterColumns', () => {
    const lab = newLab();
    const [def, ...rest] = kindForCustomResource(crontabs);
    expect(rest).toEqual([]);
    expect(def.info).toMatchObject({
      group: 'stable.example.com',
      version: 'v1',
      resource: 'crontabs',
      singular: 'crontab',
      kind: 'CronTab',
      listKind: 'CronTabList',
      namespaced: true,
      shortNames: ['ct'],
      subresources: ['status'],
    });
    lab.kinds.register(def);
    const ct = lab.store.create(
      def,
      obj('stable.example.com/v1', 'CronTab', 'nightly', {
        spec: { cronSpec: '0 3 * * *', replicas: 2 },
        status: { x: 1 },
      }),
    );
    expect(ct.status).toBeUndefined();
    lab.advance(600_000);
    const withStatus = { ...ct, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    expect(lab.headers(def)).toEqual(['NAME', 'SPEC', 'REPLICAS', 'READY', 'AGE']);
    expect(lab.row(def, withStatus)).toEqual(['nightly', '0 3 * * *', 2, 'True', '10m']);
    expect(lab.row(def, ct)).toEqual(['nightly', '0 3 * * *', 2, null, '10m']);
  });

  it('defaults to NAME and AGE without printer columns', () => {
    const lab = newLab();
    const plain = structuredClone(crontabs);
    delete plain.spec.versions[0].additionalPrinterColumns;
    const [def] = kindForCustomResource(plain);
    expect(lab.headers(def)).toEqual(['NAME', 'AGE']);
  });
});
