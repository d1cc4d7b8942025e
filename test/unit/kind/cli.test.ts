/**
 * labctl with the kind driver, as a real process on this machine: the dry-run plan (no daemon,
 * nothing built), doctor's kind section, and `up --driver kind` refused with what to install when
 * this machine cannot run kind labs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateKind, probeKind } from '../../../labs/drivers/kind/prereqs.ts';
import { listScenarioIds } from '../../../labs/scenarios/loader.ts';
import { labctl, makeState } from '../../integration/daemon/helpers.ts';

const state = makeState('tkind');
const findings = evaluateKind(await probeKind());
const ready = findings.every((f) => f.level !== 'fail');
const daemonUp =
  spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' }).status === 0;

afterAll(() => rmSync(state, { recursive: true, force: true }));

function nothingStarted(): void {
  expect(existsSync(join(state, 'daemon.json'))).toBe(false);
  expect(existsSync(join(state, 'daemon.sock'))).toBe(false);
  expect(existsSync(join(state, 'labs')) ? readdirSync(join(state, 'labs')) : []).toEqual([]);
}

describe('labctl up --driver kind --dry-run', () => {
  it('prints the whole plan as bash, runs nothing and needs no daemon', async () => {
    const r = await labctl(state, [
      'up',
      'virtualbox-3node',
      '--driver',
      'kind',
      '--dry-run',
      '--name',
      'tdry',
    ]);
    expect(r.code, r.stderr).toBe(ready ? 0 : 2);
    expect(r.stdout).toContain('Would build lab tdry with the kind driver');
    const start = r.stdout.indexOf('# svc-labs: lab tdry on kind');
    const end = r.stdout.indexOf('# ---- teardown');
    expect(start).toBeGreaterThan(-1);
    const script = r.stdout.slice(start, r.stdout.indexOf('\n\n', end));
    expect(spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' }).status).toBe(0);
    for (const expected of [
      'kind create cluster --name svcl-tdry --config -',
      'disableDefaultCNI: true',
      'docker network create --driver bridge',
      'docker network connect --gw-priority 1 svcl-tdry-natnet-ubuntu01 svcl-tdry-control-plane',
      'kubectl --kubeconfig',
      'rollout status ds/kube-flannel-ds',
      'wait --for=condition=Ready nodes --all',
      'image: docker.io/library/httpd:2.4.63',
      '#   kind delete cluster --name svcl-tdry',
    ])
      expect(r.stdout).toContain(expected);
    if (!ready) expect(r.stdout).toContain('The kind driver cannot run here:');
    nothingStarted();
  });

  it('--json carries the plan: kind config, manifests, steps and teardown', async () => {
    const r = await labctl(state, [
      'up',
      'two-master-business',
      '--driver',
      'kind',
      '--dry-run',
      '--name',
      'tjson',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(ready ? 0 : 2);
    const out = JSON.parse(r.stdout);
    expect(out.plan.cluster).toBe('svcl-tjson');
    expect(out.plan.kindConfig).toContain('serviceSubnet: 172.24.0.0/13');
    expect(out.plan.steps.map((s: { id: string }) => s.id)).toContain('kube-proxy');
    expect(out.plan.manifests.flannel).toContain('"Network": "172.16.0.0/16"');
    expect(out.plan.nodes.map((n: { container: string }) => n.container)).toEqual([
      'svcl-tjson-control-plane',
      'svcl-tjson-control-plane2',
      'svcl-tjson-worker',
    ]);
    expect(out.plan.teardown).toContain('docker network rm svcl-tjson-business');
    expect(out.driverAvailable.ok).toBe(ready);
    nothingStarted();
  });
});

describe.each(listScenarioIds())('labctl up %s --driver kind --dry-run', (id) => {
  it('prints the environment’s kind plan, then what the scenario engine does on it', async () => {
    const r = await labctl(state, ['up', id, '--driver', 'kind', '--dry-run', '--name', 'tscn']);
    expect(r.code, r.stderr).toBe(ready ? 0 : 2);
    const start = r.stdout.indexOf('# svc-labs: lab tscn on kind');
    const engine = r.stdout.indexOf(`# ---- then the scenario engine (labs/scenarios): ${id}`);
    expect(start).toBeGreaterThan(-1);
    expect(engine).toBeGreaterThan(start);
    expect(r.stdout).toContain('kind create cluster --name svcl-tscn --config -');
    const script = r.stdout.slice(start, r.stdout.indexOf('\n\n', engine));
    expect(spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' }).status).toBe(0);
    nothingStarted();
  });
});

describe('labctl doctor, kind section', () => {
  it('reports the Docker daemon as this machine has it, with the fix when it is missing', async () => {
    const r = await labctl(state, ['doctor', '--driver', 'kind', '--json']);
    const out = JSON.parse(r.stdout);
    expect(out.drivers.kind.ready).toBe(ready);
    const daemon = out.drivers.kind.findings.find((f: { item: string }) => f.item === 'docker daemon');
    if (daemonUp) expect(daemon.ok).toBe(true);
    else if (daemon) {
      expect(daemon.ok).toBe(false);
      expect(daemon.detail).toMatch(/^not reachable: /);
      expect(daemon.fix).toMatch(/start the Docker daemon|docker group/);
    }
    for (const item of [
      'kind',
      'kubectl',
      'br_netfilter',
      'inotify max_user_watches',
      'inotify max_user_instances',
      'CNI plugins',
    ])
      expect(out.drivers.kind.findings.map((f: { item: string }) => f.item)).toContain(item);
    expect(r.code).toBe(ready && out.findings.every((f: { ok: boolean }) => f.ok) ? 0 : 2);
  });

  it('prints the kind section in plain text with ok / warn / FAIL marks', async () => {
    const r = await labctl(state, ['doctor']);
    expect(r.stdout).toMatch(/\nkind driver: (ready|cannot build labs here)\n/);
    if (!daemonUp) expect(r.stdout).toMatch(/FAIL {2}docker daemon +not reachable/);
  });
});

describe('labctl up --driver kind on a machine that cannot run it', () => {
  it.skipIf(ready)('exits 2 at once with what is missing and how to get it, starting no daemon', async () => {
    const r = await labctl(state, ['up', 'virtualbox-3node', '--driver', 'kind', '--name', 'tnope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('labctl up: the kind driver cannot build labs here:');
    for (const f of findings.filter((x) => x.level === 'fail')) {
      expect(r.stderr).toContain(`  ${f.item}: ${f.detail}`);
      if (f.fix) expect(r.stderr).toContain(`    fix: ${f.fix}`);
    }
    if (!daemonUp) expect(r.stderr).toContain('docker daemon: not reachable');
    nothingStarted();
  });
});
