import { describe, expect, it } from 'vitest';
import { nowTimestamp } from '../../../labs/kube/object.ts';
import { errorOf, newLab, obj, T0 } from './lab.ts';

describe('Endpoints', () => {
  it('prints three addresses and counts the rest, as kubectl get ep does', () => {
    const lab = newLab();
    const def = lab.kind('', 'endpoints');
    const ep = lab.store.create(
      def,
      obj('v1', 'Endpoints', 'hostnames', {
        subsets: [
          {
            addresses: ['10.244.2.3', '10.244.1.2', '10.244.1.9', '10.244.3.4', '10.244.2.8'].map((ip) => ({
              ip,
            })),
            ports: [{ port: 9376 }],
          },
        ],
      }),
    );
    expect(lab.headers(def)).toEqual(['NAME', 'ENDPOINTS', 'AGE']);
    expect(lab.row(def, ep)).toEqual([
      'hostnames',
      '10.244.1.2:9376,10.244.1.9:9376,10.244.2.3:9376 + 2 more...',
      '0s',
    ]);
    expect(ep.subsets[0].ports).toEqual([{ port: 9376, protocol: 'TCP' }]);
  });

  it('shows <none> without subsets', () => {
    const lab = newLab();
    const def = lab.kind('', 'endpoints');
    const ep = lab.store.create(def, obj('v1', 'Endpoints', 'empty'));
    expect(lab.row(def, ep)[1]).toBe('<none>');
  });

  it('requires IP addresses that are not loopback', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(
        lab.kind('', 'endpoints'),
        obj('v1', 'Endpoints', 'x', {
          subsets: [{ addresses: [{ ip: 'pod-a' }, { ip: '127.0.0.1' }], ports: [{ port: 80 }] }],
        }),
      ),
    );
    expect(e.message).toBe(
      'Endpoints "x" is invalid: [subsets[0].addresses[0].ip: Invalid value: "pod-a": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff), subsets[0].addresses[0].ip: Invalid value: "pod-a": must be a valid IP address, subsets[0].addresses[1].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)]',
    );
  });

  it('merges subsets with the same ports and sorts their addresses', () => {
    const lab = newLab();
    const ep = lab.store.create(
      lab.kind('', 'endpoints'),
      obj('v1', 'Endpoints', 'm', {
        subsets: [
          { addresses: [{ ip: '10.0.0.9' }], ports: [{ port: 80 }] },
          { addresses: [{ ip: '10.0.0.2' }], notReadyAddresses: [{ ip: '10.0.0.9' }], ports: [{ port: 80 }] },
        ],
      }),
    );
    expect(ep.subsets).toEqual([
      { addresses: [{ ip: '10.0.0.2' }, { ip: '10.0.0.9' }], ports: [{ port: 80, protocol: 'TCP' }] },
    ]);
  });
});

describe('EndpointSlice', () => {
  it('prints address type, ports and endpoints', () => {
    const lab = newLab();
    const def = lab.kind('discovery.k8s.io', 'endpointslices');
    const eps = lab.store.create(
      def,
      obj('discovery.k8s.io/v1', 'EndpointSlice', 'web-abcde', {
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.244.1.2'] }, { addresses: ['10.244.2.3'] }],
        ports: [{ port: 80 }],
      }),
    );
    expect(eps.ports).toEqual([{ name: '', port: 80, protocol: 'TCP' }]);
    expect(lab.headers(def)).toEqual(['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    expect(lab.row(def, eps)).toEqual(['web-abcde', 'IPv4', '80', '10.244.1.2,10.244.2.3', '0s']);
    const empty = lab.store.create(
      def,
      obj('discovery.k8s.io/v1', 'EndpointSlice', 'none', { addressType: 'IPv4' }),
    );
    expect(lab.row(def, empty).slice(2, 4)).toEqual(['<unset>', '<unset>']);
  });

  it('keeps addressType immutable and checks IPv4 addresses', () => {
    const lab = newLab();
    const def = lab.kind('discovery.k8s.io', 'endpointslices');
    const eps = lab.store.create(
      def,
      obj('discovery.k8s.io/v1', 'EndpointSlice', 's', { addressType: 'IPv4', endpoints: [] }),
    );
    expect(errorOf(() => lab.store.update(def, { ...eps, addressType: 'FQDN' })).message).toBe(
      'EndpointSlice.discovery.k8s.io "s" is invalid: addressType: Invalid value: "FQDN": field is immutable',
    );
    const bad = errorOf(() =>
      lab.store.create(
        def,
        obj('discovery.k8s.io/v1', 'EndpointSlice', 't', {
          addressType: 'IPv4',
          endpoints: [{ addresses: ['fe80::1'] }],
        }),
      ),
    );
    expect(bad.message).toBe(
      'EndpointSlice.discovery.k8s.io "t" is invalid: endpoints[0].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address',
    );
  });
});

describe('Node', () => {
  const node = (name: string, labels: Record<string, string>, ready: string, unschedulable = false) =>
    obj(
      'v1',
      'Node',
      name,
      {
        spec: unschedulable ? { unschedulable: true } : {},
        status: {
          conditions: [{ type: 'Ready', status: ready }],
          addresses: [
            { type: 'InternalIP', address: '192.168.56.11' },
            { type: 'Hostname', address: name },
          ],
          nodeInfo: {
            kubeletVersion: 'v1.32.4',
            osImage: 'Ubuntu 22.04.4 LTS',
            kernelVersion: '5.15.0-105-generic',
            containerRuntimeVersion: 'containerd://1.7.12',
          },
        },
      },
      { labels },
    );

  it('shows roles from node-role labels, Ready/NotReady and SchedulingDisabled', () => {
    const lab = newLab();
    const def = lab.kind('', 'nodes');
    const cp = lab.store.create(
      def,
      node('ubuntu01', { 'node-role.kubernetes.io/control-plane': '' }, 'True', true),
    );
    const worker = lab.store.create(def, node('ubuntu02', {}, 'False'));
    lab.advance(2 * 365 * 86400_000 + 30 * 86400_000);
    expect(lab.headers(def, true)).toEqual([
      'NAME',
      'STATUS',
      'ROLES',
      'AGE',
      'VERSION',
      'INTERNAL-IP',
      'EXTERNAL-IP',
      'OS-IMAGE',
      'KERNEL-VERSION',
      'CONTAINER-RUNTIME',
    ]);
    expect(lab.row(def, cp)).toEqual([
      'ubuntu01',
      'Ready,SchedulingDisabled',
      'control-plane',
      '2y30d',
      'v1.32.4',
      '192.168.56.11',
      '<none>',
      'Ubuntu 22.04.4 LTS',
      '5.15.0-105-generic',
      'containerd://1.7.12',
    ]);
    expect(lab.row(def, worker).slice(1, 3)).toEqual(['NotReady', '<none>']);
    expect(
      lab.store
        .list(def, undefined, { fieldSelector: 'spec.unschedulable=true' })
        .map((n) => n.metadata.name),
    ).toEqual(['ubuntu01']);
  });

  it('allows label, taint and unschedulable changes but not a new podCIDR', () => {
    const lab = newLab();
    const def = lab.kind('', 'nodes');
    const n = lab.store.create(def, {
      ...node('n1', {}, 'True'),
      spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] },
    });
    const cordoned = lab.store.update(def, {
      ...n,
      spec: { ...n.spec, unschedulable: true, taints: [{ key: 'k', effect: 'NoSchedule' }] },
    });
    expect(cordoned.spec.unschedulable).toBe(true);
    const e = errorOf(() =>
      lab.store.update(def, {
        ...cordoned,
        spec: { ...cordoned.spec, podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.9.0/24'] },
      }),
    );
    expect(e.message).toContain(
      'spec.podCIDR: Forbidden: node updates may not change podCIDR except from "" to valid',
    );
  });
});

describe('Namespace', () => {
  it('gets the kubernetes finalizer, phase Active and the metadata.name label', () => {
    const lab = newLab();
    const def = lab.kind('', 'namespaces');
    const ns = lab.store.create(def, obj('v1', 'Namespace', 'lab'));
    expect(ns.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(ns.status).toEqual({ phase: 'Active' });
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'lab' });
    expect(lab.row(def, ns)).toEqual(['lab', 'Active', '0s']);
    expect(lab.store.list(def, undefined, { fieldSelector: 'status.phase=Active' })).toHaveLength(2);
  });

  it('requires DNS-1123 label names', () => {
    const lab = newLab();
    const e = errorOf(() => lab.store.create(lab.kind('', 'namespaces'), obj('v1', 'Namespace', 'a.b')));
    expect(e.message).toBe(
      'Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": must not contain dots',
    );
  });
});

describe('ConfigMap and Secret', () => {
  it('counts data keys and freezes immutable payloads', () => {
    const lab = newLab();
    const def = lab.kind('', 'configmaps');
    const cm = lab.store.create(
      def,
      obj('v1', 'ConfigMap', 'cfg', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' }, immutable: true }),
    );
    expect(lab.row(def, cm)).toEqual(['cfg', 3, '0s']);
    expect(errorOf(() => lab.store.update(def, { ...cm, data: { a: '9' } })).message).toBe(
      'ConfigMap "cfg" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    );
  });

  it('checks keys', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(lab.kind('', 'configmaps'), obj('v1', 'ConfigMap', 'c', { data: { 'a b': 'x' } })),
    );
    expect(e.message).toBe(
      `ConfigMap "c" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    );
  });

  it('defaults type Opaque, merges stringData and refuses bad base64', () => {
    const lab = newLab();
    const def = lab.kind('', 'secrets');
    const s = lab.store.create(def, obj('v1', 'Secret', 'db', { stringData: { password: 'hunter2' } }));
    expect(s.type).toBe('Opaque');
    expect(s.data).toEqual({ password: 'aHVudGVyMg==' });
    expect(s.stringData).toBeUndefined();
    expect(lab.row(def, s)).toEqual(['db', 'Opaque', 1, '0s']);
    const e = errorOf(() =>
      lab.store.create(def, obj('v1', 'Secret', 'bad', { data: { password: 'hunter2' } })),
    );
    expect(e).toEqual({
      code: 400,
      reason: 'BadRequest',
      message: 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4',
    });
    expect(lab.store.list(def, 'default', { fieldSelector: 'type=Opaque' })).toHaveLength(1);
  });

  it('requires the keys of typed secrets', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(
        lab.kind('', 'secrets'),
        obj('v1', 'Secret', 'tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'AA==' } }),
      ),
    );
    expect(e.message).toBe('Secret "tls" is invalid: data[tls.key]: Required value');
  });
});

describe('Event', () => {
  it('prints LAST SEEN, TYPE, REASON, OBJECT and MESSAGE and is selectable by involved object', () => {
    const lab = newLab();
    const def = lab.kind('', 'events');
    const ev = lab.store.create(
      def,
      obj('v1', 'Event', 'web-1.17f0', {
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u-1' },
        reason: 'Scheduled',
        message: 'Successfully assigned default/web-1 to node-1 ',
        type: 'Normal',
        source: { component: 'default-scheduler' },
        firstTimestamp: nowTimestamp(T0 - 90_000),
        lastTimestamp: nowTimestamp(T0 - 30_000),
        count: 2,
      }),
    );
    expect(ev.reportingComponent).toBe('');
    expect(ev.eventTime).toBeNull();
    expect(lab.headers(def)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(lab.row(def, ev)).toEqual([
      '30s',
      'Normal',
      'Scheduled',
      'pod/web-1',
      '',
      'default-scheduler',
      'Successfully assigned default/web-1 to node-1',
      '90s',
      2,
      'web-1.17f0',
    ]);
    const found = lab.store.list(def, 'default', {
      fieldSelector: 'involvedObject.uid=u-1,involvedObject.name=web-1',
    });
    expect(found).toHaveLength(1);
  });

  it('refuses an event whose object lives in another namespace', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(
        lab.kind('', 'events'),
        obj('v1', 'Event', 'e', { involvedObject: { kind: 'Pod', namespace: 'kube-system', name: 'x' } }),
      ),
    );
    expect(e.message).toBe(
      'Event "e" is invalid: involvedObject.namespace: Invalid value: "kube-system": does not match event.namespace',
    );
  });
});

describe('Lease, ServiceAccount, RBAC', () => {
  it('prints the lease holder, service account secrets and role bindings', () => {
    const lab = newLab();
    const lease = lab.store.create(
      lab.kind('coordination.k8s.io', 'leases'),
      obj('coordination.k8s.io/v1', 'Lease', 'node-1', { spec: { holderIdentity: 'node-1' } }),
    );
    expect(lab.row(lab.kind('coordination.k8s.io', 'leases'), lease)).toEqual(['node-1', 'node-1', '0s']);
    const sa = lab.store.create(lab.kind('', 'serviceaccounts'), obj('v1', 'ServiceAccount', 'default'));
    expect(lab.row(lab.kind('', 'serviceaccounts'), sa)).toEqual(['default', 0, '0s']);
    const role = lab.kind('rbac.authorization.k8s.io', 'roles');
    const r = lab.store.create(
      role,
      obj('rbac.authorization.k8s.io/v1', 'Role', 'reader', {
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      }),
    );
    expect(lab.headers(role)).toEqual(['NAME', 'CREATED AT']);
    expect(lab.row(role, r)).toEqual(['reader', '2025-03-01T10:00:00Z']);
    const rbDef = lab.kind('rbac.authorization.k8s.io', 'rolebindings');
    const rb = lab.store.create(
      rbDef,
      obj('rbac.authorization.k8s.io/v1', 'RoleBinding', 'read', {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'default' }],
      }),
    );
    expect(lab.row(rbDef, rb)).toEqual(['read', 'Role/reader', '0s', '', '', 'default/default']);
    expect(
      errorOf(() => lab.store.update(rbDef, { ...rb, roleRef: { ...rb.roleRef, name: 'writer' } })).message,
    ).toContain('roleRef: Invalid value');
  });
});
