/** The shell the probes run in a node or pod, run here by the real sh, and the parsing of answers. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellLine, trimOutput } from '../../../labs/scenarios/context.ts';
import { manyScript, parseMany, parseRoute } from '../../../labs/scenarios/probes.ts';

describe('many requests at once', () => {
  it('prints one line per request: exit code, then the first 200 characters of its output on one line', () => {
    const script = manyScript(['sh', '-c', 'printf "line one\\nline two"; exit 3'], 4);
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(parseMany(out)).toEqual(Array.from({ length: 4 }, () => ({ code: 3, text: 'line one line two' })));
  });

  it('runs the requests concurrently', () => {
    const started = Date.now();
    execFileSync('sh', ['-c', manyScript(['sleep', '0.5'], 6)]);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('parsing', () => {
  it('ip route get', () => {
    expect(parseRoute('172.24.0.1 via 10.141.13.1 dev enslf1 src 10.141.13.190 uid 0 \\    cache ')).toEqual({
      line: '172.24.0.1 via 10.141.13.1 dev enslf1 src 10.141.13.190 uid 0 \\    cache',
      dev: 'enslf1',
      src: '10.141.13.190',
      via: '10.141.13.1',
    });
    expect(parseRoute('10.0.0.8 dev enslf0 src 10.0.0.20 uid 0').via).toBeUndefined();
  });

  it('commands are quoted only where a shell needs it', () => {
    expect(shellLine(['curl', '-sS', '-w', '%{http_code}', "it's"])).toBe(
      `curl -sS -w '%{http_code}' 'it'\\''s'`,
    );
  });

  it('long output keeps its first and last lines', () => {
    const text = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    const t = trimOutput(text);
    expect(t.split('\n')).toHaveLength(14);
    expect(t).toContain('line 0');
    expect(t).toContain('line 39');
    expect(t).toContain('... (27 more lines)');
  });
});
