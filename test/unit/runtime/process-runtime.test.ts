import { afterEach, describe, expect, it } from 'vitest';
import { builtinCatalog, parseReference } from '../../../labs/runtime/images/index.ts';
import type { ContainerConfig, PulledImage, StdStream } from '../../../labs/runtime/pod-runtime.ts';
import { RuntimeError } from '../../../labs/runtime/pod-runtime.ts';
import { containerArgv, ProcessRuntime } from '../../../labs/runtime/process-runtime.ts';

let rt: ProcessRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

function runtime(): ProcessRuntime {
  rt = new ProcessRuntime({
    nodeName: 'ubuntu02',
    nodeIP: '192.168.56.12',
    podCIDR: '10.244.1.0/24',
    pullTime: () => 0,
  });
  return rt;
}

const sandboxConfig = (name: string, hostNetwork = false) => ({
  uid: `uid-${name}`,
  namespace: 'default',
  name,
  hostname: name,
  hostNetwork,
  ports: [],
  dns: { nameservers: ['10.96.0.10'], searches: [], options: [] },
});

function config(image: PulledImage, extra: Partial<ContainerConfig> = {}): ContainerConfig {
  return { name: 'c', image, env: [], stdin: false, stdinOnce: false, tty: false, attempt: 0, ...extra };
}

function collector() {
  const out: Record<StdStream, string> = { stdout: '', stderr: '' };
  const sink = (s: StdStream, c: Buffer) => {
    out[s] += c.toString();
  };
  return { out, sink };
}

describe('image references', () => {
  it('normalise as containerd does', () => {
    expect(parseReference('httpd')).toEqual({
      domain: 'docker.io',
      path: 'library/httpd',
      tag: 'latest',
      digest: undefined,
    });
    expect(parseReference('nicolaka/netshoot:v0.13')).toMatchObject({
      domain: 'docker.io',
      path: 'nicolaka/netshoot',
      tag: 'v0.13',
    });
    expect(parseReference('k8s.gcr.io/serve_hostname')).toMatchObject({
      domain: 'k8s.gcr.io',
      path: 'serve_hostname',
      tag: 'latest',
    });
    expect(() => parseReference('Httpd')).toThrow(/must be lowercase/);
  });

  it('follow Docker rules for command and args', () => {
    const nginx = builtinCatalog().resolve('nginx', false).definition;
    expect(containerArgv(nginx)).toEqual(['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    expect(containerArgv(nginx, undefined, ['sleep', '1'])).toEqual(['/docker-entrypoint.sh', 'sleep', '1']);
    expect(containerArgv(nginx, ['sh'], undefined)).toEqual(['sh']);
  });
});

describe('process runtime', () => {
  it('gives pods addresses from the node podCIDR and hostNetwork pods the node address', async () => {
    const r = runtime();
    const a = await r.createSandbox(sandboxConfig('a'));
    const b = await r.createSandbox(sandboxConfig('b'));
    const h = await r.createSandbox(sandboxConfig('h', true));
    expect([a.ip, b.ip, h.ip]).toEqual(['10.244.1.2', '10.244.1.3', '192.168.56.12']);
    await r.removeSandbox(a.id);
    const c = await r.createSandbox(sandboxConfig('c'));
    expect(c.ip).toBe('10.244.1.4');
  });

  it('refuses images no registry has unless the container says what to run', async () => {
    const r = runtime();
    await expect(r.pullImage('example.com/team/app:2')).rejects.toThrow(
      'rpc error: code = NotFound desc = failed to pull and unpack image "example.com/team/app:2": failed to resolve reference "example.com/team/app:2": example.com/team/app:2: not found',
    );
    const { image } = await r.pullImage('example.com/team/app:2', { withCommand: true });
    expect(image.name).toBe('example.com/team/app:2');
  });

  it('runs a container as a host process with the image tools, env and a start error for missing programs', async () => {
    const r = runtime();
    const { image } = await r.pullImage('busybox');
    const sb = await r.createSandbox(sandboxConfig('p'));
    const { out, sink } = collector();
    const c = await r.startContainer(
      sb.id,
      config(image, {
        command: ['sh', '-c', 'echo "$HOSTNAME $GREETING"; wget --help >/dev/null 2>&1 && echo has-wget'],
        env: [{ name: 'GREETING', value: 'hi' }],
      }),
      sink,
    );
    expect((await c.exited).exitCode).toBe(0);
    expect(out.stdout).toBe('p hi\nhas-wget\n');
    const err = await r.startContainer(sb.id, config(image, { command: ['nginx'] }), sink).catch((e) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toBe(
      'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "nginx": executable file not found in $PATH: unknown',
    );
  });

  it('execs in a running container, with exit codes and a pty for tty sessions', async () => {
    const r = runtime();
    const { image } = await r.pullImage('busybox');
    const sb = await r.createSandbox(sandboxConfig('e'));
    const c = await r.startContainer(
      sb.id,
      config(image, { command: ['sleep', '3600'], env: [{ name: 'X', value: '42' }] }),
      () => {},
    );
    const plain = collector();
    const p = await r.exec(
      c.id,
      { command: ['sh', '-c', 'echo out; echo err >&2; echo $X; exit 3'], tty: false, stdin: false },
      plain.sink,
    );
    expect(await p.exited).toBe(3);
    expect(plain.out).toEqual({ stdout: 'out\n42\n', stderr: 'err\n' });
    const tty = collector();
    const t = await r.exec(
      c.id,
      { command: ['sh'], tty: true, stdin: true, size: { cols: 100, rows: 30 } },
      tty.sink,
    );
    t.writeStdin(Buffer.from('stty size; exit 5\n'));
    expect(await t.exited).toBe(5);
    expect(tty.out.stdout).toContain('30 100');
    expect(tty.out.stderr).toBe('');
    await expect(
      r.exec(c.id, { command: ['curl-not-here'], tty: false, stdin: false }, () => {}),
    ).rejects.toThrow(
      /^failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "curl-not-here": executable file not found in \$PATH: unknown$/,
    );
  });

  it('answers probes from what the image serves: httpd on port 80 only', async () => {
    const r = runtime();
    const { image } = await r.pullImage('httpd');
    const sb = await r.createSandbox(sandboxConfig('web'));
    const { out, sink } = collector();
    const c = await r.startContainer(sb.id, config(image), sink);
    const get = (port: number, path: string) =>
      r.probe(c.id, { type: 'httpGet', scheme: 'HTTP', host: sb.ip, port, path, headers: [] }, 1);
    expect(await get(80, '/')).toEqual({ result: 'success', output: '' });
    expect(await get(80, '/healthz')).toEqual({
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 404',
    });
    expect(await get(8080, '/')).toEqual({
      result: 'failure',
      output: `Get "http://${sb.ip}:8080/": dial tcp ${sb.ip}:8080: connect: connection refused`,
    });
    expect(await r.probe(c.id, { type: 'tcpSocket', host: sb.ip, port: 80 }, 1)).toEqual({
      result: 'success',
      output: '',
    });
    expect(out.stdout).toMatch(/"GET \/healthz HTTP\/1\.1" 404 196\n$/);
    // The image's stop signal (SIGWINCH) ends httpd gracefully.
    const exit = await c.stop(5);
    expect(exit).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(out.stderr).toContain('AH00492: caught SIGWINCH, shutting down gracefully');
  });

  it('gives a tty container a terminal, stdin and resize', async () => {
    const r = runtime();
    const { image } = await r.pullImage('busybox');
    const sb = await r.createSandbox(sandboxConfig('t'));
    const { out, sink } = collector();
    const c = await r.startContainer(sb.id, config(image, { stdin: true, stdinOnce: true, tty: true }), sink);
    c.resize({ cols: 120, rows: 40 });
    c.writeStdin(Buffer.from('stty size; echo $TERM; exit 7\n'));
    const exit = await c.exited;
    expect(exit.exitCode).toBe(7);
    expect(out.stdout).toContain('40 120');
    expect(out.stdout).toContain('xterm');
  });
});
