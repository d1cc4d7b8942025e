/**
 * What `labctl doctor` reports about the netns driver: which sandbox mode this process can use and
 * why not the other, and which tools and kernel features are missing (with the Debian package).
 * Modes are tried for real (a throwaway sandbox with one namespace), not guessed from settings.
 */
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureNsutil } from '../../native/build.ts';
import type { SandboxMode } from '../sandbox.ts';
import { collect } from './command.ts';
import { RootSandbox } from './root.ts';
import type { NativeSandbox } from './types.ts';
import { UsernsSandbox } from './userns.ts';

export interface ProbeFinding {
  item: string;
  ok: boolean;
  detail: string;
  /** What to do about it (a package to install, a sysctl to set). */
  fix?: string;
}

export interface ModeSupport {
  ok: boolean;
  /** Why not, or what was verified. */
  detail: string;
}

export interface SandboxProbe {
  modes: Record<SandboxMode, ModeSupport>;
  /** The mode to use: userns where it works (kill-the-holder cleanup, no root needed), else root. */
  recommended: SandboxMode | undefined;
  /** Whether an unprivileged user may create user namespaces here (from the kernel's settings). */
  unprivilegedUserns: ModeSupport;
  findings: ProbeFinding[];
}

const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const TOOLS: Array<{ bin: string; pkg: string; why: string }> = [
  { bin: 'ip', pkg: 'iproute2', why: 'builds every link, address and route' },
  { bin: 'bridge', pkg: 'iproute2', why: 'fdb entries and hairpin' },
  { bin: 'iptables', pkg: 'iptables', why: 'kube-proxy and flannel rules' },
  { bin: 'iptables-save', pkg: 'iptables', why: 'learners and graders read the rules' },
  { bin: 'iptables-restore', pkg: 'iptables', why: 'kube-proxy applies rules in one transaction' },
  { bin: 'conntrack', pkg: 'conntrack', why: 'inspecting and flushing connection tracking' },
  { bin: 'tcpdump', pkg: 'tcpdump', why: 'learners watch packets' },
  { bin: 'nsenter', pkg: 'util-linux', why: 'entering nodes by hand' },
  { bin: 'unshare', pkg: 'util-linux', why: 'entering nodes by hand' },
];

function which(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH];
  for (const dir of dirs) {
    const file = path.join(dir, bin);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function readSysctl(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The kernel's switches for unprivileged user namespaces. */
function unprivilegedUsernsSettings(): ModeSupport & { fixes: ProbeFinding[] } {
  const fixes: ProbeFinding[] = [];
  const max = readSysctl('/proc/sys/user/max_user_namespaces');
  if (max === '0') {
    fixes.push({
      item: 'user.max_user_namespaces',
      ok: false,
      detail: 'is 0: user namespaces are disabled',
      fix: 'sysctl -w user.max_user_namespaces=15000 (and persist it in /etc/sysctl.d/)',
    });
  }
  const clone = readSysctl('/proc/sys/kernel/unprivileged_userns_clone');
  if (clone === '0') {
    fixes.push({
      item: 'kernel.unprivileged_userns_clone',
      ok: false,
      detail: 'is 0: only root may create user namespaces',
      fix: 'sysctl -w kernel.unprivileged_userns_clone=1 (and persist it in /etc/sysctl.d/)',
    });
  }
  const apparmor = readSysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  if (apparmor === '1') {
    fixes.push({
      item: 'kernel.apparmor_restrict_unprivileged_userns',
      ok: false,
      detail: 'is 1: AppArmor denies capabilities inside unprivileged user namespaces',
      fix: 'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile with "userns," for nsutil',
    });
  }
  const ok = fixes.length === 0;
  const detail = ok
    ? `allowed (max_user_namespaces=${max ?? '?'}${clone !== undefined ? `, unprivileged_userns_clone=${clone}` : ''}${
        apparmor !== undefined ? `, apparmor_restrict_unprivileged_userns=${apparmor}` : ''
      })`
    : fixes.map((f) => `${f.item} ${f.detail}`).join('; ');
  return { ok, detail, fixes };
}

async function trySandbox(
  mode: SandboxMode,
  nsutil: string,
): Promise<{ sb?: NativeSandbox; error?: string }> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'svcl-probe-'));
  const prefix = `svcl-probe${Math.random().toString(36).slice(2, 8)}-`;
  try {
    const opts = { stateDir, prefix, nsutilPath: nsutil };
    const sb = mode === 'userns' ? await UsernsSandbox.create(opts) : await RootSandbox.create(opts);
    try {
      await sb.addNetns('a');
    } catch (err) {
      await sb.destroy().catch(() => {});
      throw err;
    }
    return { sb };
  } catch (err) {
    rmSync(stateDir, { recursive: true, force: true });
    return { error: (err as Error).message };
  }
}

async function releaseTrial(sb: NativeSandbox): Promise<void> {
  try {
    await sb.destroy();
  } finally {
    rmSync(sb.stateDir, { recursive: true, force: true });
  }
}

/** Kernel features the lab dataplane needs, checked inside a fresh namespace of the trial sandbox. */
async function kernelFindings(sb: NativeSandbox): Promise<ProbeFinding[]> {
  const out: ProbeFinding[] = [];
  const tryLinks: Array<[string, string, string]> = [
    ['veth links', 'link add name p0 type veth peer name p1', 'CONFIG_VETH (module veth)'],
    ['bridge links', 'link add name br0 type bridge', 'CONFIG_BRIDGE (module bridge)'],
    [
      'vxlan links',
      'link add name vx0 type vxlan id 1 dstport 8472 nolearning',
      'CONFIG_VXLAN (module vxlan)',
    ],
  ];
  for (const [item, line, config] of tryLinks) {
    const r = await sb.run(['ip', ...line.split(' ')], { netns: 'a', bare: true, allowFailure: true });
    out.push({
      item,
      ok: r.code === 0,
      detail: r.code === 0 ? 'works in a lab namespace' : r.stderr.trim(),
      fix: r.code === 0 ? undefined : `a kernel with ${config}`,
    });
  }
  const brnf = await sb.run(['cat', '/proc/sys/net/bridge/bridge-nf-call-iptables'], {
    netns: 'a',
    bare: true,
    allowFailure: true,
  });
  out.push({
    item: 'br_netfilter',
    ok: brnf.code === 0,
    detail:
      brnf.code === 0
        ? `net.bridge.bridge-nf-call-iptables=${brnf.stdout.trim()} in a fresh namespace`
        : 'net.bridge.bridge-nf-call-iptables is missing: bridged pod traffic would bypass iptables (hairpin lab)',
    fix: brnf.code === 0 ? undefined : 'modprobe br_netfilter (and list it in /etc/modules-load.d/)',
  });
  const ipt = await sb.run(['iptables-save'], { netns: 'a', bare: true, allowFailure: true });
  out.push({
    item: 'iptables in a namespace',
    ok: ipt.code === 0,
    detail: ipt.code === 0 ? 'iptables-save works in a lab namespace' : ipt.stderr.trim(),
    fix: ipt.code === 0 ? undefined : 'apt-get install iptables (nf_tables or legacy support in the kernel)',
  });
  return out;
}

export async function probeSandboxSupport(): Promise<SandboxProbe> {
  const findings: ProbeFinding[] = [];
  const isRoot = process.getuid?.() === 0;
  const settings = unprivilegedUsernsSettings();
  const unprivilegedUserns: ModeSupport = { ok: settings.ok, detail: settings.detail };
  findings.push(...settings.fixes);

  for (const t of TOOLS) {
    const file = which(t.bin);
    const version = file && t.bin === 'iptables' ? await firstLine(file, ['-V']) : undefined;
    findings.push({
      item: t.bin,
      ok: !!file,
      detail: file ? `${file}${version ? ` (${version})` : ''}` : `missing: ${t.why}`,
      fix: file ? undefined : `apt-get install ${t.pkg}`,
    });
  }
  const backends = ['iptables-nft', 'iptables-legacy'].filter((b) => which(b));
  findings.push({
    item: 'iptables backend',
    ok: backends.length > 0,
    detail: backends.length ? backends.join(', ') : 'neither iptables-nft nor iptables-legacy found',
    fix: backends.length ? undefined : 'apt-get install iptables',
  });

  let nsutil: string | undefined;
  let buildError: (Error & { hint?: string }) | undefined;
  try {
    nsutil = await ensureNsutil();
  } catch (err) {
    buildError = err as Error;
  }
  const cc = which(process.env.CC || 'cc');
  findings.push({
    item: 'C compiler',
    ok: !!cc || !!nsutil,
    detail: cc
      ? cc
      : nsutil
        ? 'missing, but nsutil is already built (a change to labs/native/nsutil.c needs it again)'
        : 'missing: nsutil, the namespace helper, is compiled on first use',
    fix: cc ? undefined : 'apt-get install gcc libc6-dev',
  });
  findings.push(
    nsutil
      ? { item: 'nsutil', ok: true, detail: nsutil }
      : {
          item: 'nsutil',
          ok: false,
          detail: buildError?.message ?? 'not built',
          fix: buildError?.hint ?? 'apt-get install gcc libc6-dev',
        },
  );

  const modes: Record<SandboxMode, ModeSupport> = {
    userns: { ok: false, detail: 'not tried: nsutil could not be built' },
    root: {
      ok: false,
      detail: isRoot ? 'not tried: nsutil could not be built' : 'needs root (this process is not)',
    },
  };
  let kernelChecked = false;
  if (nsutil) {
    for (const mode of ['userns', 'root'] as const) {
      if (mode === 'root' && !isRoot) continue;
      const trial = await trySandbox(mode, nsutil);
      if (!trial.sb) {
        modes[mode] = {
          ok: false,
          detail:
            mode === 'userns' && !isRoot && !settings.ok
              ? `${settings.detail} (${trial.error})`
              : (trial.error ?? 'failed'),
        };
        continue;
      }
      modes[mode] = { ok: true, detail: 'a trial sandbox with a network namespace was created and removed' };
      try {
        if (!kernelChecked) {
          findings.push(...(await kernelFindings(trial.sb)));
          kernelChecked = true;
        }
      } finally {
        await releaseTrial(trial.sb);
      }
    }
  }
  if (!kernelChecked && !isRoot && !modes.userns.ok) {
    findings.push({
      item: 'kernel features',
      ok: false,
      detail: 'not checked: no sandbox mode works for this user',
      fix: 'enable unprivileged user namespaces (see above) or run as root',
    });
  }
  const recommended: SandboxMode | undefined = modes.userns.ok
    ? 'userns'
    : modes.root.ok
      ? 'root'
      : undefined;
  return { modes, recommended, unprivilegedUserns, findings };
}

async function firstLine(file: string, args: string[]): Promise<string | undefined> {
  const out = await collect(file, args, { timeoutMs: 5000 }).catch(() => undefined);
  return out?.code === 0 ? (out.stdout || out.stderr).trim().split('\n')[0] : undefined;
}
