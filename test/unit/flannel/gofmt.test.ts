import { describe, expect, it } from 'vitest';
import { goLeaseAttrs, goLeaseEvent, goStringMap } from '../../../labs/agents/flannel/gofmt.ts';
import { klogLine } from '../../../labs/agents/flannel/klog.ts';

// Lines from a real flanneld v0.26 node receiving a peer's lease.
const REAL_BATCH_ELEM =
  'Batch elem [0] is { lease.Event{Type:0, Lease:lease.Lease{EnableIPv4:true, EnableIPv6:false, Subnet:ip.IP4Net{IP:0xaf40100, PrefixLen:0x18}, IPv6Subnet:ip.IP6Net{IP:(*ip.IP6)(nil), PrefixLen:0x0}, Attrs:lease.LeaseAttrs{PublicIP:0xac1f17d2, PublicIPv6:(*ip.IP6)(nil), BackendType:"vxlan", BackendData:json.RawMessage{0x7b, 0x22, 0x56, 0x4e, 0x49, 0x22, 0x3a, 0x31, 0x2c, 0x22, 0x56, 0x74, 0x65, 0x70, 0x4d, 0x41, 0x43, 0x22, 0x3a, 0x22, 0x37, 0x65, 0x3a, 0x64, 0x62, 0x3a, 0x62, 0x32, 0x3a, 0x36, 0x39, 0x3a, 0x62, 0x63, 0x3a, 0x36, 0x34, 0x22, 0x7d}, BackendV6Data:json.RawMessage(nil)}, Expiration:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), Asof:0}} }';
const REAL_SUBNET_EVENT =
  'BackendType: vxlan, PublicIP: 172.31.23.210, PublicIPv6: (nil), BackendData: {"VNI":1,"VtepMAC":"7e:db:b2:69:bc:64"}, BackendV6Data: (nil)';
const lease = {
  subnet: '10.244.1.0/24',
  publicIP: '172.31.23.210',
  backendType: 'vxlan',
  backendData: '{"VNI":1,"VtepMAC":"7e:db:b2:69:bc:64"}',
};

describe('Go formatting of flanneld log values', () => {
  it('prints a lease event as %#v does', () => {
    expect(`Batch elem [0] is { ${goLeaseEvent('added', lease)} }`).toBe(REAL_BATCH_ELEM);
    expect(goLeaseEvent('removed', lease)).toMatch(/^lease\.Event\{Type:1, /);
  });

  it('prints lease attributes as LeaseAttrs.String()', () => {
    expect(goLeaseAttrs(lease)).toBe(REAL_SUBNET_EVENT);
  });

  it('prints node annotations as a sorted Go map literal with quoted values', () => {
    expect(
      goStringMap({
        'flannel.alpha.coreos.com/public-ip': '192.168.1.105',
        'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"46:cf:e7:58:95:66"}',
        'node.alpha.kubernetes.io/ttl': '0',
      }),
    ).toBe(
      'map[string]string{"flannel.alpha.coreos.com/backend-data":"{\\"VNI\\":1,\\"VtepMAC\\":\\"46:cf:e7:58:95:66\\"}", "flannel.alpha.coreos.com/public-ip":"192.168.1.105", "node.alpha.kubernetes.io/ttl":"0"}',
    );
    expect(goStringMap({})).toBe('map[string]string{}');
  });

  it('writes klog headers with UTC month/day, microseconds and the thread id in 7 columns', () => {
    const t = Date.UTC(2024, 9, 23, 17, 50, 34) * 1000 + 765594;
    expect(klogLine('I', 'main.go:211', 'CLI flags config: {}', t)).toBe(
      'I1023 17:50:34.765594       1 main.go:211] CLI flags config: {}',
    );
    expect(klogLine('W', 'device.go:101', 'x', t)).toMatch(/^W1023 /);
  });
});
