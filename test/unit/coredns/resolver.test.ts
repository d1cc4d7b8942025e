import { describe, expect, it } from 'vitest';
import { CLASS, RCODE, type ResourceRecord, TYPE } from '../../../labs/agents/coredns/message.ts';
import { KubernetesResolver, type ResolverOptions } from '../../../labs/agents/coredns/resolver.ts';
import { clusterSource, hostnamesIPs, pod, service, slice } from './fixtures.ts';

const T0 = Date.UTC(2024, 10, 22, 19, 14, 5);

function setup(options: ResolverOptions = {}, extra: Parameters<typeof clusterSource>[0] = {}) {
  let now = T0;
  const { state, source } = clusterSource(extra);
  const resolver = new KubernetesResolver(source, { now: () => now, ...options });
  const ask = (name: string, type: number = TYPE.A) => resolver.resolve({ name, type, class: CLASS.IN });
  return { resolver, state, ask, tick: (ms: number) => (now += ms) };
}

/** Records as `dig` would print them: name ttl type rdata. */
function show(records: ResourceRecord[]): string[] {
  return records.map((r) => {
    const d = r.data;
    const rdata =
      d.kind === 'address'
        ? d.address
        : d.kind === 'name'
          ? d.name
          : d.kind === 'srv'
            ? `${d.priority} ${d.weight} ${d.port} ${d.target}`
            : d.kind === 'txt'
              ? d.texts.map((t) => JSON.stringify(t)).join(' ')
              : d.kind === 'soa'
                ? `${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`
                : d.kind;
    const type = Object.entries(TYPE).find(([, v]) => v === r.type)?.[0];
    return `${r.name} ${r.ttl} ${type} ${rdata}`;
  });
}

const SOA = (serial: number) =>
  `cluster.local. 30 SOA ns.dns.cluster.local. hostmaster.cluster.local. ${serial} 7200 1800 86400 30`;
const serial0 = Math.floor(T0 / 1000);

describe('kubernetes plugin answers', () => {
  it('resolves a ClusterIP Service to its ClusterIP, authoritatively, with TTL 30', async () => {
    const { ask } = setup();
    const r = await ask('hostnames.default.svc.cluster.local.');
    expect(r).toMatchObject({
      rcode: RCODE.NOERROR,
      authoritative: true,
      recursionAvailable: false,
      plugin: 'kubernetes',
    });
    expect(show(r.answers)).toEqual(['hostnames.default.svc.cluster.local. 30 A 10.96.1.175']);
    expect(r.authority).toEqual([]);
    const k = await ask('kubernetes.default.svc.cluster.local.');
    expect(show(k.answers)).toEqual(['kubernetes.default.svc.cluster.local. 30 A 10.96.0.1']);
  });

  it('answers a ClusterIP Service even when it has no endpoints (the no-endpoints fault is not a DNS fault)', async () => {
    const { ask, state } = setup();
    state.slices = state.slices.filter(
      (s) => s.metadata?.labels?.['kubernetes.io/service-name'] !== 'hostnames',
    );
    const r = await ask('hostnames.default.svc.cluster.local.');
    expect(show(r.answers)).toEqual(['hostnames.default.svc.cluster.local. 30 A 10.96.1.175']);
  });

  it('uses the plugin default TTL of 5 when told to, as a Corefile without `ttl` would', async () => {
    const { ask } = setup({ ttl: 5 });
    const r = await ask('hostnames.default.svc.cluster.local.');
    expect(r.answers[0].ttl).toBe(5);
  });

  it('answers a headless Service with every ready endpoint address', async () => {
    const { ask } = setup(
      {},
      {
        services: [service('default', 'hostnames-headless', { clusterIP: 'None', ports: [{ port: 9376 }] })],
        slices: [
          slice(
            'default',
            'hostnames-headless',
            hostnamesIPs.map((ip) => ({ ip })),
            [{ port: 9376 }],
          ),
        ],
      },
    );
    const r = await ask('hostnames-headless.default.svc.cluster.local.');
    expect(r.rcode).toBe(RCODE.NOERROR);
    expect(show(r.answers).sort()).toEqual(
      hostnamesIPs.map((ip) => `hostnames-headless.default.svc.cluster.local. 30 A ${ip}`).sort(),
    );
  });

  it('leaves not-ready endpoints out, and a headless Service with none ready is NXDOMAIN', async () => {
    const { ask, state } = setup();
    const r = await ask('web.default.svc.cluster.local.');
    expect(r.answers.map((a) => (a.data as { address: string }).address)).toEqual([
      '10.244.1.10',
      '10.244.2.11',
    ]);
    state.slices = state.slices.map((s) =>
      s.metadata?.labels?.['kubernetes.io/service-name'] === 'web'
        ? { ...s, endpoints: (s.endpoints as any[]).map((e) => ({ ...e, conditions: { ready: false } })) }
        : s,
    );
    const none = await ask('web.default.svc.cluster.local.');
    expect(none.rcode).toBe(RCODE.NXDOMAIN);
    expect(show(none.authority)).toEqual([SOA(serial0)]);
  });

  it('answers <hostname>.<subdomain>.<ns>.svc for pods behind a headless Service, from the endpoint hostname', async () => {
    const { ask } = setup();
    const r = await ask('web-0.web.default.svc.cluster.local.');
    expect(show(r.answers)).toEqual(['web-0.web.default.svc.cluster.local. 30 A 10.244.1.10']);
    // web-2 exists as a pod but is not ready: no record.
    expect((await ask('web-2.web.default.svc.cluster.local.')).rcode).toBe(RCODE.NXDOMAIN);
    // Endpoints without a hostname are named by their dashed IP.
    const dashed = await ask('10-244-0-5.hostnames.default.svc.cluster.local.');
    expect(show(dashed.answers)).toEqual(['10-244-0-5.hostnames.default.svc.cluster.local. 30 A 10.244.0.5']);
  });

  it('names endpoints after their pods with endpoint_pod_names', async () => {
    const { ask } = setup({ endpointPodNames: true });
    const r = await ask('hostnames-yp2kp.hostnames.default.svc.cluster.local.');
    expect(show(r.answers)).toEqual(['hostnames-yp2kp.hostnames.default.svc.cluster.local. 30 A 10.244.1.6']);
  });

  it('answers an ExternalName Service with a CNAME only, since its target cannot be resolved in the lab', async () => {
    const { ask } = setup();
    const r = await ask('db.default.svc.cluster.local.');
    expect(r.rcode).toBe(RCODE.NOERROR);
    expect(show(r.answers)).toEqual(['db.default.svc.cluster.local. 30 CNAME my.database.example.com.']);
    expect(r.errors).toEqual([
      { rcode: RCODE.SERVFAIL, name: 'my.database.example.com.', type: TYPE.A, message: 'i/o timeout' },
    ]);
    expect(r.lookups.map((l) => l.question.name)).toEqual(['my.database.example.com.']);
    // An explicit CNAME question gets the CNAME too; SRV gets nothing for ExternalName.
    expect(show((await ask('db.default.svc.cluster.local.', TYPE.CNAME)).answers)).toHaveLength(1);
    const srv = await ask('db.default.svc.cluster.local.', TYPE.SRV);
    expect([srv.rcode, srv.answers]).toEqual([RCODE.NOERROR, []]);
  });

  it('appends what the upstream says about an external CNAME target', async () => {
    const { ask } = setup({
      upstream: (q) => ({
        rcode: RCODE.NOERROR,
        answers: [
          {
            name: q.name,
            type: TYPE.A,
            class: CLASS.IN,
            ttl: 300,
            data: { kind: 'address', address: '203.0.113.7' },
          },
        ],
      }),
    });
    const r = await ask('db.default.svc.cluster.local.');
    expect(show(r.answers)).toEqual([
      'db.default.svc.cluster.local. 30 CNAME my.database.example.com.',
      'my.database.example.com. 300 A 203.0.113.7',
    ]);
  });

  it('follows an ExternalName that points inside the cluster', async () => {
    const { ask } = setup();
    const r = await ask('alias.default.svc.cluster.local.');
    expect(show(r.answers)).toEqual([
      'alias.default.svc.cluster.local. 30 CNAME hostnames.default.svc.cluster.local.',
      'hostnames.default.svc.cluster.local. 30 A 10.96.1.175',
    ]);
    expect(r.errors).toEqual([]);
  });

  it('answers SRV for named ports, with targets and their addresses', async () => {
    const { ask } = setup();
    const dns = await ask('_dns._udp.kube-dns.kube-system.svc.cluster.local.', TYPE.SRV);
    expect(show(dns.answers)).toEqual([
      '_dns._udp.kube-dns.kube-system.svc.cluster.local. 30 SRV 0 100 53 kube-dns.kube-system.svc.cluster.local.',
    ]);
    expect(show(dns.additional)).toEqual(['kube-dns.kube-system.svc.cluster.local. 30 A 10.96.0.10']);

    const web = await ask('_http._tcp.web.default.svc.cluster.local.', TYPE.SRV);
    expect(show(web.answers)).toEqual([
      '_http._tcp.web.default.svc.cluster.local. 30 SRV 0 50 80 web-0.web.default.svc.cluster.local.',
      '_http._tcp.web.default.svc.cluster.local. 30 SRV 0 50 80 web-1.web.default.svc.cluster.local.',
    ]);
    expect(show(web.additional)).toEqual([
      'web-0.web.default.svc.cluster.local. 30 A 10.244.1.10',
      'web-1.web.default.svc.cluster.local. 30 A 10.244.2.11',
    ]);
  });

  it('answers SRV on the bare Service name with every port; unnamed ports do not match _port names', async () => {
    const { ask } = setup();
    const all = await ask('kube-dns.kube-system.svc.cluster.local.', TYPE.SRV);
    expect(show(all.answers).map((l) => l.split(' SRV ')[1])).toEqual([
      '0 33 53 kube-dns.kube-system.svc.cluster.local.',
      '0 33 9153 kube-dns.kube-system.svc.cluster.local.',
    ]);
    const hn = await ask('hostnames.default.svc.cluster.local.', TYPE.SRV);
    expect(show(hn.answers)).toEqual([
      'hostnames.default.svc.cluster.local. 30 SRV 0 100 80 hostnames.default.svc.cluster.local.',
    ]);
    expect((await ask('_http._tcp.hostnames.default.svc.cluster.local.', TYPE.SRV)).rcode).toBe(
      RCODE.NXDOMAIN,
    );
    expect((await ask('_dns._tcp.kube-dns.kube-system.svc.cluster.local.', TYPE.SRV)).rcode).toBe(
      RCODE.NXDOMAIN,
    );
  });

  it('answers PTR for ClusterIPs and endpoint IPs', async () => {
    const { ask } = setup();
    const dns = await ask('10.0.96.10.in-addr.arpa.', TYPE.PTR);
    expect(show(dns.answers)).toEqual([
      '10.0.96.10.in-addr.arpa. 30 PTR kube-dns.kube-system.svc.cluster.local.',
    ]);
    const ep = await ask('5.0.244.10.in-addr.arpa.', TYPE.PTR);
    expect(show(ep.answers)).toEqual([
      '5.0.244.10.in-addr.arpa. 30 PTR 10-244-0-5.hostnames.default.svc.cluster.local.',
    ]);
    const named = await ask('10.1.244.10.in-addr.arpa.', TYPE.PTR);
    expect(show(named.answers)).toEqual([
      '10.1.244.10.in-addr.arpa. 30 PTR web-0.web.default.svc.cluster.local.',
    ]);
  });

  it('passes reverse names it does not know on to the upstream (fallthrough in-addr.arpa ip6.arpa)', async () => {
    const { ask } = setup();
    const r = await ask('99.9.244.10.in-addr.arpa.', TYPE.PTR);
    expect(r).toMatchObject({ rcode: RCODE.SERVFAIL, plugin: 'forward', pluginError: 'i/o timeout' });
    const partial = await ask('244.10.in-addr.arpa.', TYPE.PTR);
    expect(partial.plugin).toBe('forward');
  });

  it('answers pods insecure A records for any dashed IP in an existing namespace', async () => {
    const { ask } = setup();
    const r = await ask('10-244-1-99.default.pod.cluster.local.');
    expect(show(r.answers)).toEqual(['10-244-1-99.default.pod.cluster.local. 30 A 10.244.1.99']);
    expect((await ask('10-244-1-99.nosuchns.pod.cluster.local.')).rcode).toBe(RCODE.NXDOMAIN);
    expect((await ask('10-244-1-999.default.pod.cluster.local.')).rcode).toBe(RCODE.NXDOMAIN);
    expect((await ask('10-244-1-99.default.pod.cluster.local.', TYPE.AAAA)).rcode).toBe(RCODE.NOERROR);
  });

  it('checks that the pod exists with pods verified, and answers nothing with pods disabled', async () => {
    const { ask } = setup({ pods: 'verified' }, { pods: [pod('default', 'hostnames-0uton', '10.244.0.5')] });
    expect((await ask('10-244-0-5.default.pod.cluster.local.')).answers).toHaveLength(1);
    expect((await ask('10-244-0-6.default.pod.cluster.local.')).rcode).toBe(RCODE.NXDOMAIN);
    expect((await ask('10-244-0-5.kube-system.pod.cluster.local.')).rcode).toBe(RCODE.NXDOMAIN);
    const off = setup({ pods: 'disabled' });
    expect((await off.ask('10-244-0-5.default.pod.cluster.local.')).rcode).toBe(RCODE.NXDOMAIN);
  });

  describe('NXDOMAIN versus NODATA', () => {
    const cases: [string, number, number][] = [
      ['nosuch.default.svc.cluster.local.', TYPE.A, RCODE.NXDOMAIN],
      ['hostnames.nosuchns.svc.cluster.local.', TYPE.A, RCODE.NXDOMAIN],
      ['nosuchns.svc.cluster.local.', TYPE.A, RCODE.NXDOMAIN],
      ['hostnames.default.cluster.local.', TYPE.A, RCODE.NXDOMAIN],
      ['kubernetes.default.svc.cluster.local.svc.cluster.local.', TYPE.A, RCODE.NXDOMAIN],
      ['kubernetes.default.svc.cluster.local.default.svc.cluster.local.', TYPE.AAAA, RCODE.NXDOMAIN],
      ['a.b.c.hostnames.default.svc.cluster.local.', TYPE.A, RCODE.NXDOMAIN],
      // Exists, but not with this type.
      ['hostnames.default.svc.cluster.local.', TYPE.AAAA, RCODE.NOERROR],
      ['hostnames.default.svc.cluster.local.', TYPE.MX, RCODE.NOERROR],
      ['hostnames.default.svc.cluster.local.', TYPE.ANY, RCODE.NOERROR],
      ['default.svc.cluster.local.', TYPE.A, RCODE.NOERROR],
      ['empty.svc.cluster.local.', TYPE.A, RCODE.NOERROR],
      ['svc.cluster.local.', TYPE.A, RCODE.NOERROR],
      ['pod.cluster.local.', TYPE.A, RCODE.NOERROR],
      ['cluster.local.', TYPE.A, RCODE.NOERROR],
      // CoreDNS quirks: TXT is NODATA for any name but dns-version; NS below the apex too.
      ['nosuch.default.svc.cluster.local.', TYPE.TXT, RCODE.NOERROR],
      ['nosuch.default.svc.cluster.local.', TYPE.NS, RCODE.NOERROR],
    ];
    for (const [name, type, rcode] of cases) {
      const typeName = Object.entries(TYPE).find(([, v]) => v === type)?.[0];
      it(`${typeName} ${name} -> ${rcode === RCODE.NXDOMAIN ? 'NXDOMAIN' : 'NOERROR, no answer'}, SOA in authority`, async () => {
        const { ask } = setup();
        const r = await ask(name, type);
        expect(r.rcode).toBe(rcode);
        expect(r.authoritative).toBe(true);
        expect(r.answers).toEqual([]);
        expect(show(r.authority)).toEqual([SOA(serial0)]);
      });
    }
  });

  it('moves the SOA serial to the time of the last Service or endpoint change', async () => {
    const { ask, state, tick } = setup();
    expect(show((await ask('nosuch.default.svc.cluster.local.')).authority)).toEqual([SOA(serial0)]);
    tick(90_000);
    expect(show((await ask('nosuch.default.svc.cluster.local.')).authority)).toEqual([SOA(serial0)]);
    state.services = [
      ...state.services,
      service('default', 'nosuch', { clusterIP: '10.96.7.7', ports: [{ port: 80 }] }),
    ];
    expect(show((await ask('nosuch.default.svc.cluster.local.')).answers)).toEqual([
      'nosuch.default.svc.cluster.local. 30 A 10.96.7.7',
    ]);
    expect(show((await ask('nosuch.default.svc.cluster.local.', TYPE.AAAA)).authority)).toEqual([
      SOA(serial0 + 90),
    ]);
  });

  it('answers SOA with the zone SOA, NS with the kube-dns Service, and the dns-version TXT record', async () => {
    const { ask } = setup();
    expect(show((await ask('hostnames.default.svc.cluster.local.', TYPE.SOA)).answers)).toEqual([
      SOA(serial0),
    ]);
    const ns = await ask('cluster.local.', TYPE.NS);
    expect(show(ns.answers)).toEqual(['cluster.local. 30 NS kube-dns.kube-system.svc.cluster.local.']);
    expect(show(ns.additional)).toEqual(['kube-dns.kube-system.svc.cluster.local. 30 A 10.96.0.10']);
    expect(show((await ask('ns.dns.cluster.local.')).answers)).toEqual([
      'ns.dns.cluster.local. 30 A 10.96.0.10',
    ]);
    expect(show((await ask('dns-version.cluster.local.', TYPE.TXT)).answers)).toEqual([
      'dns-version.cluster.local. 28800 TXT "1.1.0"',
    ]);
  });

  it('names the NS by ns.dns.<zone> when its own address backs no Service', async () => {
    const { ask } = setup({ localIPs: ['10.244.9.9'] });
    const ns = await ask('cluster.local.', TYPE.NS);
    expect(show(ns.answers)).toEqual(['cluster.local. 30 NS ns.dns.cluster.local.']);
    expect(show(ns.additional)).toEqual(['ns.dns.cluster.local. 30 A 10.244.9.9']);
  });

  it('keeps the case of the question in the answer and matches names without case', async () => {
    const { ask } = setup();
    const r = await ask('HostNames.Default.SVC.Cluster.Local.');
    expect(show(r.answers)).toEqual(['HostNames.Default.SVC.Cluster.Local. 30 A 10.96.1.175']);
    const miss = await ask('NoSuch.Default.SVC.Cluster.Local.');
    expect(miss.authority[0].name).toBe('Cluster.Local.');
  });

  it('sends names outside the cluster zone to the upstream, which fails at once by default', async () => {
    const { ask } = setup({ forwardTo: ['10.0.2.3'], localIPs: ['10.244.0.2'] });
    const started = Date.now();
    const r = await ask('example.com.');
    expect(Date.now() - started).toBeLessThan(100);
    expect(r).toMatchObject({
      rcode: RCODE.SERVFAIL,
      authoritative: false,
      recursionAvailable: false,
      plugin: 'forward',
    });
    expect(r.pluginError).toMatch(/^read udp 10\.244\.0\.2:\d+->10\.0\.2\.3:53: i\/o timeout$/);
    expect(r.errors[0]).toMatchObject({ rcode: 2, name: 'example.com.', type: TYPE.A });
  });

  it('uses a configured upstream for names outside the zone', async () => {
    const { ask } = setup({
      upstream: (q) => ({
        rcode: q.name === 'example.com.' ? RCODE.NOERROR : RCODE.NXDOMAIN,
        recursionAvailable: true,
      }),
    });
    expect(await ask('example.com.')).toMatchObject({
      rcode: RCODE.NOERROR,
      recursionAvailable: true,
      plugin: 'forward',
    });
    expect((await ask('nosuch.example.')).rcode).toBe(RCODE.NXDOMAIN);
  });

  it('serves another cluster domain and only the configured namespaces', async () => {
    const { ask } = setup({ zone: 'k8s.lab', namespaces: ['default'] });
    expect(show((await ask('hostnames.default.svc.k8s.lab.')).answers)).toEqual([
      'hostnames.default.svc.k8s.lab. 30 A 10.96.1.175',
    ]);
    expect((await ask('kube-dns.kube-system.svc.k8s.lab.')).rcode).toBe(RCODE.NXDOMAIN);
    expect((await ask('hostnames.default.svc.cluster.local.')).plugin).toBe('forward');
  });

  it('reads legacy Endpoints when no EndpointSlices are offered', async () => {
    const resolver = new KubernetesResolver({
      services: () => [
        service('default', 'legacy', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] }),
      ],
      endpoints: () => [
        {
          metadata: { namespace: 'default', name: 'legacy' },
          subsets: [
            {
              addresses: [{ ip: '10.244.3.3', hostname: 'legacy-0' }],
              notReadyAddresses: [{ ip: '10.244.3.4' }],
              ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
            },
          ],
        },
      ],
    });
    const r = await resolver.resolve({
      name: 'legacy.default.svc.cluster.local.',
      type: TYPE.A,
      class: CLASS.IN,
    });
    expect(show(r.answers)).toEqual(['legacy.default.svc.cluster.local. 30 A 10.244.3.3']);
    const host = await resolver.resolve({
      name: 'legacy-0.legacy.default.svc.cluster.local.',
      type: TYPE.A,
      class: CLASS.IN,
    });
    expect(host.answers).toHaveLength(1);
  });
});
