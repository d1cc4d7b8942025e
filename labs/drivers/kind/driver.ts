/**
 * The `kind` driver: each lab is a kind cluster shaped like its environment (see plan.ts for the
 * steps, layout.ts for how a topology maps onto containers and Docker networks, persistent.ts for
 * what a kind node's persistent configuration is). Needs Docker 28+, kind, kubectl, br_netfilter
 * and the CNI plugins on this machine (prereqs.ts); `labctl doctor` says what is missing.
 */
import { selfRef } from '../../daemon/proc.ts';
import type { ProgressSink } from '../driver.ts';
import type { Availability, GcReport, LabDriver, LabSpec } from '../lab-driver.ts';
import { CNI_FIX, findCniSource } from './cni.ts';
import { collectKind, removeRecord, writeRecord } from './gc.ts';
import { KindLab } from './lab.ts';
import type { KindLayout } from './layout.ts';
import { type KindPlan, planCreation, planJson, renderPlan } from './plan.ts';
import { kindAvailability } from './prereqs.ts';
import { hardwareFromInspect } from './reboot.ts';
import { Runner, runArgv } from './runner.ts';

/** What `labctl up --dry-run` hands a planning driver. */
export interface PlanRequest {
  name: string;
  environment: string;
  topology: LabSpec['topology'];
  scenario?: string;
  variant?: string;
  noFault: boolean;
  dir: string;
}

async function nodeAddresses(
  layout: KindLayout,
): Promise<Record<string, { nic: string; address: string }[]>> {
  const out: Record<string, { nic: string; address: string }[]> = {};
  for (const node of layout.nodes) {
    const r = await runArgv(['docker', 'inspect', node.container], { timeoutMs: 30_000 });
    if (r.code !== 0) continue;
    const hw = hardwareFromInspect(JSON.parse(r.stdout));
    out[node.name] = node.nics.flatMap((nic) => {
      const h = hw.find((x) => x.network === nic.network);
      return h?.ip ? [{ nic: nic.name, address: `${h.ip}/${h.prefix}` }] : [];
    });
  }
  return out;
}

export class KindDriver implements LabDriver {
  readonly name = 'kind' as const;
  readonly summary =
    'real Kubernetes in Docker: a kind cluster with flannel and a second NIC per node (needs Docker)';

  available(): Promise<Availability> {
    return kindAvailability();
  }

  /** The plan for a lab, without running anything (`labctl up --driver kind --dry-run`). */
  async describePlan(req: PlanRequest): Promise<{ text: string; json: Record<string, unknown> }> {
    const plan = planCreation({
      lab: req.name,
      environment: req.environment,
      topology: req.topology,
      scenario: req.scenario,
      variant: req.variant,
      noFault: req.noFault,
      dir: req.dir,
      cniSource: findCniSource().dir,
    });
    return { text: renderPlan(plan), json: planJson(plan) };
  }

  async create(spec: LabSpec, progress: ProgressSink): Promise<KindLab> {
    const cni = findCniSource();
    if (!cni.dir) throw new Error(`no CNI plugins on this host for the kind nodes: ${CNI_FIX}`);
    const owner = selfRef();
    const plan: KindPlan = planCreation({
      lab: spec.name,
      environment: spec.environment,
      topology: spec.topology,
      scenario: spec.scenario,
      variant: spec.variant,
      noFault: spec.noFault,
      dir: spec.dir,
      cniSource: cni.dir,
      owner,
    });
    writeRecord(spec.stateDir, {
      lab: spec.name,
      cluster: plan.cluster,
      networks: plan.layout.networks.map((n) => n.name),
      owner,
      createdAt: new Date().toISOString(),
    });
    const runner = new Runner(plan.queries, spec.signal);
    const total = plan.steps.length;
    let done = 0;
    try {
      for (const step of plan.steps) {
        spec.signal.throwIfAborted();
        progress({ step: step.id, title: step.title, done, total, state: 'running' });
        try {
          for (const cmd of step.commands) await runner.run(cmd);
        } catch (e) {
          progress({ step: step.id, title: step.title, done, total, state: 'failed' });
          throw e;
        }
        done++;
        progress({ step: step.id, title: step.title, done, total, state: 'done' });
      }
      return new KindLab({
        name: spec.name,
        environment: spec.environment,
        topology: spec.topology,
        layout: plan.layout,
        kubeconfigPath: plan.kubeconfig,
        dir: spec.dir,
        stateDir: spec.stateDir,
        addresses: await nodeAddresses(plan.layout),
      });
    } catch (e) {
      // Undo without the build's signal: an aborted build must still leave nothing behind.
      const undo = new Runner();
      const left: string[] = [];
      for (const cmd of plan.teardown) {
        try {
          await undo.run(cmd);
        } catch (err) {
          left.push(err instanceof Error ? err.message : String(err));
        }
      }
      if (left.length === 0) removeRecord(spec.stateDir, plan.cluster);
      else if (e instanceof Error)
        e.message += `\n(could not undo everything; labctl gc retries: ${left.join('; ')})`;
      throw e;
    }
  }

  gc(stateDir: string): Promise<GcReport> {
    return collectKind(stateDir);
  }
}
