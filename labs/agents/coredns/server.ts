/**
 * One CoreDNS instance serving DNS on sockets it is given: a bound dgram.Socket and a listening
 * net.Server created inside a pod's network namespace by someone else. The plugin chain is the
 * kubeadm one, in CoreDNS's order: errors -> log -> loadbalance -> cache -> kubernetes -> forward.
 *
 * Nothing a client sends can throw out of here: packets too short for a header and responses
 * (QR set) are dropped, other malformed queries get FORMERR, unknown opcodes NOTIMP, EDNS versions
 * above 0 BADVERS - the answers miekg/dns gives before CoreDNS's plugins ever see a query.
 */
import type dgram from 'node:dgram';
import http from 'node:http';
import type net from 'node:net';
import { type CachedReply, ResponseCache } from './cache.ts';
import { kubeadmCorefile, type ServerSettings, serverSettings } from './corefile.ts';
import { errorLogLine, queryLogLine, reloadLines, shutdownLines, startupLines } from './logs.ts';
import {
  canonicalName,
  type DnsHeader,
  type DnsMessage,
  decodeHeader,
  decodeMessage,
  EDNS_OPTION,
  type Edns,
  encodeMessage,
  encodeToFit,
  frameTcp,
  HEADER_SIZE,
  MAX_MESSAGE_SIZE,
  MIN_UDP_SIZE,
  OPCODE,
  type Question,
  RCODE,
  type ResourceRecord,
  TcpFrameDecoder,
  TYPE,
} from './message.ts';
import type { KubernetesResolver, Resolution } from './resolver.ts';

export interface CoreDnsServerOptions {
  resolver: KubernetesResolver;
  /** Receives each log line CoreDNS would print (what `kubectl logs` shows). */
  log?: (line: string) => void;
  /**
   * The Corefile to run. When given, its kubernetes directive reconfigures the resolver. When
   * omitted, kubeadm's Corefile for the resolver's zone decides the plugins (cache 30,
   * loadbalance, errors, no query log) and the resolver keeps its own options.
   */
  corefile?: string;
  /** Randomness for loadbalance's shuffle (tests). */
  random?: () => number;
  /** Clock in milliseconds, for the cache (tests). */
  now?: () => number;
}

export interface Transport {
  proto: 'udp' | 'tcp';
  remoteAddress: string;
  remotePort: number;
}

/** Idle time after which CoreDNS (miekg/dns) closes a TCP connection. */
const TCP_IDLE_MS = 8000;

const SUPPORTED_OPTIONS: Set<number> = new Set([
  EDNS_OPTION.NSID,
  EDNS_OPTION.EXPIRE,
  EDNS_OPTION.COOKIE,
  EDNS_OPTION.TCP_KEEPALIVE,
  EDNS_OPTION.PADDING,
]);

const SORTED_TYPES: Set<number> = new Set([TYPE.CNAME, TYPE.A, TYPE.AAAA, TYPE.MX]);

function replyHeader(req: DnsHeader, rcode: number): DnsHeader {
  return {
    id: req.id,
    qr: true,
    opcode: req.opcode,
    aa: false,
    tc: false,
    rd: req.rd,
    ra: false,
    z: false,
    ad: false,
    cd: req.cd,
    rcode,
  };
}

/** CoreDNS echoes the client's OPT: same UDP size, DO bit, and the options it understands. */
function echoEdns(edns: Edns): Edns {
  return {
    udpSize: edns.udpSize,
    version: 0,
    dnssecOk: edns.dnssecOk,
    options: edns.options.filter((o) => SUPPORTED_OPTIONS.has(o.code)),
  };
}

export class CoreDnsServer {
  readonly resolver: KubernetesResolver;
  readonly #log: (line: string) => void;
  readonly #random: () => number;
  readonly #now: () => number;
  #corefile: string;
  #settings!: ServerSettings;
  #cache: ResponseCache | undefined;
  #started = false;
  #closed = false;
  readonly #udp = new Map<dgram.Socket, (msg: Buffer, rinfo: dgram.RemoteInfo) => void>();
  readonly #tcp = new Map<net.Server, (socket: net.Socket) => void>();
  readonly #http = new Map<net.Server, http.Server>();
  readonly #connections = new Set<net.Socket>();

  constructor(options: CoreDnsServerOptions) {
    this.resolver = options.resolver;
    this.#log = options.log ?? (() => {});
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#corefile = options.corefile ?? kubeadmCorefile(this.resolver.zone.replace(/\.$/, ''));
    this.#apply(this.#corefile, options.corefile !== undefined);
  }

  get corefile(): string {
    return this.#corefile;
  }

  get settings(): ServerSettings {
    return this.#settings;
  }

  #apply(corefile: string, configureResolver: boolean): void {
    const settings = serverSettings(corefile);
    this.#settings = settings;
    this.#cache = settings.cache ? new ResponseCache(settings.cache, this.#now) : undefined;
    if (configureResolver && settings.kubernetes) this.resolver.configure(settings.kubernetes);
  }

  /**
   * A changed Corefile (the ConfigMap was edited): the reload plugin's lines, then the new
   * configuration. A Corefile that does not parse is refused, as CoreDNS keeps the running one.
   */
  reload(corefile: string): void {
    if (corefile === this.#corefile) return;
    try {
      serverSettings(corefile);
    } catch (e) {
      this.#log(`[ERROR] Restart failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const [reloading, sha, complete] = reloadLines(corefile);
    this.#log(reloading);
    this.#corefile = corefile;
    this.#apply(corefile, true);
    this.#log(sha);
    this.#log(complete);
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const line of startupLines(this.#settings.listen, this.#corefile)) this.#log(line);
  }

  serveUdp(socket: dgram.Socket): void {
    if (this.#closed || this.#udp.has(socket)) return;
    this.#start();
    const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      const transport: Transport = { proto: 'udp', remoteAddress: rinfo.address, remotePort: rinfo.port };
      this.handle(msg, transport).then(
        (reply) => {
          if (reply && !this.#closed) {
            try {
              socket.send(reply, rinfo.port, rinfo.address);
            } catch {
              // The socket went away meanwhile.
            }
          }
        },
        () => {},
      );
    };
    socket.on('message', onMessage);
    socket.on('error', () => {});
    this.#udp.set(socket, onMessage);
  }

  serveTcp(server: net.Server): void {
    if (this.#closed || this.#tcp.has(server)) return;
    this.#start();
    const onConnection = (sock: net.Socket) => this.#serveConnection(sock);
    server.on('connection', onConnection);
    server.on('error', () => {});
    this.#tcp.set(server, onConnection);
  }

  #serveConnection(sock: net.Socket): void {
    this.#connections.add(sock);
    const frames = new TcpFrameDecoder();
    const transport: Transport = {
      proto: 'tcp',
      remoteAddress: sock.remoteAddress ?? '',
      remotePort: sock.remotePort ?? 0,
    };
    let queue = Promise.resolve();
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('error', () => {});
    sock.on('close', () => this.#connections.delete(sock));
    sock.on('data', (chunk: Buffer) => {
      for (const query of frames.push(chunk)) {
        if (query.length === 0) {
          sock.destroy();
          return;
        }
        queue = queue.then(async () => {
          try {
            const reply = await this.handle(query, transport);
            if (reply && !sock.destroyed) sock.write(frameTcp(reply));
          } catch {
            // handle() does not throw; a write to a closing socket might.
          }
        });
      }
    });
  }

  /** kubelet's liveness probe target (`health` plugin, :8080/health). */
  serveHealth(server: net.Server): void {
    this.#serveHttp(server, '/health', () => [200, 'OK']);
  }

  /** kubelet's readiness probe target (`ready` plugin, :8181/ready). */
  serveReady(server: net.Server): void {
    this.#serveHttp(server, '/ready', () => [200, 'OK']);
  }

  #serveHttp(server: net.Server, path: string, answer: () => [number, string]): void {
    if (this.#closed || this.#http.has(server)) return;
    const h = http.createServer((req, res) => {
      const [status, body] =
        new URL(req.url ?? '/', 'http://x').pathname === path ? answer() : [404, '404 page not found\n'];
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body);
    });
    server.on('connection', (sock) => {
      this.#connections.add(sock);
      sock.on('close', () => this.#connections.delete(sock));
      h.emit('connection', sock);
    });
    server.on('error', () => {});
    this.#http.set(server, h);
  }

  /** Answer one query from its wire bytes; undefined means "send nothing". Never throws. */
  async handle(bytes: Uint8Array, transport: Transport): Promise<Uint8Array | undefined> {
    try {
      return await this.#handle(bytes, transport);
    } catch (e) {
      // A bug here must not take the daemon down; answer SERVFAIL when the header is readable.
      this.#log(`[ERROR] plugin/errors: internal: ${e instanceof Error ? e.message : String(e)}`);
      try {
        const h = decodeHeader(bytes);
        return encodeMessage({
          header: replyHeader(h, RCODE.SERVFAIL),
          questions: [],
          answers: [],
          authority: [],
          additional: [],
        });
      } catch {
        return undefined;
      }
    }
  }

  async #handle(bytes: Uint8Array, transport: Transport): Promise<Uint8Array | undefined> {
    const started = process.hrtime.bigint();
    if (bytes.length < HEADER_SIZE) return undefined;
    const h = decodeHeader(bytes);
    if (h.qr) return undefined;
    const bare = (rcode: number) =>
      encodeMessage({
        header: replyHeader(h, rcode),
        questions: [],
        answers: [],
        authority: [],
        additional: [],
      });
    if (h.opcode !== OPCODE.QUERY && h.opcode !== OPCODE.NOTIFY) return bare(RCODE.NOTIMP);
    if (h.qdcount !== 1 || h.ancount > 1 || h.nscount > 1 || h.arcount > 2) return bare(RCODE.FORMERR);
    let req: DnsMessage;
    try {
      req = decodeMessage(bytes);
    } catch {
      return bare(RCODE.FORMERR);
    }
    const question = req.questions[0];
    if (req.edns && req.edns.version > 0) {
      return encodeMessage({
        header: replyHeader(req.header, RCODE.BADVERS),
        questions: [question],
        answers: [],
        authority: [],
        additional: [],
        edns: { udpSize: req.edns.udpSize, version: 0, dnssecOk: false, options: [] },
      });
    }
    const dnssecOk = req.edns?.dnssecOk ?? false;

    const { reply, resolution } = await this.#answer(question, dnssecOk, req.header.cd);
    const response: DnsMessage = {
      header: {
        ...replyHeader(req.header, reply.rcode),
        aa: reply.authoritative,
        ra: reply.recursionAvailable,
      },
      questions: [question],
      answers: reply.answers,
      authority: reply.authority,
      additional: reply.additional,
      edns: req.edns ? echoEdns(req.edns) : undefined,
    };
    const limit =
      transport.proto === 'tcp'
        ? MAX_MESSAGE_SIZE
        : Math.min(Math.max(req.edns?.udpSize ?? MIN_UDP_SIZE, MIN_UDP_SIZE), MAX_MESSAGE_SIZE);
    const fitted = encodeToFit(response, limit);
    const bufsize = transport.proto === 'tcp' ? MAX_MESSAGE_SIZE : limit;

    if (resolution && this.#settings.errors) {
      for (const e of resolution.errors) this.#log(errorLogLine(e.rcode, e.name, e.type, e.message));
    }
    if (this.#settings.log) {
      const base = {
        remoteAddress: transport.remoteAddress,
        remotePort: transport.remotePort,
        id: req.header.id,
        proto: transport.proto,
        dnssecOk,
        bufsize,
      };
      // Lookups CoreDNS made through itself (an ExternalName's target) pass the log plugin first.
      for (const l of resolution?.lookups ?? []) {
        const inner = { ...req, questions: [l.question] };
        const failed = l.answer.error !== undefined;
        const innerReply = encodeMessage({
          ...inner,
          header: {
            ...replyHeader(req.header, l.answer.rcode),
            ra: !failed && (l.answer.recursionAvailable ?? true),
          },
          answers: l.answer.answers ?? [],
          authority: l.answer.authority ?? [],
          additional: l.answer.additional ?? [],
          edns: response.edns,
        });
        this.#log(
          queryLogLine({
            ...base,
            type: l.question.type,
            class: l.question.class,
            name: canonicalName(l.question.name),
            requestSize: encodeMessage(inner, { compress: false }).length,
            rcode: l.answer.rcode,
            header: decodeHeader(innerReply),
            responseSize: innerReply.length,
            durationNs: process.hrtime.bigint() - started,
          }),
        );
      }
      this.#log(
        queryLogLine({
          ...base,
          type: question.type,
          class: question.class,
          name: canonicalName(question.name),
          requestSize: bytes.length,
          rcode: reply.rcode,
          header: { ...response.header, tc: fitted.truncated },
          responseSize: fitted.bytes.length,
          durationNs: process.hrtime.bigint() - started,
        }),
      );
    }
    return fitted.bytes;
  }

  /** cache -> kubernetes/forward, then loadbalance's shuffle (which also applies to cache hits). */
  async #answer(
    question: Question,
    dnssecOk: boolean,
    checkingDisabled: boolean,
  ): Promise<{ reply: CachedReply; resolution?: Resolution }> {
    const cache = this.#cache?.covers(question.name) ? this.#cache : undefined;
    const hit = cache?.get(question, dnssecOk, checkingDisabled);
    if (hit) return { reply: this.#loadbalance(hit) };
    const resolution = await this.resolver.resolve(question);
    if (resolution.pluginError !== undefined) return { reply: resolution, resolution };
    const written = cache ? cache.store(question, resolution, dnssecOk, checkingDisabled) : resolution;
    return { reply: this.#loadbalance(written), resolution };
  }

  #loadbalance(reply: CachedReply): CachedReply {
    if (!this.#settings.loadbalance || reply.rcode !== RCODE.NOERROR) return reply;
    return {
      ...reply,
      answers: this.#roundRobin(reply.answers),
      authority: this.#roundRobin(reply.authority),
      additional: this.#roundRobin(reply.additional),
    };
  }

  /** CNAMEs first, then other records, then the address records shuffled (loadbalance round_robin). */
  #roundRobin(records: ResourceRecord[]): ResourceRecord[] {
    const cname = records.filter((r) => r.type === TYPE.CNAME);
    const address = records.filter((r) => r.type === TYPE.A || r.type === TYPE.AAAA);
    const mx = records.filter((r) => r.type === TYPE.MX);
    const rest = records.filter((r) => !SORTED_TYPES.has(r.type));
    for (const list of [address, mx]) {
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(this.#random() * (i + 1));
        [list[i], list[j]] = [list[j], list[i]];
      }
    }
    return [...cname, ...rest, ...address, ...mx];
  }

  /**
   * Stop serving (the pod is going away): the shutdown lines are logged, listeners are removed and
   * the given sockets and servers are closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#started) for (const line of shutdownLines()) this.#log(line);
    for (const [socket, onMessage] of this.#udp) {
      socket.off('message', onMessage);
      try {
        socket.close();
      } catch {
        // Already closed by its owner.
      }
    }
    this.#udp.clear();
    for (const sock of this.#connections) sock.destroy();
    const closing: Promise<void>[] = [];
    for (const [server, onConnection] of this.#tcp) {
      server.off('connection', onConnection);
      closing.push(new Promise((resolve) => server.close(() => resolve())));
    }
    for (const [server, h] of this.#http) {
      h.close();
      closing.push(new Promise((resolve) => server.close(() => resolve())));
    }
    this.#tcp.clear();
    this.#http.clear();
    this.#cache?.clear();
    await Promise.all(closing);
  }
}
