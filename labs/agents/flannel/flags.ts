/**
 * flanneld's command line, parsed as Go's `flag` package does (ExitOnError): `-name`, `--name`,
 * `-name=value`, `-name value` (not for booleans), parsing stops at the first non-flag argument
 * or `--`. Repeatable `--iface` / `--iface-regex` collect values in order.
 *
 * The defaults are flanneld v0.26's; `formatCliFlags` renders the struct the way its first log
 * line does (`CLI flags config: {etcdEndpoints:... setNodeNetworkUnavailable:true}`).
 */
import { goSlice } from './gofmt.ts';

export interface FlanneldOptions {
  etcdEndpoints: string;
  etcdPrefix: string;
  etcdKeyfile: string;
  etcdCertfile: string;
  etcdCAFile: string;
  etcdUsername: string;
  etcdPassword: string;
  version: boolean;
  kubeSubnetMgr: boolean;
  kubeApiUrl: string;
  kubeAnnotationPrefix: string;
  kubeConfigFile: string;
  iface: string[];
  ifaceRegex: string[];
  ipMasq: boolean;
  ifaceCanReach: string;
  subnetFile: string;
  publicIP: string;
  publicIPv6: string;
  subnetLeaseRenewMargin: number;
  healthzIP: string;
  healthzPort: number;
  iptablesResyncSeconds: number;
  iptablesForwardRules: boolean;
  netConfPath: string;
  setNodeNetworkUnavailable: boolean;
  /** klog -v. */
  v: number;
}

type Kind = 'string' | 'bool' | 'int' | 'list';

/** Flag name -> field and kind, in the order `flanneld --help` lists them (alphabetical, as Go prints). */
const FLAGS: Record<string, [keyof FlanneldOptions | null, Kind]> = {
  'etcd-cafile': ['etcdCAFile', 'string'],
  'etcd-certfile': ['etcdCertfile', 'string'],
  'etcd-endpoints': ['etcdEndpoints', 'string'],
  'etcd-keyfile': ['etcdKeyfile', 'string'],
  'etcd-password': ['etcdPassword', 'string'],
  'etcd-prefix': ['etcdPrefix', 'string'],
  'etcd-username': ['etcdUsername', 'string'],
  'healthz-ip': ['healthzIP', 'string'],
  'healthz-port': ['healthzPort', 'int'],
  iface: ['iface', 'list'],
  'iface-can-reach': ['ifaceCanReach', 'string'],
  'iface-regex': ['ifaceRegex', 'list'],
  'ip-masq': ['ipMasq', 'bool'],
  'iptables-forward-rules': ['iptablesForwardRules', 'bool'],
  'iptables-resync': ['iptablesResyncSeconds', 'int'],
  'kube-annotation-prefix': ['kubeAnnotationPrefix', 'string'],
  'kube-api-url': ['kubeApiUrl', 'string'],
  'kube-subnet-mgr': ['kubeSubnetMgr', 'bool'],
  'kubeconfig-file': ['kubeConfigFile', 'string'],
  log_backtrace_at: [null, 'string'],
  'net-config-path': ['netConfPath', 'string'],
  'public-ip': ['publicIP', 'string'],
  'public-ipv6': ['publicIPv6', 'string'],
  'set-node-network-unavailable': ['setNodeNetworkUnavailable', 'bool'],
  'subnet-file': ['subnetFile', 'string'],
  'subnet-lease-renew-margin': ['subnetLeaseRenewMargin', 'int'],
  v: ['v', 'int'],
  version: ['version', 'bool'],
  vmodule: [null, 'string'],
};

export function defaultOptions(): FlanneldOptions {
  return {
    etcdEndpoints: 'http://127.0.0.1:4001,http://127.0.0.1:2379',
    etcdPrefix: '/coreos.com/network',
    etcdKeyfile: '',
    etcdCertfile: '',
    etcdCAFile: '',
    etcdUsername: '',
    etcdPassword: '',
    version: false,
    kubeSubnetMgr: false,
    kubeApiUrl: '',
    kubeAnnotationPrefix: 'flannel.alpha.coreos.com',
    kubeConfigFile: '',
    iface: [],
    ifaceRegex: [],
    ipMasq: false,
    ifaceCanReach: '',
    subnetFile: '/run/flannel/subnet.env',
    publicIP: '',
    publicIPv6: '',
    subnetLeaseRenewMargin: 60,
    healthzIP: '0.0.0.0',
    healthzPort: 0,
    iptablesResyncSeconds: 5,
    iptablesForwardRules: true,
    netConfPath: '/etc/kube-flannel/net-conf.json',
    setNodeNetworkUnavailable: true,
    v: 0,
  };
}

export type ParsedFlags =
  | { ok: true; options: FlanneldOptions; rest: string[] }
  /** What Go's flag package prints before exiting (code 2, or 0 for -help). */
  | { ok: false; exitCode: number; stderr: string[] };

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseInt(s, 0, 64): decimal, 0x hex, 0o / leading-0 octal, 0b binary, optional sign. */
function parseGoInt(s: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/.exec(s.replaceAll('_', ''));
  if (!m) return undefined;
  let body = m[2]!;
  if (/^0[0-7]/.test(body)) body = `0o${body.slice(1)}`;
  const n = Number(body);
  return m[1] === '-' ? -n : n;
}

export function usageLines(): string[] {
  return ['Usage: /opt/bin/flanneld [OPTION]...'];
}

export function parseFlanneldArgs(args: readonly string[]): ParsedFlags {
  const options = defaultOptions();
  const fail = (message: string): ParsedFlags => ({
    ok: false,
    exitCode: 2,
    stderr: [message, ...usageLines()],
  });
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.length < 2 || arg[0] !== '-') break;
    let body = arg.slice(1);
    if (body[0] === '-') {
      body = body.slice(1);
      if (body === '') {
        i++;
        break;
      }
    }
    if (body === '' || body[0] === '-' || body[0] === '=') return fail(`bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let value = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (name === 'help' || name === 'h') return { ok: false, exitCode: 0, stderr: usageLines() };
    const spec = FLAGS[name];
    if (!spec) return fail(`flag provided but not defined: -${name}`);
    const [field, kind] = spec;
    if (kind === 'bool') {
      const text = value ?? 'true';
      if (!GO_TRUE.has(text) && !GO_FALSE.has(text))
        return fail(`invalid boolean value ${JSON.stringify(text)} for -${name}: parse error`);
      if (field) (options[field] as boolean) = GO_TRUE.has(text);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= args.length) return fail(`flag needs an argument: -${name}`);
      value = args[++i]!;
    }
    if (kind === 'int') {
      const n = parseGoInt(value);
      if (n === undefined || !Number.isSafeInteger(n))
        return fail(`invalid value ${JSON.stringify(value)} for flag -${name}: parse error`);
      if (field) (options[field] as number) = n;
    } else if (kind === 'list') {
      (options[field as 'iface' | 'ifaceRegex'] as string[]).push(value);
    } else if (field) {
      (options[field] as string) = value;
    }
  }
  return { ok: true, options, rest: args.slice(i) };
}

/** `%+v` of flanneld's CmdLineOpts, the text after `CLI flags config: `. */
export function formatCliFlags(o: FlanneldOptions): string {
  const fields: [string, string | number | boolean][] = [
    ['etcdEndpoints', o.etcdEndpoints],
    ['etcdPrefix', o.etcdPrefix],
    ['etcdKeyfile', o.etcdKeyfile],
    ['etcdCertfile', o.etcdCertfile],
    ['etcdCAFile', o.etcdCAFile],
    ['etcdUsername', o.etcdUsername],
    ['etcdPassword', o.etcdPassword],
    ['version', o.version],
    ['kubeSubnetMgr', o.kubeSubnetMgr],
    ['kubeApiUrl', o.kubeApiUrl],
    ['kubeAnnotationPrefix', o.kubeAnnotationPrefix],
    ['kubeConfigFile', o.kubeConfigFile],
    ['iface', goSlice(o.iface)],
    ['ifaceRegex', goSlice(o.ifaceRegex)],
    ['ipMasq', o.ipMasq],
    ['ifaceCanReach', o.ifaceCanReach],
    ['subnetFile', o.subnetFile],
    ['publicIP', o.publicIP],
    ['publicIPv6', o.publicIPv6],
    ['subnetLeaseRenewMargin', o.subnetLeaseRenewMargin],
    ['healthzIP', o.healthzIP],
    ['healthzPort', o.healthzPort],
    ['iptablesResyncSeconds', o.iptablesResyncSeconds],
    ['iptablesForwardRules', o.iptablesForwardRules],
    ['netConfPath', o.netConfPath],
    ['setNodeNetworkUnavailable', o.setNodeNetworkUnavailable],
  ];
  return `{${fields.map(([k, v]) => `${k}:${v}`).join(' ')}}`;
}
