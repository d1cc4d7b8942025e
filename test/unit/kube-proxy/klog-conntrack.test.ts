import { describe, expect, it } from 'vitest';
import {
  parseConntrackList,
  staleConntrackDeletes,
  udpFrontends,
  udpFrontendsFingerprint,
} from '../../../labs/agents/kube-proxy/conntrack.ts';
import { formatKlog, goDuration } from '../../../labs/agents/kube-proxy/klog.ts';
import { endpointsOf, servicePortsOf } from '../../../labs/agents/kube-proxy/model.ts';

describe('klog text format', () => {
  const at = Date.UTC(2026, 10, 22, 19, 14, 5) * 1000 + 123456;

  it('prints the header kubectl logs shows for kube-proxy', () => {
    expect(
      formatKlog({ severity: 'I', source: 'server_linux.go:170', message: 'Using iptables Proxier' }, at),
    ).toBe('I1122 19:14:05.123456       1 server_linux.go:170] "Using iptables Proxier"');
  });

  it('quotes structured values and leaves numbers, booleans and durations Go-shaped', () => {
    const line = formatKlog(
      {
        severity: 'I',
        source: 'proxier.go:805',
        message: 'Syncing iptables rules',
        values: [
          ['ipFamily', 'IPv4'],
          ['fullSync', true],
          ['numServices', 3],
          ['IPs', ['192.168.56.12']],
          ['elapsed', { durationMs: 12.5 }],
        ],
      },
      at,
    );
    expect(line).toBe(
      'I1122 19:14:05.123456       1 proxier.go:805] "Syncing iptables rules" ipFamily="IPv4" fullSync=true numServices=3 IPs=["192.168.56.12"] elapsed="12.5ms"',
    );
  });

  it('leaves printf-style client-go messages unquoted', () => {
    expect(
      formatKlog(
        {
          severity: 'I',
          source: 'shared_informer.go:313',
          message: 'Waiting for caches to sync for service config',
          structured: false,
        },
        at,
      ),
    ).toBe(
      'I1122 19:14:05.123456       1 shared_informer.go:313] Waiting for caches to sync for service config',
    );
  });

  it('formats durations like time.Duration', () => {
    expect(goDuration(30_000)).toBe('30s');
    expect(goDuration(1.234567)).toBe('1.234567ms');
    expect(goDuration(0.25)).toBe('250µs');
  });
});

describe('stale UDP conntrack entries', () => {
  const listing = [
    'udp      17 27 src=10.244.1.5 dst=10.96.0.10 sport=40000 dport=53 src=10.244.0.2 dst=10.244.1.5 sport=53 dport=40000 mark=0 use=1',
    'udp      17 25 src=10.244.1.5 dst=10.96.0.10 sport=40001 dport=53 src=10.244.0.9 dst=10.244.1.5 sport=53 dport=40001 mark=0 use=1',
    'udp      17 29 src=10.244.1.5 dst=10.96.0.10 sport=40002 dport=53 [UNREPLIED] src=10.96.0.10 dst=10.244.1.5 sport=53 dport=40002 mark=0 use=1',
    'tcp      6 431999 ESTABLISHED src=10.244.1.5 dst=10.96.0.1 sport=51000 dport=443 src=10.0.0.8 dst=10.244.1.5 sport=6443 dport=51000 [ASSURED] mark=0 use=1',
  ].join('\n');

  const services = [
    {
      metadata: { namespace: 'kube-system', name: 'kube-dns' },
      spec: { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
    },
  ];
  const slices = (ip: string) => [
    {
      metadata: {
        namespace: 'kube-system',
        name: 'kube-dns-x',
        labels: { 'kubernetes.io/service-name': 'kube-dns' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
    },
  ];

  it('parses original and reply tuples from conntrack -L', () => {
    const entries = parseConntrackList(listing);
    expect(entries).toHaveLength(4);
    expect(entries[0]).toMatchObject({
      protocol: 'udp',
      origDst: '10.96.0.10',
      origDport: 53,
      replySrc: '10.244.0.2',
      replySport: 53,
    });
    expect(entries[3]).toMatchObject({ protocol: 'tcp', replySrc: '10.0.0.8', replySport: 6443 });
  });

  it('deletes flows to a UDP service whose reply source is no longer a serving endpoint', () => {
    const frontends = udpFrontends(servicePortsOf(services), endpointsOf(slices('10.244.0.9'), 'n1'));
    const deletes = staleConntrackDeletes(parseConntrackList(listing), frontends);
    expect(deletes).toEqual([
      [
        '-D',
        '-p',
        'udp',
        '--orig-dst',
        '10.96.0.10',
        '--orig-port-dst',
        '53',
        '--reply-src',
        '10.244.0.2',
        '--reply-port-src',
        '53',
      ],
      // A flow that was never DNATed (sent while the service had no endpoints) is stale too.
      [
        '-D',
        '-p',
        'udp',
        '--orig-dst',
        '10.96.0.10',
        '--orig-port-dst',
        '53',
        '--reply-src',
        '10.96.0.10',
        '--reply-port-src',
        '53',
      ],
    ]);
  });

  it('leaves everything alone for a service without serving endpoints', () => {
    const frontends = udpFrontends(servicePortsOf(services), endpointsOf([], 'n1'));
    expect(staleConntrackDeletes(parseConntrackList(listing), frontends)).toEqual([]);
  });

  it('fingerprints change exactly when the serving endpoints change', () => {
    const a = udpFrontendsFingerprint(
      udpFrontends(servicePortsOf(services), endpointsOf(slices('10.244.0.9'), 'n1')),
    );
    const b = udpFrontendsFingerprint(
      udpFrontends(servicePortsOf(services), endpointsOf(slices('10.244.0.9'), 'n1')),
    );
    const c = udpFrontendsFingerprint(
      udpFrontends(servicePortsOf(services), endpointsOf(slices('10.244.0.2'), 'n1')),
    );
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});
