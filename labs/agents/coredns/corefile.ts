/**
 * The Corefile: the text kubeadm puts in ConfigMap kube-system/coredns, and the few directives of
 * it this emulation honours (kubernetes, cache, log, errors, loadbalance). A learner who edits the
 * ConfigMap - adds `log`, changes `ttl`, drops `pods insecure` - gets the behaviour CoreDNS would
 * show after its reload plugin picks the change up.
 */
import type { PodMode, ResolverOptions } from './resolver.ts';

/**
 * kubeadm's Corefile for a cluster domain, as kubeadm 1.32 renders it (CoreDNS 1.11.3). Later
 * kubeadm releases add `disable success/denial <domain>` to the cache block; this one caches
 * cluster answers for up to 30 seconds, as those clusters do.
 */
export function kubeadmCorefile(clusterDomain = 'cluster.local'): string {
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
}

export const KUBEADM_COREFILE = kubeadmCorefile();

/** The ConfigMap kubeadm creates, for the lab to store. */
export function corednsConfigMap(clusterDomain = 'cluster.local'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'coredns', namespace: 'kube-system' },
    data: { Corefile: kubeadmCorefile(clusterDomain) },
  };
}

export interface Directive {
  name: string;
  args: string[];
  block: Directive[];
}

export interface ServerBlock {
  keys: string[];
  directives: Directive[];
}

export class CorefileError extends Error {
  override name = 'CorefileError';
}

interface Token {
  text: string;
  line: number;
  quoted: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '"') {
      let out = '';
      const start = line;
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        if (text[i] === '\n') line++;
        out += text[i++];
      }
      if (i >= text.length) throw new CorefileError(`unterminated quote on line ${start}`);
      i++;
      tokens.push({ text: out, line: start, quoted: true });
      continue;
    }
    let out = '';
    while (i < text.length && !/\s/.test(text[i])) out += text[i++];
    tokens.push({ text: out, line, quoted: false });
  }
  return tokens;
}

/** Server blocks and their directives; snippets and imports are skipped. */
export function parseCorefile(text: string): ServerBlock[] {
  const tokens = tokenize(text);
  let pos = 0;
  const isOpen = (t: Token | undefined) => t && !t.quoted && t.text === '{';
  const isClose = (t: Token | undefined) => t && !t.quoted && t.text === '}';

  const readBlock = (): Directive[] => {
    const out: Directive[] = [];
    for (;;) {
      const t = tokens[pos];
      if (!t) throw new CorefileError('unexpected end of Corefile: missing }');
      if (isClose(t)) {
        pos++;
        return out;
      }
      const line = t.line;
      const words: string[] = [];
      while (tokens[pos] && tokens[pos].line === line && !isOpen(tokens[pos]) && !isClose(tokens[pos])) {
        words.push(tokens[pos++].text);
      }
      let block: Directive[] = [];
      if (isOpen(tokens[pos]) && tokens[pos].line === line) {
        pos++;
        block = readBlock();
      }
      if (words.length > 0) out.push({ name: words[0], args: words.slice(1), block });
    }
  };

  const blocks: ServerBlock[] = [];
  while (pos < tokens.length) {
    const keys: string[] = [];
    while (tokens[pos] && !isOpen(tokens[pos])) {
      for (const k of tokens[pos++].text.split(',')) if (k) keys.push(k);
    }
    if (!tokens[pos]) throw new CorefileError(`server block ${keys.join(' ')} has no {`);
    pos++;
    const directives = readBlock();
    if (keys.length === 1 && /^\(.*\)$/.test(keys[0])) continue;
    blocks.push({ keys, directives });
  }
  return blocks;
}

export interface CacheSettings {
  zones: string[];
  successMaxTtl: number;
  successMinTtl: number;
  successCapacity: number;
  denialMaxTtl: number;
  denialMinTtl: number;
  denialCapacity: number;
  servfailTtl: number;
  disableSuccess: string[];
  disableDenial: string[];
}

export const DEFAULT_CACHE: CacheSettings = {
  zones: ['.'],
  successMaxTtl: 3600,
  successMinTtl: 5,
  successCapacity: 9984,
  denialMaxTtl: 1800,
  denialMinTtl: 5,
  denialCapacity: 9984,
  servfailTtl: 5,
  disableSuccess: [],
  disableDenial: [],
};

export interface ServerSettings {
  /** How CoreDNS prints the server on startup, e.g. ".:53". */
  listen: string[];
  log: boolean;
  errors: boolean;
  loadbalance: boolean;
  cache?: CacheSettings;
  /** Options for the resolver from the kubernetes directive; undefined when the Corefile has none. */
  kubernetes?: ResolverOptions;
}

function seconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) throw new CorefileError(`not a duration: ${text}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n / 1000 : unit === 'm' ? n * 60 : unit === 'h' ? n * 3600 : n;
}

function integer(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new CorefileError(`${what}: not a number: ${text}`);
  return Number(text);
}

function zoneOf(key: string): { zone: string; port: string } {
  const stripped = key.replace(/^dns:\/\//, '');
  const colon = stripped.lastIndexOf(':');
  const zone = colon === -1 ? stripped : stripped.slice(0, colon);
  const port = colon === -1 ? '53' : stripped.slice(colon + 1);
  const z = zone === '' || zone === '.' ? '.' : `${zone.replace(/\.$/, '')}.`;
  return { zone: z, port };
}

function cacheSettings(d: Directive, blockZones: string[]): CacheSettings {
  const c: CacheSettings = { ...DEFAULT_CACHE, zones: blockZones, disableSuccess: [], disableDenial: [] };
  const args = [...d.args];
  if (args[0] !== undefined && /^\d+$/.test(args[0])) {
    const ttl = Number(args.shift());
    c.successMaxTtl = ttl;
    c.denialMaxTtl = ttl;
  }
  if (args.length > 0) c.zones = args.map((z) => zoneOf(z).zone);
  for (const sub of d.block) {
    const [a, b, e] = sub.args;
    switch (sub.name) {
      case 'success':
        c.successCapacity = integer(a, 'cache success');
        if (b !== undefined) c.successMaxTtl = integer(b, 'cache success TTL');
        if (e !== undefined) c.successMinTtl = integer(e, 'cache success MINTTL');
        break;
      case 'denial':
        c.denialCapacity = integer(a, 'cache denial');
        if (b !== undefined) c.denialMaxTtl = integer(b, 'cache denial TTL');
        if (e !== undefined) c.denialMinTtl = integer(e, 'cache denial MINTTL');
        break;
      case 'servfail':
        c.servfailTtl = Math.min(seconds(a, 5), 300);
        break;
      case 'disable': {
        const zones = sub.args.slice(1).map((z) => zoneOf(z).zone);
        const list = zones.length > 0 ? zones : c.zones;
        if (a === 'success') c.disableSuccess.push(...list);
        else if (a === 'denial') c.disableDenial.push(...list);
        else throw new CorefileError(`cache disable: unknown type ${a}`);
        break;
      }
      default:
        // prefetch, serve_stale, keepttl: accepted, not emulated.
        break;
    }
  }
  return c;
}

function kubernetesSettings(d: Directive, blockZones: string[]): ResolverOptions {
  const zones = (d.args.length > 0 ? d.args : blockZones).map((z) => zoneOf(z).zone.replace(/\.$/, ''));
  const isReverse = (z: string) => z.endsWith('in-addr.arpa') || z.endsWith('ip6.arpa');
  const primary = zones.find((z) => !isReverse(z)) ?? 'cluster.local';
  const options: ResolverOptions = {
    zone: primary,
    reverseZones: zones.filter(isReverse),
    ttl: 5,
    pods: 'disabled',
    fallthrough: [],
    namespaces: [],
    endpointPodNames: false,
    ignoreEmptyService: false,
  };
  for (const sub of d.block) {
    switch (sub.name) {
      case 'pods': {
        const mode = sub.args[0];
        if (mode !== 'disabled' && mode !== 'insecure' && mode !== 'verified') {
          throw new CorefileError(`kubernetes: pods must be disabled, insecure or verified, not ${mode}`);
        }
        options.pods = mode as PodMode;
        break;
      }
      case 'ttl': {
        const ttl = integer(sub.args[0], 'kubernetes ttl');
        if (ttl > 3600) throw new CorefileError('kubernetes ttl must be in range [0, 3600]');
        options.ttl = ttl;
        break;
      }
      case 'fallthrough':
        options.fallthrough = sub.args.length > 0 ? sub.args : ['.'];
        break;
      case 'namespaces':
        options.namespaces = sub.args;
        break;
      case 'endpoint_pod_names':
        options.endpointPodNames = true;
        break;
      case 'ignore':
        if (sub.args[0] === 'empty_service') options.ignoreEmptyService = true;
        break;
      default:
        // endpoint, tls, kubeconfig, labels, noendpoints...: nothing to emulate against a snapshot.
        break;
    }
  }
  return options;
}

/** What the emulation needs from a Corefile: the block that serves the root zone (or the first). */
export function serverSettings(corefile: string): ServerSettings {
  const blocks = parseCorefile(corefile);
  if (blocks.length === 0) throw new CorefileError('Corefile has no server block');
  const block = blocks.find((b) => b.keys.some((k) => zoneOf(k).zone === '.')) ?? blocks[0];
  const keys = block.keys.map(zoneOf);
  const zones = keys.map((k) => k.zone);
  const has = (name: string) => block.directives.some((d) => d.name === name);
  const find = (name: string) => block.directives.find((d) => d.name === name);
  const cache = find('cache');
  const kubernetes = find('kubernetes');
  return {
    listen: keys.map((k) => `${k.zone}:${k.port}`),
    log: has('log'),
    errors: has('errors'),
    loadbalance: has('loadbalance'),
    cache: cache ? cacheSettings(cache, zones) : undefined,
    kubernetes: kubernetes ? kubernetesSettings(kubernetes, zones) : undefined,
  };
}
