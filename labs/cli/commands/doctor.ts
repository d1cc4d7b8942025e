import { execFileSync } from 'node:child_process';
import { boolFlag, flag, UsageError } from '../args.ts';
import type { Command } from './types.ts';

interface Finding {
  item: string;
  ok: boolean;
  detail: string;
  fix?: string;
  /** Not ok, but labs still build (shown as `warn`). */
  warning?: boolean;
}

/** One driver's prerequisites: ready when none of its findings fails. */
interface DriverSection {
  driver: string;
  ready: boolean;
  findings: Finding[];
}

/**
 * Per-driver sections, each from the driver's own prerequisite module, loaded only here (the
 * modules run real commands: `docker info`, `kind version`).
 */
const SECTIONS: Record<string, () => Promise<Finding[]>> = {
  netns: async () => {
    const { probeSandboxSupport } = await import('../../netns/sandbox/probe.ts');
    const probe = await probeSandboxSupport();
    // The sandbox mode comes first: rootless where the host allows it, root otherwise, and why.
    const modes: Finding[] = (Object.entries(probe.modes) as [string, { ok: boolean; detail: string }][]).map(
      ([mode, m]) => ({
        item: `sandbox: ${mode}`,
        ok: m.ok,
        detail: `${m.detail}${m.ok && mode === probe.recommended ? ' (labs use this mode)' : ''}`,
        // One working mode is enough: the other is only a warning.
        ...(m.ok ? {} : { warning: probe.recommended !== undefined }),
      }),
    );
    modes.push({
      item: 'unprivileged userns',
      ok: probe.unprivilegedUserns.ok,
      detail: probe.unprivilegedUserns.detail,
      ...(probe.unprivilegedUserns.ok ? {} : { warning: true }),
    });
    return [
      ...modes,
      ...probe.findings.map((f) => ({
        item: f.item,
        ok: f.ok,
        detail: f.detail,
        ...(f.fix && !f.ok ? { fix: f.fix } : {}),
      })),
    ];
  },
  kind: async () => {
    const { evaluateKind, probeKind } = await import('../../drivers/kind/prereqs.ts');
    return evaluateKind(await probeKind()).map((f) => ({
      item: f.item,
      ok: f.level === 'ok',
      detail: f.detail,
      ...(f.fix && f.level !== 'ok' ? { fix: f.fix } : {}),
      ...(f.level === 'warn' ? { warning: true } : {}),
    }));
  },
};

async function sections(names: string[]): Promise<DriverSection[]> {
  return Promise.all(
    names.map(async (driver) => {
      const findings = await SECTIONS[driver]();
      return { driver, ready: findings.every((f) => f.ok || f.warning), findings };
    }),
  );
}

function printFindings(findings: Finding[], indent = ''): void {
  const width = Math.max(10, ...findings.map((f) => f.item.length));
  for (const f of findings) {
    const mark = f.ok ? 'ok  ' : f.warning ? 'warn' : 'FAIL';
    console.log(
      `${indent}${mark}  ${f.item.padEnd(width)} ${f.detail}${f.fix ? `\n${indent}      fix: ${f.fix}` : ''}`,
    );
  }
}

function which(bin: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function kubectlVersion(): string | undefined {
  try {
    const out = execFileSync('kubectl', ['version', '--client', '-o', 'json'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    return JSON.parse(out).clientVersion?.gitVersion;
  } catch {
    return undefined;
  }
}

function checks(): Finding[] {
  const tool = (bin: string, pkg: string, why: string): Finding => {
    const path = which(bin);
    return {
      item: bin,
      ok: !!path,
      detail: path ?? `missing: ${why}`,
      fix: path ? undefined : `apt-get install ${pkg}`,
    };
  };
  const [major] = process.versions.node.split('.').map(Number);
  const kubectl = kubectlVersion();
  return [
    {
      item: 'node',
      ok: major >= 22,
      detail: process.version,
      fix: major >= 22 ? undefined : 'run scripts/setup.sh (brings Node 24 through npm)',
    },
    {
      item: 'kubectl',
      ok: !!kubectl,
      detail: kubectl ?? 'missing: learners and graders use the real kubectl',
      fix: kubectl ? undefined : 'install kubectl 1.32 (https://kubernetes.io/docs/tasks/tools/)',
    },
    tool('openssl', 'openssl', 'lab apiservers serve TLS'),
  ];
}

export const doctor: Command = {
  name: 'doctor',
  usage: 'doctor [--driver netns|kind] [--json]',
  summary: 'check the prerequisites of each driver and say what is missing',
  help: [
    'Checks what every lab needs, then each driver section (netns: the sandbox mode - rootless or root -',
    'and why, iproute2, iptables, conntrack, tcpdump, br_netfilter, a C compiler; kind: Docker, kind,',
    'kubectl, br_netfilter, inotify limits, CNI plugins). Exit 0 when the common checks pass, 2 when one fails;',
    'with --driver D, exit 2 also when that driver cannot build labs here.',
  ].join('\n'),
  valueFlags: new Set(['driver']),
  async run(args) {
    const only = flag(args, 'driver');
    if (only !== undefined && !(only in SECTIONS)) {
      // A driver without a section of its own needs only the common prerequisites.
      if (only !== 'process')
        throw new UsageError(`unknown driver "${only}"; sections: ${Object.keys(SECTIONS).join(', ')}`);
    }
    const findings = checks();
    const drivers = await sections(
      only === undefined ? Object.keys(SECTIONS) : only in SECTIONS ? [only] : [],
    );
    if (boolFlag(args, 'json'))
      console.log(
        JSON.stringify(
          {
            findings,
            drivers: Object.fromEntries(
              drivers.map((d) => [d.driver, { ready: d.ready, findings: d.findings }]),
            ),
          },
          null,
          2,
        ),
      );
    else {
      printFindings(findings);
      for (const d of drivers) {
        console.log(`\n${d.driver} driver: ${d.ready ? 'ready' : 'cannot build labs here'}`);
        printFindings(d.findings, '  ');
      }
    }
    const common = findings.every((f) => f.ok);
    const wanted = only ? drivers.every((d) => d.ready) : true;
    return common && wanted ? 0 : 2;
  },
};
