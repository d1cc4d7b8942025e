/**
 * The kubelet's probe workers for one container instance: startup first (liveness and readiness
 * wait for it), then readiness and liveness on their own periods. A result only flips after
 * successThreshold/failureThreshold consecutive outcomes; every failed attempt is reported (the
 * kubelet's `Unhealthy` event), a flip to failure of liveness or startup asks for a restart.
 */
import type { ProbeAction, ProbeResult } from './pod-runtime.ts';

type Obj = Record<string, any>;

export type ProbeKind = 'readiness' | 'liveness' | 'startup';

export interface ProbeHooks {
  run(action: ProbeAction, timeoutSeconds: number): Promise<ProbeResult>;
  /** One attempt failed; `message` is the event text without the `Readiness probe failed: ` part. */
  attemptFailed(kind: ProbeKind, result: ProbeResult): void;
  readinessChanged(ready: boolean): void;
  startupSucceeded(): void;
  /** Liveness or startup reached its failure threshold. */
  failed(kind: 'liveness' | 'startup'): void;
}

export interface ProbeSettings {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  action: ProbeAction | { error: string };
}

/** Probe spec with the API defaults, and its action resolved against the pod (host, named ports). */
export function probeSettings(probe: Obj, container: Obj, podIP: string): ProbeSettings {
  const num = (v: unknown, d: number) => (typeof v === 'number' && v > 0 ? v : d);
  return {
    initialDelaySeconds:
      typeof probe.initialDelaySeconds === 'number' ? Math.max(0, probe.initialDelaySeconds) : 0,
    periodSeconds: num(probe.periodSeconds, 10),
    timeoutSeconds: num(probe.timeoutSeconds, 1),
    successThreshold: num(probe.successThreshold, 1),
    failureThreshold: num(probe.failureThreshold, 3),
    action: probeAction(probe, container, podIP),
  };
}

function resolvePort(port: unknown, container: Obj): number | { error: string } {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = (container.ports ?? []).find((p: Obj) => p.name === port);
  if (named) return named.containerPort;
  return { error: `unable to find port: ${String(port)}` };
}

/** The ProbeAction of a probe or lifecycle handler (exec, httpGet, tcpSocket, grpc). */
export function probeAction(handler: Obj, container: Obj, podIP: string): ProbeAction | { error: string } {
  if (handler.exec) return { type: 'exec', command: (handler.exec.command ?? []).map(String) };
  if (handler.httpGet) {
    const port = resolvePort(handler.httpGet.port, container);
    if (typeof port !== 'number') return port;
    return {
      type: 'httpGet',
      scheme: handler.httpGet.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
      host: handler.httpGet.host || podIP,
      port,
      path: handler.httpGet.path || '/',
      headers: (handler.httpGet.httpHeaders ?? []).map((h: Obj) => ({
        name: String(h.name),
        value: String(h.value),
      })),
    };
  }
  if (handler.tcpSocket) {
    const port = resolvePort(handler.tcpSocket.port, container);
    if (typeof port !== 'number') return port;
    return { type: 'tcpSocket', host: handler.tcpSocket.host || podIP, port };
  }
  if (handler.grpc)
    return { type: 'grpc', host: podIP, port: Number(handler.grpc.port), service: handler.grpc.service };
  return { error: 'missing probe handler' };
}

class ProbeWorker {
  private readonly kind: ProbeKind;
  private readonly s: ProbeSettings;
  private readonly hooks: ProbeHooks;
  private readonly onResult: (ok: boolean) => void;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private last?: boolean;
  private run = 0;
  private reported?: boolean;

  constructor(kind: ProbeKind, s: ProbeSettings, hooks: ProbeHooks, onResult: (ok: boolean) => void) {
    this.kind = kind;
    this.s = s;
    this.hooks = hooks;
    this.onResult = onResult;
  }

  start(delaySeconds: number): void {
    this.schedule(delaySeconds * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let result: ProbeResult;
    if ('error' in this.s.action) result = { result: 'unknown', output: this.s.action.error };
    else {
      try {
        result = await this.hooks.run(this.s.action, this.s.timeoutSeconds);
      } catch (e) {
        result = { result: 'unknown', output: e instanceof Error ? e.message : String(e) };
      }
    }
    if (this.stopped) return;
    const ok = result.result === 'success';
    if (!ok) this.hooks.attemptFailed(this.kind, result);
    this.run = this.last === ok ? this.run + 1 : 1;
    this.last = ok;
    const threshold = ok ? this.s.successThreshold : this.s.failureThreshold;
    if (this.run >= threshold && this.reported !== ok) {
      this.reported = ok;
      this.onResult(ok);
    }
    this.schedule(this.s.periodSeconds * 1000);
  }
}

/** All probes of one running container instance. */
export class ContainerProbes {
  private readonly workers: ProbeWorker[] = [];
  private readonly settings: Partial<Record<ProbeKind, ProbeSettings>>;
  private readonly hooks: ProbeHooks;
  private readonly startedAt: number;
  private stopped = false;

  constructor(container: Obj, podIP: string, hooks: ProbeHooks, startedAt = Date.now()) {
    this.hooks = hooks;
    this.startedAt = startedAt;
    this.settings = {};
    for (const kind of ['startup', 'readiness', 'liveness'] as const) {
      const p = container[`${kind}Probe`];
      if (p && typeof p === 'object') this.settings[kind] = probeSettings(p, container, podIP);
    }
  }

  get hasStartup(): boolean {
    return !!this.settings.startup;
  }

  get hasReadiness(): boolean {
    return !!this.settings.readiness;
  }

  start(): void {
    if (this.settings.startup) {
      const s = this.settings.startup;
      const w = new ProbeWorker('startup', s, this.hooks, (ok) => {
        if (this.stopped) return;
        if (ok) {
          w.stop();
          this.hooks.startupSucceeded();
          this.startOthers();
        } else {
          this.hooks.failed('startup');
        }
      });
      this.workers.push(w);
      w.start(s.initialDelaySeconds);
    } else {
      this.startOthers();
    }
  }

  private startOthers(): void {
    const sinceStart = (Date.now() - this.startedAt) / 1000;
    const r = this.settings.readiness;
    if (r) {
      const w = new ProbeWorker('readiness', r, this.hooks, (ok) => {
        if (!this.stopped) this.hooks.readinessChanged(ok);
      });
      this.workers.push(w);
      w.start(Math.max(0, r.initialDelaySeconds - sinceStart));
    }
    const l = this.settings.liveness;
    if (l) {
      const w = new ProbeWorker('liveness', l, this.hooks, (ok) => {
        if (!this.stopped && !ok) this.hooks.failed('liveness');
      });
      this.workers.push(w);
      w.start(Math.max(0, l.initialDelaySeconds - sinceStart));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.workers) w.stop();
  }
}
