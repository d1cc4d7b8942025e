import { describe, expect, it } from 'vitest';
import {
  contains,
  containsNetwork,
  isCidr,
  isUsableHostAddress,
  networkCidr,
  nthAddress,
  nthSubnet,
  overlaps,
  parseIPv4,
} from '../../../labs/topology/ipv4.ts';

describe('IPv4 arithmetic', () => {
  it('parses dotted quads strictly', () => {
    expect(parseIPv4('10.0.2.15')).toBe(0x0a00020f);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['192.168.56.312', '10.0.2', '10.0.2.015', '1.2.3.4.5', ' 1.2.3.4'])
      expect(parseIPv4(bad)).toBeUndefined();
    expect(isCidr('172.24.0.0/13')).toBe(true);
    expect(isCidr('172.24.0.0/33')).toBe(false);
    expect(isCidr('172.24.0.0')).toBe(false);
  });

  it('computes networks, containment and overlap', () => {
    expect(networkCidr('192.168.56.12/24')).toBe('192.168.56.0/24');
    expect(contains('172.24.0.0/13', '172.31.255.255')).toBe(true);
    expect(contains('172.24.0.0/13', '172.32.0.1')).toBe(false);
    expect(containsNetwork('10.244.0.0/16', '10.244.3.0/24')).toBe(true);
    expect(containsNetwork('10.244.3.0/24', '10.244.0.0/16')).toBe(false);
    expect(overlaps('172.16.0.0/16', '172.24.0.0/13')).toBe(false);
    expect(overlaps('10.96.0.0/12', '10.100.0.0/16')).toBe(true);
  });

  it('numbers addresses and subnets', () => {
    expect(nthAddress('10.96.0.0/12', 10)).toBe('10.96.0.10');
    expect(nthSubnet('10.244.0.0/16', 24, 2)).toBe('10.244.2.0/24');
    expect(isUsableHostAddress('192.168.56.0/24')).toBe(false);
    expect(isUsableHostAddress('192.168.56.255/24')).toBe(false);
    expect(isUsableHostAddress('10.0.0.1/32')).toBe(true);
  });
});
