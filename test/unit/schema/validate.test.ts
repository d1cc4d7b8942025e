import { describe, expect, it } from 'vitest';
import { unknownFields, validateTypes } from '../../../labs/apiserver/schema/validate.ts';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

function deployment(container: Record<string, unknown>, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } },
      ...spec,
    },
  };
}

describe('unknownFields (fieldValidation=Strict|Warn)', () => {
  it('accepts a valid object, including fields promoted from embedded structs', () => {
    const obj = deployment({
      name: 'web',
      image: 'httpd',
      livenessProbe: { httpGet: { port: 80, path: '/' }, periodSeconds: 5 },
      env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a' } } }],
      resources: { limits: { cpu: '500m' } },
    });
    expect(unknownFields(obj, DEPLOYMENT)).toEqual([]);
  });

  it('reports paths with list indices, as the apiserver prints them', () => {
    const obj = deployment({
      name: 'web',
      imagee: 'httpd',
      ports: [{ containerPort: 80 }, { containerPortt: 81 }],
    });
    expect(unknownFields(obj, DEPLOYMENT)).toEqual([
      'spec.template.spec.containers[0].imagee',
      'spec.template.spec.containers[0].ports[1].containerPortt',
    ]);
  });

  it('reports misplaced fields where they are, in document order', () => {
    const obj = deployment({ name: 'web' }, { containers: [] });
    (obj.spec.template.metadata as Record<string, unknown>).volumes = [];
    expect(unknownFields(obj, DEPLOYMENT)).toEqual(['spec.template.metadata.volumes', 'spec.containers']);
  });

  it('finds nothing unknown in a kind the schema does not describe', () => {
    expect(unknownFields({ spec: { anything: 1 } }, 'com.example.v1.Widget')).toEqual([]);
    expect(validateTypes({ spec: 'x' }, 'com.example.v1.Widget')).toEqual([]);
  });

  it('matches field names case-sensitively', () => {
    expect(
      unknownFields({ apiVersion: 'v1', kind: 'ConfigMap', Data: {} }, 'io.k8s.api.core.v1.ConfigMap'),
    ).toEqual(['Data']);
  });

  it('joins map keys with a dot and does not look inside free-form values', () => {
    const obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', managedFields: [{ manager: 'm', fieldsV1: { 'f:anything': {} } }] },
      spec: { containers: [{ name: 'c', resources: { limits: { cpu: 1 } } }], overhead: { cpu: '1' } },
    };
    expect(unknownFields(obj, 'io.k8s.api.core.v1.Pod')).toEqual([]);
    const sar = {
      spec: { extra: { scopes: ['a'] }, resourceAttributes: { verb: 'get', verbb: 'x' } },
    };
    expect(unknownFields(sar, 'io.k8s.api.authorization.v1.SubjectAccessReview')).toEqual([
      'spec.resourceAttributes.verbb',
    ]);
  });
});

describe('validateTypes (JSON decoding errors)', () => {
  it('accepts a well-typed object, quantities as strings or numbers, int-or-string either way', () => {
    const obj = deployment({
      name: 'web',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      readinessProbe: { tcpSocket: { port: 'http' } },
      resources: { limits: { cpu: 1, memory: '128Mi' } },
    });
    expect(validateTypes(obj, DEPLOYMENT)).toEqual([]);
  });

  it('names the Go struct, the field path without indices, and the Go type', () => {
    const obj = deployment({ name: 'web', ports: [{ containerPort: '80' }] });
    expect(validateTypes(obj, DEPLOYMENT)).toEqual([
      'json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32',
    ]);
  });

  it('reports map values with the element type and the map path', () => {
    const obj = deployment(
      { name: 'web', env: [{ name: 'PORT', value: 8080 }] },
      { selector: { matchLabels: { app: 1 } } },
    );
    expect(validateTypes(obj, DEPLOYMENT)).toEqual([
      'json: cannot unmarshal number into Go struct field LabelSelector.spec.selector.matchLabels of type string',
      'json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string',
    ]);
  });

  it('names Go named types and the structs fields are promoted through', () => {
    const obj = deployment({
      name: 'web',
      imagePullPolicy: 3,
      livenessProbe: { httpGet: { port: true } },
      env: [{ name: 'A', valueFrom: { secretKeyRef: { name: [] } } }],
    });
    expect(validateTypes(obj, DEPLOYMENT)).toEqual([
      'json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.imagePullPolicy of type v1.PullPolicy',
      'json: cannot unmarshal bool into Go struct field HTTPGetAction.spec.template.spec.containers.livenessProbe.ProbeHandler.httpGet.port of type int32',
      'json: cannot unmarshal array into Go struct field SecretKeySelector.spec.template.spec.containers.env.valueFrom.secretKeyRef.LocalObjectReference.name of type string',
    ]);
  });

  it('reports objects, lists and numbers of the wrong shape', () => {
    const obj = deployment(
      { name: 'web' },
      { replicas: 1.5, strategy: 'Recreate', template: { spec: { containers: {} } } },
    );
    expect(validateTypes(obj, DEPLOYMENT)).toEqual([
      'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
      // document order: the spread keeps template where the base object had it
      'json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container',
      'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.strategy of type v1.DeploymentStrategy',
    ]);
  });

  it('passes quantity, time and base64 errors through as their parsers word them', () => {
    expect(
      validateTypes(deployment({ name: 'web', resources: { limits: { cpu: 'lots' } } }), DEPLOYMENT),
    ).toEqual([
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ]);
    expect(validateTypes({ metadata: { creationTimestamp: 5 } }, 'io.k8s.api.core.v1.ConfigMap')).toEqual([
      'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string',
    ]);
    expect(validateTypes({ data: { k: 'no!' } }, 'io.k8s.api.core.v1.Secret')).toEqual([
      'illegal base64 data at input byte 2',
    ]);
    expect(validateTypes({ data: { k: 'dg==' } }, 'io.k8s.api.core.v1.Secret')).toEqual([]);
  });

  it('lets null stand for any value, as Go leaves the zero value', () => {
    expect(
      validateTypes(deployment({ name: 'web' }, { replicas: null, strategy: null }), DEPLOYMENT),
    ).toEqual([]);
  });

  it('rejects a body that is not an object', () => {
    expect(validateTypes([], DEPLOYMENT)).toEqual([
      'json: cannot unmarshal array into Go value of type v1.Deployment',
    ]);
  });
});
