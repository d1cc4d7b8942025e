/**
 * The broker protocol against the real Node IPC channel, in the broker's own network namespace
 * ('' as the namespace path) on loopback: no privileges needed. Namespaces are covered by the
 * integration tests.
 */
import type dgram from 'node:dgram';
import type net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerError, NetnsBroker } from '../../../labs/native/broker.ts';

const OWN = '';

function echoServer(server: net.Server): void {
  server.on('connection', (s) => s.on('data', (d) => s.end(`echo ${d}`)));
}

function roundTrip(sock: net.Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    sock.on('data', (d) => {
      data += d;
    });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
    sock.write(text);
  });
}

describe('NetnsBroker', () => {
  const brokers: NetnsBroker[] = [];
  const make = (opts = {}) => {
    const b = new NetnsBroker(opts);
    brokers.push(b);
    return b;
  };
  afterAll(async () => {
    for (const b of brokers) await b.close();
  });

  it('hands over a listening net.Server and a connected net.Socket', async () => {
    const broker = make();
    const server = await broker.tcpListen(OWN, '127.0.0.1', 0);
    try {
      echoServer(server);
      const { port } = server.address() as net.AddressInfo;
      expect(port).toBeGreaterThan(0);
      const sock = await broker.tcpConnect(OWN, '127.0.0.1', port);
      expect(sock.remotePort).toBe(port);
      expect(await roundTrip(sock, 'ping')).toBe('echo ping');
    } finally {
      server.close();
    }
  });

  it('hands over bound dgram sockets', async () => {
    const broker = make();
    const a = await broker.udpBind(OWN, '127.0.0.1', 0);
    const b = await broker.udpBind(OWN, '127.0.0.1', 0);
    try {
      expect(a.address().family).toBe('IPv4');
      const got = new Promise<[Buffer, dgram.RemoteInfo]>((resolve) =>
        a.once('message', (m, r) => resolve([m, r])),
      );
      b.send('query', a.address().port, '127.0.0.1');
      const [msg, rinfo] = await got;
      expect(msg.toString()).toBe('query');
      expect(rinfo.port).toBe(b.address().port);
    } finally {
      a.close();
      b.close();
    }
  });

  it('serves many concurrent requests, one handle at a time on the channel', async () => {
    const broker = make();
    const server = await broker.tcpListen(OWN, '127.0.0.1', 0);
    try {
      echoServer(server);
      const { port } = server.address() as net.AddressInfo;
      const socks = await Promise.all(
        Array.from({ length: 50 }, () => broker.tcpConnect(OWN, '127.0.0.1', port)),
      );
      const replies = await Promise.all(socks.map((s, i) => roundTrip(s, String(i))));
      expect(replies).toEqual(socks.map((_, i) => `echo ${i}`));
    } finally {
      server.close();
    }
  });

  it('rejects with the errno name and what was attempted', async () => {
    const broker = make();
    const server = await broker.tcpListen(OWN, '127.0.0.1', 0);
    const { port } = server.address() as net.AddressInfo;
    server.close();
    await new Promise((r) => setTimeout(r, 10));
    await expect(broker.tcpConnect(OWN, '127.0.0.1', port)).rejects.toMatchObject({
      name: 'BrokerError',
      code: 'ECONNREFUSED',
      message: `connect 127.0.0.1:${port}: Connection refused`,
    });
    const busy = await broker.tcpListen(OWN, '127.0.0.1', 0);
    const busyPort = (busy.address() as net.AddressInfo).port;
    await expect(broker.tcpListen(OWN, '127.0.0.1', busyPort)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    busy.close();
    await expect(broker.tcpListen(OWN, 'not-an-address', 80)).rejects.toMatchObject({ code: 'EINVAL' });
    const odd = '/nonexistent/"quoted" \\ é\n';
    const err = await broker.udpBind(odd, '127.0.0.1', 0).catch((e: BrokerError) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect(err).toMatchObject({ code: 'ENOENT' });
    expect((err as Error).message).toContain(odd);
  });

  it('rejects pending requests when the broker dies, and starts a new one for the next', async () => {
    const broker = make();
    await broker.ping();
    const first = broker.pid!;
    process.kill(first, 'SIGSTOP');
    const pending = broker.ping();
    await new Promise((r) => setTimeout(r, 20));
    process.kill(first, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({
      code: 'EBROKER',
      message: 'ping: namespace broker killed by SIGKILL',
    });
    await broker.ping();
    expect(broker.pid).not.toBe(first);
  });

  it('explains why a broker cannot start', async () => {
    const broker = make({ usernsPath: '/nonexistent/ns/user' });
    await expect(broker.ping()).rejects.toThrow(
      /namespace broker exited with code 125: nsutil: open user namespace \/nonexistent\/ns\/user: No such file/,
    );
  });

  it('stops the broker on close and refuses further requests', async () => {
    const broker = make();
    await broker.ping();
    const pid = broker.pid!;
    await broker.close();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(broker.ping()).rejects.toMatchObject({
      code: 'EBROKER',
      message: 'namespace broker closed',
    });
  });
});
