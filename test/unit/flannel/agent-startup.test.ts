/**
 * How flanneld ends (or waits) before it touches the node: these runs must not run a single
 * command in the node, so the runner fails the test if called.
 */
import { describe, expect, it } from 'vitest';
import { FlannelAgent, FlannelExitError } from '../../../labs/agents/flannel/agent.ts';
import { MemoryNodeSource } from '../../../labs/agents/flannel/nodes.ts';

function agent(args: string[], netConf = '{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}') {
  const lines: string[] = [];
  const a = new FlannelAgent({
    nodeName: 'ubuntu02',
    runner: {
      run: async (argv) => {
        throw new Error(`no command expected, got ${argv.join(' ')}`);
      },
    },
    nodeRoot: '/nonexistent',
    args,
    netConf,
    nodes: new MemoryNodeSource([{ metadata: { name: 'ubuntu02' }, spec: { podCIDR: '10.244.1.0/24' } }]),
    log: (l) => lines.push(l),
  });
  return { a, lines };
}

describe('flanneld exits and waits before touching the node', () => {
  it('exits 2 with Go flag errors on an unknown flag', async () => {
    const { a, lines } = agent(['--ip-masq', '--iface-regexp=enp.*']);
    const err = await a.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlannelExitError);
    expect((err as FlannelExitError).code).toBe(2);
    expect(lines).toEqual([
      'flag provided but not defined: -iface-regexp',
      'Usage: /opt/bin/flanneld [OPTION]...',
    ]);
    expect(a.state).toBe('exited');
  });

  it('prints the version and exits 0 with --version', async () => {
    const { a, lines } = agent(['--version']);
    expect(((await a.start().catch((e: unknown) => e)) as FlannelExitError).code).toBe(0);
    expect(lines).toEqual(['v0.26.1']);
  });

  it('exits 1 when net-conf.json cannot be parsed', async () => {
    const { a, lines } = agent(['--ip-masq', '--kube-subnet-mgr'], '{"Backend":{"Type":"vxlan"}}');
    await expect(a.start()).rejects.toThrow(FlannelExitError);
    expect(await a.exited).toEqual({
      code: 1,
      reason:
        'Failed to create SubnetManager: error parsing subnet config: please define a correct Network parameter in the flannel config',
    });
    expect(lines.at(-1)).toMatch(
      /^E\d{4} [\d:.]+ {7}1 main\.go:\d+\] Failed to create SubnetManager: error parsing subnet config: please define a correct Network parameter in the flannel config$/,
    );
  });

  it('without --kube-subnet-mgr keeps failing to reach etcd, until stopped', async () => {
    const { a, lines } = agent(['--ip-masq']);
    await a.start();
    expect(a.state).toBe('waiting');
    expect(lines.join('\n')).toContain(
      'Created subnet manager: Etcd Local Manager with Previous Subnet: None',
    );
    expect(lines.join('\n')).toMatch(
      /^E\d{4} [\d:.]+ {7}1 main\.go:\d+\] Couldn't fetch network config: client: etcd cluster is unavailable or misconfigured; error #0: dial tcp 127\.0\.0\.1:4001: connect: connection refused; error #1: dial tcp 127\.0\.0\.1:2379: connect: connection refused$/m,
    );
    expect(await a.stop()).toEqual({ code: 0, reason: 'terminated' });
    expect(a.state).toBe('stopped');
  });
});
