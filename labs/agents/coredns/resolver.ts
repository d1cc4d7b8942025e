/**
 * The CoreDNS `kubernetes` plugin (as in CoreDNS 1.11) answering from a snapshot of Services,
 * EndpointSlices and Pods, plus what happens to names it is not authoritative for (the
 * `forward . /etc/resolv.conf` plugin, which in a lab without internet fails).
 *
 * Behaviour kept from CoreDNS on purpose, because learners see it:
 * - a name that exists with no record of the asked type is NOERROR with an empty answer and the
 *   zone's SOA (`ns.dns.cluster.local. hostmaster.cluster.local. <serial> 7200 1800 86400 <ttl>`);
 *   a name that does not exist is NXDOMAIN with the same SOA. Both are authoritative (aa), never ra.
 * - TXT is answered only for `dns-version.<zone>` ("1.1.0"); any other TXT query is NODATA, even for
 *   names that do not exist. SOA queries return the zone's SOA whatever name was asked.
 * - a headless Service answers with every ready endpoint address; a Service (or headless one)
 *   without ready endpoints, or a ClusterIP Service without ports, is NXDOMAIN.
 * - an ExternalName Service is a CNAME; its target is looked up internally when it is in the
 *   cluster zone, otherwise through the upstream, and the CNAME is answered even when that fails.
 * - PTR for ClusterIPs and ready endpoint IPs; other reverse names fall through to the upstream.
 * - `pods insecure`: 1-2-3-4.<ns>.pod.<zone> answers 1.2.3.4 for any existing namespace.
 * - names in namespaces that do not exist are NXDOMAIN; `<ns>.svc.<zone>` of one that does is NODATA.
 */
import {
  buildIndex,
  type ClusterIndex,
  type ClusterSnapshot,
  type ClusterSource,
  type EndpointAddress,
  type EndpointSet,
  fingerprint,
  type KubeObject,
  key,
  readSource,
  type ServiceInfo,
} from './cluster.ts';
import { addressFromReverse, parseIP } from './ip.ts';
import {
  CLASS,
  canonicalName,
  fqdn,
  isSubdomain,
  type Question,
  RCODE,
  type ResourceRecord,
  TYPE,
} from './message.ts';

/** The kubernetes plugin's own default TTL when the Corefile has no `ttl` line. */
export const KUBERNETES_PLUGIN_DEFAULT_TTL = 5;
/** kubeadm's Corefile says `ttl 30`, which is what every kubeadm cluster serves. */
export const KUBEADM_TTL = 30;
export const DNS_SCHEMA_VERSION = '1.1.0';
const DNS_VERSION_TTL = 28800;

export type PodMode = 'disabled' | 'insecure' | 'verified';

export interface UpstreamAnswer {
  rcode: number;
  answers?: ResourceRecord[];
  authority?: ResourceRecord[];
  additional?: ResourceRecord[];
  authoritative?: boolean;
  recursionAvailable?: boolean;
  /**
   * The forward plugin could not get an answer at all (timeout, refused connection...): the server
   * answers SERVFAIL itself and the errors plugin logs `[ERROR] plugin/errors: 2 <name> <type>: <error>`.
   */
  error?: string;
}

/** Resolves names outside the cluster zone (what `forward . /etc/resolv.conf` reaches). */
export type Upstream = (question: Question) => UpstreamAnswer | Promise<UpstreamAnswer>;

export interface ResolverOptions {
  /** Cluster domain (the first zone of the kubernetes plugin). Default cluster.local. */
  zone?: string;
  /** Further zones the plugin is authoritative for. Default in-addr.arpa and ip6.arpa. */
  reverseZones?: string[];
  /** Answer TTL. Default 30 (kubeadm's Corefile); the plugin alone would use 5. */
  ttl?: number;
  /** Default insecure, as kubeadm configures. */
  pods?: PodMode;
  /** Zones whose NXDOMAIN passes on to the upstream; ['.'] for all. Default the reverse zones. */
  fallthrough?: string[];
  /** `namespaces` directive: only these are served (default all). */
  namespaces?: string[];
  /** `endpoint_pod_names`: endpoints without a hostname are named after their pod. */
  endpointPodNames?: boolean;
  /** `ignore empty_service`: NXDOMAIN for ClusterIP Services without ready endpoints. */
  ignoreEmptyService?: boolean;
  /**
   * The CoreDNS pod's own addresses: the NS record names the Service whose endpoints include
   * them. Default: the first ready endpoint of kube-system/kube-dns.
   */
  localIPs?: string[];
  /** Default: every query fails at once with an i/o timeout (a lab has no internet). */
  upstream?: Upstream;
  /** The node's nameservers `forward . /etc/resolv.conf` would use; only for the error text. */
  forwardTo?: string[];
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export interface ErrorLine {
  rcode: number;
  name: string;
  type: number;
  message: string;
}

/** A question the server answered on its own behalf while resolving (CoreDNS logs those too). */
export interface InternalLookup {
  question: Question;
  answer: UpstreamAnswer;
}

export interface Resolution {
  rcode: number;
  authoritative: boolean;
  recursionAvailable: boolean;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  /** Which plugin wrote the answer. */
  plugin: 'kubernetes' | 'forward';
  errors: ErrorLine[];
  lookups: InternalLookup[];
  /**
   * A plugin failed instead of answering (forward could not reach an upstream): no plugin wrote a
   * message, so nothing is cached and the server itself answers SERVFAIL.
   */
  pluginError?: string;
}

type NameError = 'no-items' | 'ns-not-exposed' | 'invalid';

/** CoreDNS's msg.Service: one candidate record before it becomes A/AAAA/CNAME/SRV/TXT. */
interface Entry {
  host: string;
  port: number;
  ttl: number;
  /** The name the record is known by (SRV targets, NS names). */
  owner: string;
  text?: string;
}

interface Lookup {
  entries: Entry[];
  error?: NameError;
}

interface RecordRequest {
  port: string;
  protocol: string;
  endpoint: string;
  service: string;
  namespace: string;
  podOrSvc: string;
}

interface Ctx {
  index: ClusterIndex;
  /** Matched zone, lower case, fully qualified. */
  zone: string;
  /** The same zone spelled as in the query (CoreDNS keeps the client's case). */
  zoneAsAsked: string;
  errors: ErrorLine[];
  lookups: InternalLookup[];
}

function defaultUpstream(options: ResolverOptions): Upstream {
  return () => {
    const to = options.forwardTo?.[0];
    const from = options.localIPs?.[0];
    const port = 32768 + Math.floor(Math.random() * 28000);
    const message = to && from ? `read udp ${from}:${port}->${to}:53: i/o timeout` : 'i/o timeout';
    return { rcode: RCODE.SERVFAIL, error: message };
  };
}

function record(name: string, type: number, ttl: number, data: ResourceRecord['data']): ResourceRecord {
  return { name, type, class: CLASS.IN, ttl, data };
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

function eqFold(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function matchPortAndProtocol(aPort: string, bPort: string, aProto: string, bProto: string): boolean {
  return (aPort === '' || eqFold(aPort, bPort)) && (aProto === '' || eqFold(aProto, bProto));
}

function labels(name: string): string[] {
  const n = name.replace(/\.$/, '');
  return n === '' ? [] : n.split('.');
}

function hostType(host: string): number {
  const ip = parseIP(host);
  if (!ip) return TYPE.CNAME;
  return ip.family === 4 ? TYPE.A : TYPE.AAAA;
}

/** The label an endpoint is known by: its hostname, its pod's name (endpoint_pod_names) or its dashed IP. */
function endpointHostname(addr: EndpointAddress, podNames: boolean): string {
  if (addr.hostname) return addr.hostname;
  if (podNames && addr.targetRefName) return addr.targetRefName;
  if (addr.ip.includes('.')) return addr.ip.replaceAll('.', '-');
  if (addr.ip.includes(':')) return addr.ip.replaceAll(':', '-');
  return '';
}

function sameList(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.length !== b.length) return false;
  return a.every((x, i) => x === b[i]);
}

function sameObjects(a: ClusterSnapshot, b: ClusterSnapshot): boolean {
  return (
    sameList(a.services, b.services) &&
    sameList(a.slices, b.slices) &&
    sameList(a.endpoints, b.endpoints) &&
    sameList(a.pods, b.pods) &&
    sameList(a.namespaces, b.namespaces)
  );
}

export class KubernetesResolver {
  readonly #source: ClusterSource;
  #options: ResolverOptions;
  #zones: string[] = [];
  #lastPrint: string | undefined;
  #last: { snapshot: ClusterSnapshot; index: ClusterIndex } | undefined;
  #serial: number;

  constructor(source: ClusterSource, options: ResolverOptions = {}) {
    this.#source = source;
    this.#options = {};
    this.configure(options);
    this.#serial = Math.floor(this.#now() / 1000);
  }

  /** Change options (a reloaded Corefile); unspecified ones keep their value. */
  configure(options: ResolverOptions): void {
    this.#options = { ...this.#options, ...options };
    this.#zones = [this.zone, ...this.#reverseZones()];
  }

  get zone(): string {
    return canonicalName(this.#options.zone ?? 'cluster.local');
  }

  get ttl(): number {
    return this.#options.ttl ?? KUBEADM_TTL;
  }

  #reverseZones(): string[] {
    return (this.#options.reverseZones ?? ['in-addr.arpa', 'ip6.arpa']).map(canonicalName);
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  get #podMode(): PodMode {
    return this.#options.pods ?? 'insecure';
  }

  get #upstream(): Upstream {
    return this.#options.upstream ?? defaultUpstream(this.#options);
  }

  /** The zone of this plugin that `name` falls in (the longest match), if any. */
  matchZone(name: string): string | undefined {
    let best: string | undefined;
    for (const z of this.#zones) {
      if (isSubdomain(name, z) && (!best || z.length > best.length)) best = z;
    }
    return best;
  }

  async resolve(question: Question): Promise<Resolution> {
    const qname = fqdn(question.name);
    const zone = this.matchZone(qname);
    const errors: ErrorLine[] = [];
    const lookups: InternalLookup[] = [];
    if (!zone) return this.#forward(question, errors);

    const snapshot = await readSource(this.#source);
    const ctx: Ctx = {
      index: this.#indexFor(snapshot),
      zone,
      zoneAsAsked: qname.slice(qname.length - zone.length),
      errors,
      lookups,
    };
    let records: ResourceRecord[] = [];
    let extra: ResourceRecord[] = [];
    let error: NameError | undefined;
    switch (question.type) {
      case TYPE.A:
      case TYPE.AAAA:
        ({ records, error } = await this.#address(ctx, qname, question.type, []));
        break;
      case TYPE.TXT:
        ({ records, error } = this.#txt(ctx, qname));
        break;
      case TYPE.CNAME:
        ({ records, error } = this.#cname(ctx, qname));
        break;
      case TYPE.PTR:
        ({ records, error } = this.#ptr(ctx, qname));
        break;
      case TYPE.MX:
        // No kubernetes entry is a mail exchanger; only the existence of the name matters.
        ({ error } = this.#services(ctx, qname, TYPE.MX));
        break;
      case TYPE.SRV:
        ({ records, extra, error } = this.#srv(ctx, qname));
        break;
      case TYPE.SOA:
        records = [this.#soa(ctx)];
        break;
      case TYPE.NS:
        // Below the apex CoreDNS runs its existence check with the NS type still set, which finds
        // its own name servers: NS questions are never NXDOMAIN.
        if (canonicalName(qname) === zone) ({ records, extra } = this.#ns(ctx, qname));
        break;
      default:
        // A fake A lookup tells NODATA from NXDOMAIN for every other type.
        ({ error } = await this.#address(ctx, qname, TYPE.A, []));
    }

    if (error) {
      if (this.#fallsThrough(qname)) return this.#forward(question, errors);
      return this.#backend(ctx, RCODE.NXDOMAIN);
    }
    if (records.length === 0) return this.#backend(ctx, RCODE.NOERROR);
    return {
      rcode: RCODE.NOERROR,
      authoritative: true,
      recursionAvailable: false,
      answers: records,
      authority: [],
      additional: extra,
      plugin: 'kubernetes',
      errors,
      lookups,
    };
  }

  /** The SOA serial: when the Services or endpoints last changed (unix seconds). */
  serial(): number {
    return this.#source.modified?.() ?? this.#serial;
  }

  /**
   * The index for a snapshot, rebuilt only when some object is not the very one seen last time (a
   * store that replaces changed objects keeps lookups cheap); a rebuild that changes what DNS
   * answers also moves the SOA serial.
   */
  #indexFor(snapshot: ClusterSnapshot): ClusterIndex {
    const last = this.#last;
    if (last && sameObjects(last.snapshot, snapshot)) return last.index;
    const index = buildIndex(snapshot);
    if (!this.#source.modified) {
      const print = fingerprint(snapshot);
      if (this.#lastPrint !== undefined && print !== this.#lastPrint)
        this.#serial = Math.floor(this.#now() / 1000);
      this.#lastPrint = print;
    }
    // Copies: a source may hand out the same array and change it in place.
    const copy = (l?: readonly KubeObject[]) => l && [...l];
    this.#last = {
      snapshot: {
        services: [...snapshot.services],
        slices: copy(snapshot.slices),
        endpoints: copy(snapshot.endpoints),
        pods: [...snapshot.pods],
        namespaces: copy(snapshot.namespaces),
      },
      index,
    };
    return index;
  }

  #fallsThrough(name: string): boolean {
    const zones = this.#options.fallthrough ?? this.#reverseZones();
    return zones.some((z) => isSubdomain(name, z));
  }

  async #forward(question: Question, errors: ErrorLine[]): Promise<Resolution> {
    let answer: UpstreamAnswer;
    try {
      answer = await this.#upstream(question);
    } catch (e) {
      answer = { rcode: RCODE.SERVFAIL, error: e instanceof Error ? e.message : String(e) };
    }
    if (answer.error !== undefined) {
      errors.push({
        rcode: RCODE.SERVFAIL,
        name: canonicalName(question.name),
        type: question.type,
        message: answer.error,
      });
      return {
        rcode: RCODE.SERVFAIL,
        authoritative: false,
        recursionAvailable: false,
        answers: [],
        authority: [],
        additional: [],
        plugin: 'forward',
        errors,
        lookups: [],
        pluginError: answer.error,
      };
    }
    return {
      rcode: answer.rcode,
      authoritative: answer.authoritative ?? false,
      recursionAvailable: answer.recursionAvailable ?? true,
      answers: answer.answers ?? [],
      authority: answer.authority ?? [],
      additional: answer.additional ?? [],
      plugin: 'forward',
      errors,
      lookups: [],
    };
  }

  #backend(ctx: Ctx, rcode: number): Resolution {
    return {
      rcode,
      authoritative: true,
      recursionAvailable: false,
      answers: [],
      authority: [this.#soa(ctx)],
      additional: [],
      plugin: 'kubernetes',
      errors: ctx.errors,
      lookups: ctx.lookups,
    };
  }

  #soa(ctx: Ctx): ResourceRecord {
    const z = ctx.zoneAsAsked;
    return record(z, TYPE.SOA, Math.min(this.ttl, 300), {
      kind: 'soa',
      mname: `ns.dns.${z}`,
      rname: `hostmaster.${z}`,
      serial: this.serial() >>> 0,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: this.ttl,
    });
  }

  // ------------------------------------------------------------ record builders (plugin/backend_lookup.go)

  async #address(
    ctx: Ctx,
    qname: string,
    type: number,
    previous: ResourceRecord[],
  ): Promise<{ records: ResourceRecord[]; error?: NameError }> {
    const lookup = canonicalName(qname) === ctx.zone ? { entries: [] } : this.#services(ctx, qname, type);
    if (lookup.error) return { records: [], error: lookup.error };
    const records: ResourceRecord[] = [];
    const seen = new Set<string>();
    for (const e of lookup.entries) {
      const what = hostType(e.host);
      if (what === TYPE.CNAME) {
        const target = fqdn(e.host);
        // x CNAME x (or a name below itself) would loop.
        if (isSubdomain(target, qname)) continue;
        const cname = record(qname, TYPE.CNAME, e.ttl, { kind: 'name', name: target });
        if (previous.length > 7) continue;
        const sameTarget = (r: ResourceRecord) =>
          r.type === TYPE.CNAME &&
          r.data.kind === 'name' &&
          canonicalName(r.data.name) === canonicalName(target);
        if (previous.some(sameTarget)) continue;
        if (isSubdomain(target, ctx.zone)) {
          const next = await this.#address(ctx, target, type, [...previous, cname]);
          if (!next.error && next.records.length > 0) records.push(cname, ...next.records);
          continue;
        }
        const question = { name: target, type, class: CLASS.IN };
        const answer = await this.#lookupUpstream(ctx, question);
        records.push(cname, ...(answer.answers ?? []));
        continue;
      }
      if (what !== type) continue;
      const ip = parseIP(e.host)!.address;
      if (seen.has(ip)) continue;
      seen.add(ip);
      records.push(record(qname, type, e.ttl, { kind: 'address', address: ip }));
    }
    return { records };
  }

  /** What `Lookup` does for out-of-zone CNAME targets: ask the whole server again, here the upstream. */
  async #lookupUpstream(ctx: Ctx, question: Question): Promise<UpstreamAnswer> {
    let answer: UpstreamAnswer;
    try {
      answer = await this.#upstream(question);
    } catch (e) {
      answer = { rcode: RCODE.SERVFAIL, error: e instanceof Error ? e.message : String(e) };
    }
    if (answer.error !== undefined) {
      ctx.errors.push({
        rcode: RCODE.SERVFAIL,
        name: canonicalName(question.name),
        type: question.type,
        message: answer.error,
      });
    }
    ctx.lookups.push({ question, answer });
    return answer.error !== undefined ? { rcode: RCODE.SERVFAIL } : answer;
  }

  #txt(ctx: Ctx, qname: string): { records: ResourceRecord[]; error?: NameError } {
    const lookup = this.#services(ctx, qname, TYPE.TXT);
    if (lookup.error) return { records: [], error: lookup.error };
    const records = lookup.entries
      .filter((e) => e.text !== undefined)
      .map((e) => record(qname, TYPE.TXT, e.ttl, { kind: 'txt', texts: [e.text!] }));
    return { records };
  }

  #cname(ctx: Ctx, qname: string): { records: ResourceRecord[]; error?: NameError } {
    const lookup = this.#services(ctx, qname, TYPE.CNAME);
    if (lookup.error) return { records: [], error: lookup.error };
    const first = lookup.entries[0];
    if (!first || parseIP(first.host)) return { records: [] };
    return { records: [record(qname, TYPE.CNAME, first.ttl, { kind: 'name', name: fqdn(first.host) })] };
  }

  #ptr(ctx: Ctx, qname: string): { records: ResourceRecord[]; error?: NameError } {
    const ip = addressFromReverse(qname);
    if (!ip) {
      const { error } = this.#records(ctx, qname);
      return { records: [], error };
    }
    const hosts = this.#serviceNamesForIP(ctx, ip);
    if (hosts.length === 0) return { records: [], error: 'no-items' };
    const records = [...new Set(hosts)].map((h) =>
      record(qname, TYPE.PTR, this.ttl, { kind: 'name', name: h }),
    );
    return { records };
  }

  #serviceNamesForIP(ctx: Ctx, ip: string): string[] {
    const primary = this.zone;
    for (const svc of ctx.index.byClusterIP.get(ip) ?? []) {
      if (!this.#configuredNamespace(svc.namespace)) continue;
      return [`${svc.name}.${svc.namespace}.svc.${primary}`];
    }
    const names: string[] = [];
    for (const set of ctx.index.byEndpointIP.get(ip) ?? []) {
      if (!this.#configuredNamespace(set.namespace)) continue;
      for (const a of set.addresses) {
        if (a.ip !== ip) continue;
        names.push(
          `${endpointHostname(a, !!this.#options.endpointPodNames)}.${set.service}.${set.namespace}.svc.${primary}`,
        );
      }
    }
    return names;
  }

  #srv(ctx: Ctx, qname: string): { records: ResourceRecord[]; extra: ResourceRecord[]; error?: NameError } {
    const lookup = this.#services(ctx, qname, TYPE.SRV);
    if (lookup.error) return { records: [], extra: [], error: lookup.error };
    // Every entry weighs 100; an SRV record gets its share of the priority's total, in percent.
    const total = lookup.entries.length * 100;
    const records: ResourceRecord[] = [];
    const extra: ResourceRecord[] = [];
    const seenSrv = new Set<string>();
    const seenAddr = new Set<string>();
    for (const e of lookup.entries) {
      if (e.port === -1) continue;
      const weight = Math.max(1, Math.floor((100 / total) * 100));
      const what = hostType(e.host);
      if (what === TYPE.CNAME) continue;
      const target = e.owner;
      const srvKey = `${canonicalName(target)}|${e.port}`;
      if (!seenSrv.has(srvKey)) {
        seenSrv.add(srvKey);
        records.push(
          record(qname, TYPE.SRV, e.ttl, { kind: 'srv', priority: 0, weight, port: e.port, target }),
        );
      }
      const ip = parseIP(e.host)!.address;
      const addrKey = `${canonicalName(target)}|${ip}`;
      if (!seenAddr.has(addrKey)) {
        seenAddr.add(addrKey);
        extra.push(record(target, what, e.ttl, { kind: 'address', address: ip }));
      }
    }
    return { records, extra };
  }

  #ns(ctx: Ctx, qname: string): { records: ResourceRecord[]; extra: ResourceRecord[] } {
    const records: ResourceRecord[] = [];
    const extra: ResourceRecord[] = [];
    const seen = new Set<string>();
    for (const { owner, ip } of this.#nsAddrs(ctx)) {
      const parsed = parseIP(ip);
      if (!parsed) continue;
      extra.push(
        record(owner, parsed.family === 4 ? TYPE.A : TYPE.AAAA, this.ttl, {
          kind: 'address',
          address: parsed.address,
        }),
      );
      if (seen.has(canonicalName(owner))) continue;
      seen.add(canonicalName(owner));
      records.push(record(qname, TYPE.NS, this.ttl, { kind: 'name', name: owner }));
    }
    return { records, extra };
  }

  /** The records naming this CoreDNS: the Service in front of its own pod IP, or ns.dns.<zone>. */
  #nsAddrs(ctx: Ctx): { owner: string; ip: string }[] {
    const z = ctx.zoneAsAsked;
    const local = this.#options.localIPs ?? this.#kubeDnsEndpoint(ctx);
    const out: { owner: string; ip: string }[] = [];
    for (const raw of local) {
      const ip = parseIP(raw)?.address ?? raw;
      for (const set of ctx.index.byEndpointIP.get(ip) ?? []) {
        const svc = ctx.index.services.get(key(set.namespace, set.service));
        if (!svc) continue;
        const svcName = `${svc.name}.${svc.namespace}.svc.${z}`;
        if (svc.headless) {
          for (const a of set.addresses) {
            out.push({
              owner: `${endpointHostname(a, !!this.#options.endpointPodNames)}.${svcName}`,
              ip: a.ip,
            });
          }
        } else if (svc.clusterIPs[0]) {
          out.push({ owner: svcName, ip: svc.clusterIPs[0] });
        }
      }
    }
    if (out.length === 0) return local.map((ip) => ({ owner: `ns.dns.${z}`, ip }));
    return out;
  }

  #kubeDnsEndpoint(ctx: Ctx): string[] {
    for (const set of ctx.index.endpoints.get(key('kube-system', 'kube-dns')) ?? []) {
      if (set.addresses[0]) return [set.addresses[0].ip];
    }
    return [];
  }

  // ------------------------------------------------------------ the plugin's Services/Records (kubernetes.go)

  #services(ctx: Ctx, qname: string, type: number): Lookup {
    const name = canonicalName(qname);
    const rest = labels(name.slice(0, name.length - ctx.zone.length));
    if (type === TYPE.TXT) {
      if (rest.length === 1 && rest[0] === 'dns-version') {
        return {
          entries: [{ host: '', port: 0, ttl: DNS_VERSION_TTL, owner: qname, text: DNS_SCHEMA_VERSION }],
        };
      }
      return { entries: [] };
    }
    if (type === TYPE.NS) {
      return {
        entries: this.#nsAddrs(ctx).map((n) => ({ host: n.ip, port: 0, ttl: this.ttl, owner: n.owner })),
      };
    }
    if (rest.length === 2 && rest[0] === 'ns' && rest[1] === 'dns') {
      const entries = this.#nsAddrs(ctx)
        .filter((n) => hostType(n.ip) === type)
        .map((n) => ({ host: n.ip, port: 0, ttl: this.ttl, owner: qname }));
      return { entries };
    }
    const found = this.#records(ctx, qname);
    if (type !== TYPE.SRV) return found;
    // No SRV for ExternalName Services.
    return { ...found, entries: found.entries.filter((e) => hostType(e.host) !== TYPE.CNAME) };
  }

  #parseRequest(name: string, zone: string): { request?: RecordRequest; error?: NameError } {
    const base = name.slice(0, name.length - zone.length).replace(/\.$/, '');
    if (base === '' || base === 'svc' || base === 'pod') return {};
    const segs = base.split('.');
    const r: RecordRequest = {
      port: '',
      protocol: '',
      endpoint: '',
      service: '',
      namespace: '',
      podOrSvc: '',
    };
    let last = segs.length - 1;
    r.podOrSvc = segs[last];
    if (r.podOrSvc !== 'pod' && r.podOrSvc !== 'svc') return { error: 'invalid' };
    if (--last < 0) return { request: r };
    r.namespace = segs[last];
    if (--last < 0) return { request: r };
    r.service = segs[last];
    if (--last < 0) return { request: r };
    if (last === 0) {
      r.endpoint = segs[0];
    } else if (last === 1) {
      r.protocol = stripUnderscore(segs[1]);
      r.port = stripUnderscore(segs[0]);
    } else {
      return { error: 'invalid' };
    }
    return { request: r };
  }

  #records(ctx: Ctx, qname: string): Lookup {
    const name = canonicalName(qname);
    const { request: r, error } = this.#parseRequest(name, ctx.zone);
    if (error) return { entries: [], error };
    if (!r || r.podOrSvc === '') return { entries: [] };
    if (name.endsWith('.in-addr.arpa.') || name.endsWith('.ip6.arpa.')) {
      return { entries: [], error: 'no-items' };
    }
    if (!this.#namespaceExposed(ctx, r.namespace)) return { entries: [], error: 'ns-not-exposed' };
    if (r.podOrSvc === 'pod') return this.#findPods(ctx, r);
    return this.#findServices(ctx, r);
  }

  #configuredNamespace(ns: string): boolean {
    const only = this.#options.namespaces;
    return !only || only.length === 0 || only.includes(ns);
  }

  #namespaceExposed(ctx: Ctx, ns: string): boolean {
    return this.#configuredNamespace(ns) && ctx.index.namespaces.has(ns);
  }

  #findPods(ctx: Ctx, r: RecordRequest): Lookup {
    if (this.#podMode === 'disabled') return { entries: [], error: 'no-items' };
    const podname = r.service;
    if (podname === '') return { entries: [] };
    const dashes = podname.split('-').length - 1;
    const text =
      dashes === 3 && !podname.includes('--') ? podname.replaceAll('-', '.') : podname.replaceAll('-', ':');
    const ip = parseIP(text);
    if (!ip) return { entries: [], error: 'no-items' };
    const owner = `${podname}.${r.namespace}.pod.${ctx.zoneAsAsked}`;
    const entry = { host: ip.address, port: 0, ttl: this.ttl, owner };
    if (this.#podMode === 'insecure') return { entries: [entry] };
    const exists = ctx.index.pods.some((p) => eqFold(p.namespace, r.namespace) && p.ips.includes(ip.address));
    return exists ? { entries: [entry] } : { entries: [], error: 'no-items' };
  }

  #findServices(ctx: Ctx, r: RecordRequest): Lookup {
    if (r.service === '') return { entries: [] };
    const svc = ctx.index.services.get(key(r.namespace, r.service));
    if (!svc) return { entries: [], error: 'no-items' };
    const sets = ctx.index.endpoints.get(key(svc.namespace, svc.name)) ?? [];
    const entries: Entry[] = [];
    let found = false;
    const svcName = `${svc.name}.${svc.namespace}.svc.${ctx.zoneAsAsked}`;

    if (this.#options.ignoreEmptyService && svc.type !== 'ExternalName' && !svc.headless) {
      if (!sets.some((s) => s.addresses.length > 0)) return { entries: [], error: 'no-items' };
    }
    if (svc.type === 'ExternalName') {
      if (r.endpoint !== '') return { entries: [], error: 'no-items' };
      if (svc.externalName && hostType(svc.externalName) === TYPE.CNAME) {
        return { entries: [{ host: svc.externalName, port: 0, ttl: this.ttl, owner: svcName }] };
      }
      return { entries: [], error: 'no-items' };
    }
    if (svc.headless || r.endpoint !== '') {
      const podNames = !!this.#options.endpointPodNames;
      for (const set of sets) {
        for (const a of set.addresses) {
          const hostname = endpointHostname(a, podNames);
          if (r.endpoint !== '' && !eqFold(r.endpoint, hostname)) continue;
          for (const p of set.ports) {
            if (!matchPortAndProtocol(r.port, p.name, r.protocol, p.protocol)) continue;
            found = true;
            entries.push({ host: a.ip, port: p.port, ttl: this.ttl, owner: `${hostname}.${svcName}` });
          }
        }
      }
      return found ? { entries } : { entries, error: 'no-items' };
    }
    for (const p of svc.ports) {
      if (!matchPortAndProtocol(r.port, p.name, r.protocol, p.protocol)) continue;
      found = true;
      for (const ip of svc.clusterIPs)
        entries.push({ host: ip, port: p.port, ttl: this.ttl, owner: svcName });
    }
    return found ? { entries } : { entries, error: 'no-items' };
  }
}

export type { ClusterSource, EndpointSet, ServiceInfo };
