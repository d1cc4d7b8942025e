import { describe, expect, it } from 'vitest';
import { cidrContains } from '../../../labs/kube/ipnet.ts';
import { errorOf, newLab, obj } from './lab.ts';

const svc = (name: string, spec: Record<string, unknown>) => obj('v1', 'Service', name, { spec });

describe('Service defaults', () => {
  it('fills what a real apiserver returns for a minimal ClusterIP service', () => {
    const lab = newLab();
    const s = lab.store.create(
      lab.kind('', 'services'),
      svc('web', { selector: { app: 'web' }, ports: [{ port: 80 }] }),
    );
    expect(s.spec).toEqual({
      clusterIP: s.spec.clusterIP,
      clusterIPs: [s.spec.clusterIP],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      selector: { app: 'web' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    });
    expect(s.status).toEqual({ loadBalancer: {} });
  });

  it('allocates the ClusterIP inside the service CIDR and gives it back on delete', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    const s = lab.store.create(def, svc('web', { ports: [{ port: 80 }] }));
    const ip = s.spec.clusterIP;
    expect(cidrContains('10.96.0.0/12', ip)).toBe(true);
    expect(lab.ctx.allocators.clusterIP.isAllocated(ip)).toBe(true);
    lab.store.delete(def, 'default', 'web');
    expect(lab.ctx.allocators.clusterIP.isAllocated(ip)).toBe(false);
  });

  it('gives NodePort services node ports from the range and externalTrafficPolicy Cluster', () => {
    const lab = newLab();
    const s = lab.store.create(
      lab.kind('', 'services'),
      svc('web', { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 80 }] }),
    );
    expect(s.spec.externalTrafficPolicy).toBe('Cluster');
    expect(s.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(s.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
    expect(lab.ctx.allocators.nodePort.isAllocated(s.spec.ports[0].nodePort)).toBe(true);
  });

  it('keeps clusterIP None for headless services and allocates nothing', () => {
    const lab = newLab();
    const s = lab.store.create(
      lab.kind('', 'services'),
      svc('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] }),
    );
    expect(s.spec.clusterIPs).toEqual(['None']);
    expect(s.spec.ipFamilyPolicy).toBe('SingleStack');
  });

  it('gives ExternalName services no IP, no families and no internalTrafficPolicy', () => {
    const lab = newLab();
    const s = lab.store.create(
      lab.kind('', 'services'),
      svc('ext', { type: 'ExternalName', externalName: 'example.com' }),
    );
    expect(s.spec).toEqual({ externalName: 'example.com', sessionAffinity: 'None', type: 'ExternalName' });
  });
});

describe('Service validation', () => {
  it('rejects port 0 with the apiserver message', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(lab.kind('', 'services'), svc('x', { ports: [{ port: 0, targetPort: 8080 }] })),
    );
    expect(e.code).toBe(422);
    expect(e.message).toBe(
      'Service "x" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    );
  });

  it('reports the defaulted targetPort too when it came from port 0', () => {
    const lab = newLab();
    const e = errorOf(() => lab.store.create(lab.kind('', 'services'), svc('x', { ports: [{ port: 0 }] })));
    expect(e.message).toBe(
      'Service "x" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]',
    );
  });

  it('gives the allocator back what a rejected service took', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    errorOf(() =>
      lab.store.create(def, svc('x', { clusterIP: '10.96.0.50', ports: [{ port: 0, targetPort: 1 }] })),
    );
    expect(lab.ctx.allocators.clusterIP.isAllocated('10.96.0.50')).toBe(false);
  });

  it('requires service names to be DNS-1035 labels', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(lab.kind('', 'services'), svc('1web', { ports: [{ port: 80 }] })),
    );
    expect(e.message).toBe(
      `Service "1web" is invalid: metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    );
  });

  it('rejects unknown types and protocols with the supported values', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(
        lab.kind('', 'services'),
        svc('x', { type: 'Nodeport', ports: [{ port: 80, protocol: 'HTTP' }] }),
      ),
    );
    expect(e.message).toContain(
      'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    );
    expect(e.message).toContain(
      'spec.type: Unsupported value: "Nodeport": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    );
  });

  it('requires port names when there are several ports', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(lab.kind('', 'services'), svc('x', { ports: [{ port: 80 }, { port: 443 }] })),
    );
    expect(e.message).toBe(
      'Service "x" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]',
    );
  });

  it('forbids nodePort on a ClusterIP service', () => {
    const lab = newLab();
    const e = errorOf(() =>
      lab.store.create(lab.kind('', 'services'), svc('x', { ports: [{ port: 80, nodePort: 30080 }] })),
    );
    expect(e.message).toBe(
      'Service "x" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is \'ClusterIP\'',
    );
  });

  it('refuses a clusterIP outside the service CIDR or already taken', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    const outside = errorOf(() =>
      lab.store.create(def, svc('x', { clusterIP: '10.0.0.5', ports: [{ port: 80 }] })),
    );
    expect(outside.message).toBe(
      'Service "x" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
    lab.store.create(def, svc('dns', { clusterIP: '10.96.0.10', ports: [{ port: 53 }] }));
    const taken = errorOf(() =>
      lab.store.create(def, svc('y', { clusterIP: '10.96.0.10', ports: [{ port: 80 }] })),
    );
    expect(taken.message).toBe(
      'Service "y" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    );
  });

  it('refuses node ports outside the range or already taken', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    const bad = errorOf(() =>
      lab.store.create(def, svc('x', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] })),
    );
    expect(bad.message).toBe(
      'Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    lab.store.create(def, svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    const dup = errorOf(() =>
      lab.store.create(def, svc('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })),
    );
    expect(dup.message).toBe(
      'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    );
    // The failed create kept nothing: its ClusterIP went back too.
    expect([...lab.store.list(def, 'default')].map((s) => s.metadata.name)).toEqual(['a']);
  });

  it('requires externalName for ExternalName services', () => {
    const lab = newLab();
    const e = errorOf(() => lab.store.create(lab.kind('', 'services'), svc('x', { type: 'ExternalName' })));
    expect(e.message).toBe('Service "x" is invalid: spec.externalName: Required value');
  });
});

describe('Service updates', () => {
  it('keeps clusterIP immutable', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    const s = lab.store.create(def, svc('web', { ports: [{ port: 80 }] }));
    const changed = { ...s, spec: { ...s.spec, clusterIP: '10.96.0.77' } };
    const e = errorOf(() => lab.store.update(def, changed));
    expect(e.message).toBe(
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.77"}: may not change once set',
    );
    expect(lab.ctx.allocators.clusterIP.isAllocated('10.96.0.77')).toBe(false);
  });

  it('keeps allocated values when a client re-sends the manifest without them (kubectl apply/replace)', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    const s = lab.store.create(def, svc('web', { type: 'NodePort', ports: [{ port: 80 }] }));
    const again = lab.store.update(def, svc('web', { type: 'NodePort', ports: [{ port: 80 }] }));
    expect(again.spec.clusterIP).toBe(s.spec.clusterIP);
    expect(again.spec.ports[0].nodePort).toBe(s.spec.ports[0].nodePort);
  });

  it('allocates node ports when the type changes to NodePort and releases them when it changes back', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    const s = lab.store.create(def, svc('web', { selector: { app: 'web' }, ports: [{ port: 80 }] }));
    const np = lab.store.update(def, { ...s, spec: { ...s.spec, type: 'NodePort' } });
    const port = np.spec.ports[0].nodePort;
    expect(port).toBeGreaterThanOrEqual(30000);
    expect(np.spec.externalTrafficPolicy).toBe('Cluster');
    expect(lab.ctx.allocators.nodePort.isAllocated(port)).toBe(true);
    const back = lab.store.update(def, { ...np, spec: { ...np.spec, type: 'ClusterIP' } });
    expect(back.spec.ports[0].nodePort).toBeUndefined();
    expect(back.spec.externalTrafficPolicy).toBeUndefined();
    expect(lab.ctx.allocators.nodePort.isAllocated(port)).toBe(false);
    expect(back.spec.clusterIP).toBe(s.spec.clusterIP);
  });

  it('releases the ClusterIP when a service becomes ExternalName', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    const s = lab.store.create(def, svc('web', { ports: [{ port: 80 }] }));
    const ext = lab.store.update(def, {
      ...s,
      spec: { ...s.spec, type: 'ExternalName', externalName: 'example.com' },
    });
    expect(ext.spec.clusterIP).toBeUndefined();
    expect(lab.ctx.allocators.clusterIP.isAllocated(s.spec.clusterIP)).toBe(false);
  });
});

describe('kubectl get svc', () => {
  it('prints TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) like the apiserver', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    const s = lab.store.create(
      def,
      svc('httpd-svc', {
        type: 'NodePort',
        selector: { run: 'httpd' },
        ports: [{ port: 8080, targetPort: 80, nodePort: 31234 }],
      }),
    );
    lab.advance(125_000);
    expect(lab.headers(def, true)).toEqual([
      'NAME',
      'TYPE',
      'CLUSTER-IP',
      'EXTERNAL-IP',
      'PORT(S)',
      'AGE',
      'SELECTOR',
    ]);
    expect(lab.row(def, s)).toEqual([
      'httpd-svc',
      'NodePort',
      s.spec.clusterIP,
      '<none>',
      '8080:31234/TCP',
      '2m5s',
      'run=httpd',
    ]);
  });

  it('shows <pending> for a LoadBalancer without an address, the name for ExternalName, <none> selectors', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    const lb = lab.store.create(
      def,
      svc('lb', { type: 'LoadBalancer', ports: [{ port: 443, protocol: 'TCP' }] }),
    );
    const ext = lab.store.create(def, svc('ext', { type: 'ExternalName', externalName: 'db.example.com' }));
    expect(lab.row(def, lb).slice(3, 5)).toEqual(['<pending>', `443:${lb.spec.ports[0].nodePort}/TCP`]);
    expect(lab.row(def, lb)[6]).toBe('<none>');
    expect(lab.row(def, ext).slice(1, 5)).toEqual(['ExternalName', '<none>', 'db.example.com', '<none>']);
  });

  it('selects services by spec.type', () => {
    const lab = newLab();
    const def = lab.kind('', 'services');
    lab.store.create(def, svc('a', { ports: [{ port: 80 }] }));
    lab.store.create(def, svc('b', { type: 'NodePort', ports: [{ port: 80 }] }));
    expect(
      lab.store.list(def, 'default', { fieldSelector: 'spec.type=NodePort' }).map((s) => s.metadata.name),
    ).toEqual(['b']);
  });
});
