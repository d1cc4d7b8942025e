import { describe, expect, it } from 'vitest';
import { defaultOptions, formatCliFlags, parseFlanneldArgs } from '../../../labs/agents/flannel/flags.ts';

function parse(args: string[]) {
  const r = parseFlanneldArgs(args);
  if (!r.ok) throw new Error(r.stderr.join('\n'));
  return r.options;
}

describe('flanneld command line', () => {
  it('renders the kube-flannel DaemonSet args exactly as flanneld v0.26 logs them', () => {
    // From a real v0.26.0 node: `main.go:211] CLI flags config: ...` with `--ip-masq --kube-subnet-mgr`.
    expect(formatCliFlags(parse(['--ip-masq', '--kube-subnet-mgr']))).toBe(
      '{etcdEndpoints:http://127.0.0.1:4001,http://127.0.0.1:2379 etcdPrefix:/coreos.com/network etcdKeyfile: etcdCertfile: etcdCAFile: etcdUsername: etcdPassword: version:false kubeSubnetMgr:true kubeApiUrl: kubeAnnotationPrefix:flannel.alpha.coreos.com kubeConfigFile: iface:[] ifaceRegex:[] ipMasq:true ifaceCanReach: subnetFile:/run/flannel/subnet.env publicIP: publicIPv6: subnetLeaseRenewMargin:60 healthzIP:0.0.0.0 healthzPort:0 iptablesResyncSeconds:5 iptablesForwardRules:true netConfPath:/etc/kube-flannel/net-conf.json setNodeNetworkUnavailable:true}',
    );
  });

  it('accepts Go flag syntax: one or two dashes, =value or a separate value, repeated --iface in order', () => {
    const o = parse([
      '-iface',
      'enp0s3',
      '--iface=eth1',
      '--iface-regex=^192\\.168\\.',
      '-iptables-resync=1',
      '--public-ip',
      '1.2.3.4',
    ]);
    expect(o.iface).toEqual(['enp0s3', 'eth1']);
    expect(o.ifaceRegex).toEqual(['^192\\.168\\.']);
    expect(o.iptablesResyncSeconds).toBe(1);
    expect(o.publicIP).toBe('1.2.3.4');
    expect(formatCliFlags(o)).toContain('iface:[enp0s3 eth1] ifaceRegex:[^192\\.168\\.] ipMasq:false');
  });

  it('reads booleans as Go does and does not take the next argument for them', () => {
    const o = parse(['--ip-masq', 'ignored', '--kube-subnet-mgr']);
    expect(o.ipMasq).toBe(true);
    expect(o.kubeSubnetMgr).toBe(false);
    expect(parse(['--iptables-forward-rules=false']).iptablesForwardRules).toBe(false);
    expect(parse(['--ip-masq=T']).ipMasq).toBe(true);
    expect(parseFlanneldArgs(['--ip-masq=yes'])).toMatchObject({
      ok: false,
      exitCode: 2,
      stderr: [
        'invalid boolean value "yes" for -ip-masq: parse error',
        'Usage: /opt/bin/flanneld [OPTION]...',
      ],
    });
  });

  it('stops at the first non-flag argument or at --', () => {
    expect(parseFlanneldArgs(['--ip-masq', '--', '--iface=x'])).toMatchObject({
      ok: true,
      rest: ['--iface=x'],
    });
    expect(parseFlanneldArgs(['run', '--iface=x'])).toMatchObject({ ok: true, rest: ['run', '--iface=x'] });
  });

  it('fails like the flag package: unknown flags, missing values, bad numbers (exit 2); -help exits 0', () => {
    expect(parseFlanneldArgs(['--ifaces=enp0s3'])).toMatchObject({
      ok: false,
      exitCode: 2,
      stderr: ['flag provided but not defined: -ifaces', 'Usage: /opt/bin/flanneld [OPTION]...'],
    });
    expect(parseFlanneldArgs(['--iface'])).toMatchObject({
      stderr: ['flag needs an argument: -iface', expect.any(String)],
    });
    expect(parseFlanneldArgs(['--iptables-resync=5s'])).toMatchObject({
      stderr: ['invalid value "5s" for flag -iptables-resync: parse error', expect.any(String)],
    });
    expect(parseFlanneldArgs(['--help'])).toMatchObject({ ok: false, exitCode: 0 });
    expect(parse(['--iptables-resync=0x10']).iptablesResyncSeconds).toBe(16);
  });

  it('defaults to flanneld v0.26 values', () => {
    expect(defaultOptions()).toMatchObject({
      kubeSubnetMgr: false,
      ipMasq: false,
      subnetFile: '/run/flannel/subnet.env',
      iptablesResyncSeconds: 5,
      iptablesForwardRules: true,
      kubeAnnotationPrefix: 'flannel.alpha.coreos.com',
    });
  });
});
