import { execFileSync } from 'node:child_process';
import { boolFlag } from '../args.ts';
import type { Command } from './types.ts';

interface Finding {
  item: string;
  ok: boolean;
  detail: string;
  fix?: string;
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
  usage: 'doctor [--json]',
  summary: 'check the prerequisites of each driver and say what is missing',
  async run(args) {
    const findings = checks();
    if (boolFlag(args, 'json')) console.log(JSON.stringify({ findings }, null, 2));
    else {
      for (const f of findings) {
        console.log(
          `${f.ok ? 'ok  ' : 'FAIL'}  ${f.item.padEnd(10)} ${f.detail}${f.fix ? `\n      fix: ${f.fix}` : ''}`,
        );
      }
    }
    return findings.every((f) => f.ok) ? 0 : 2;
  },
};
