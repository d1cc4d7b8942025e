/**
 * Commands as data: the printed line and the runner agree, quoting survives a real shell, and
 * failures say which command failed in a form you can paste.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type Cmd, Queries, renderCmd, shQuote } from '../../../labs/drivers/kind/commands.ts';
import { CommandError, Runner, runArgv } from '../../../labs/drivers/kind/runner.ts';

function bash(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('shQuote', () => {
  it('gives one shell word for anything', () => {
    for (const word of ['plain', '', "it's", 'a b', '$HOME', '`x`', 'a"b', '{{json .}}', 'x\ny', '\\']) {
      const r = bash(`printf '%s' ${shQuote(word)}`);
      expect(r.stdout).toBe(word);
    }
  });
});

describe('rendered commands', () => {
  it('print queries as command substitutions and run to the same result as the runner', async () => {
    const queries = new Queries();
    const who = queries.ref('who', ['printf', '%s', 'node-1']);
    const addr = queries.ref('addr', ['echo', '172.18.0.3']);
    const cmd: Cmd = {
      argv: ['sh', '-c', `printf '%s|' "$1" "$0"; cat`, `${who}:$literal`],
      input: `address ${addr}/16 for ${who}; cost $5 and \`tick\`\n`,
    };
    const text = renderCmd(cmd, queries.list);
    expect(text).toContain('$(printf %s node-1)');
    const printed = bash(text);
    expect(printed.status).toBe(0);
    const ran = await new Runner(queries.list).run(cmd);
    expect(ran.stdout).toBe(printed.stdout);
    expect(ran.stdout).toBe('|node-1:$literal|address 172.18.0.3/16 for node-1; cost $5 and `tick`\n');
  });

  it('keep input without queries verbatim in a quoted here-document', () => {
    const text = renderCmd({ argv: ['cat'], input: 'EOF\n$(not run)\n' });
    expect(text.split('\n')[0]).toBe("cat <<'EOF1'");
    expect(bash(text).stdout).toBe('EOF\n$(not run)\n');
  });

  it('carry a note as a comment', () => {
    expect(renderCmd({ argv: ['true'], note: 'why\nand more' })).toBe('# why\n# and more\ntrue');
  });
});

describe('the runner', () => {
  it('asks each query once per runner', async () => {
    const queries = new Queries();
    const stamp = queries.ref('stamp', ['date', '+%s%N']);
    const runner = new Runner(queries.list);
    const a = await runner.run({ argv: ['echo', stamp] });
    const b = await runner.run({ argv: ['echo', stamp] });
    expect(a.stdout).toBe(b.stdout);
  });

  it('fails with the command line, exit code and output of what failed', async () => {
    const err = await new Runner()
      .run({ argv: ['sh', '-c', 'echo broken >&2; exit 3', 'x y'] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).code).toBe(3);
    expect((err as CommandError).message).toContain("sh -c 'echo broken >&2; exit 3' 'x y'");
    expect((err as CommandError).message).toContain('broken');
  });

  it('fails when a query answers nothing', async () => {
    const queries = new Queries();
    const empty = queries.ref('empty', ['true']);
    await expect(new Runner(queries.list).run({ argv: ['echo', empty] })).rejects.toThrow(
      /no value for empty/,
    );
  });

  it('lets a tolerated failure pass', async () => {
    const r = await new Runner().run({
      argv: ['sh', '-c', 'echo "Error: No such network: x" >&2; exit 1'],
      tolerate: /no such network/i,
    });
    expect(r.code).toBe(1);
  });

  it('reports a missing program as 127 and a timeout as 124', async () => {
    expect((await runArgv(['svcl-no-such-program'])).code).toBe(127);
    const slow = await runArgv(['sleep', '5'], { timeoutMs: 200 });
    expect(slow.code).toBe(124);
    expect(slow.stderr).toContain('timed out');
  });
});
