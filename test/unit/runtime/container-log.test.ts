import { describe, expect, it } from 'vitest';
import { ContainerLog, rfc3339Nano } from '../../../labs/runtime/container-log.ts';

const b = (s: string) => Buffer.from(s);

describe('container log', () => {
  it('keeps lines across chunk boundaries and finishes a last unterminated line on close', () => {
    const log = new ContainerLog('x');
    log.append('stdout', b('hel'));
    log.append('stdout', b('lo\nwor'));
    log.append('stderr', b('oops\n'));
    log.append('stdout', b('ld'));
    expect(log.read()).toBe('hello\noops\n');
    log.close();
    expect(log.read()).toBe('hello\noops\nworld\n');
  });

  it('applies tail first, then since, then the byte limit', () => {
    const log = new ContainerLog('x');
    for (let i = 1; i <= 5; i++) log.append('stdout', b(`line ${i}\n`));
    expect(log.read({ tailLines: 2 })).toBe('line 4\nline 5\n');
    expect(log.read({ tailLines: 0 })).toBe('');
    expect(log.read({ limitBytes: 9 })).toBe('line 1\nli');
    expect(log.read({ sinceTime: Date.now() + 60_000 })).toBe('');
    expect(log.read({ sinceTime: Date.now() - 60_000, tailLines: 1 })).toBe('line 5\n');
  });

  it('prefixes RFC 3339 timestamps with nanoseconds, trailing zeros trimmed', () => {
    const log = new ContainerLog('x');
    log.append('stdout', b('a\n'));
    const [line] = log.read({ timestamps: true }).split('\n');
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z a$/);
    expect(rfc3339Nano(0, 120_000_000)).toBe('1970-01-01T00:00:00.12Z');
    expect(rfc3339Nano(0, 0)).toBe('1970-01-01T00:00:00Z');
  });

  it('drops the oldest lines beyond its byte budget', () => {
    const log = new ContainerLog('x', 2000);
    for (let i = 0; i < 200; i++)
      log.append('stdout', b(`${String(i).padStart(3, '0')} ${'x'.repeat(20)}\n`));
    const lines = log.read().trim().split('\n');
    expect(lines.length).toBeLessThan(60);
    expect(lines.at(-1)).toMatch(/^199 /);
  });

  it('follows new lines until the instance ends', async () => {
    const log = new ContainerLog('x');
    log.append('stdout', b('old\n'));
    const got: string[] = [];
    const done = log.follow({}, (t) => got.push(t));
    log.append('stdout', b('new 1\n'));
    log.append('stderr', b('new 2\n'));
    log.close();
    await done;
    expect(got.join('')).toBe('old\nnew 1\nnew 2\n');
  });

  it('stops following at the byte limit or when the client aborts', async () => {
    const log = new ContainerLog('x');
    const got: string[] = [];
    const done = log.follow({ limitBytes: 8 }, (t) => got.push(t));
    log.append('stdout', b('12345\n67890\n'));
    await done;
    expect(got.join('')).toBe('12345\n67');
    const abort = new AbortController();
    const following = log.follow({ tailLines: 0 }, () => {}, abort.signal);
    abort.abort();
    await following;
  });
});
