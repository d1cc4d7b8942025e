/**
 * ClusterIP and NodePort allocation, one pair per lab, as the apiserver's service registry does:
 * explicit requests must be free and in range; otherwise the next free value is taken, starting
 * from a random point so Services don't all get neighbouring addresses on every lab.
 */

import { intToIp, ipToInt, parseCidr } from '../kube/ipnet.ts';
import type { IpAllocator, PortAllocator } from '../registry/strategy.ts';

export class AllocationError extends Error {}

export class CidrAllocator implements IpAllocator {
  private readonly base: number;
  private readonly size: number;
  private readonly used = new Set<number>();
  private cursor: number;
  constructor(cidr: string, seed = Math.random()) {
    const c = parseCidr(cidr);
    this.base = c.base;
    this.size = c.size;
    // .0 is the network and .1 is reserved for the `kubernetes` Service by convention.
    this.cursor = 2 + Math.floor(seed * Math.max(1, this.size - 3));
  }
  contains(ip: string): boolean {
    try {
      const n = ipToInt(ip);
      return n > this.base && n < this.base + this.size - 1;
    } catch {
      return false;
    }
  }
  isAllocated(ip: string): boolean {
    return this.used.has(ipToInt(ip));
  }
  allocate(ip: string): void {
    if (!this.contains(ip))
      throw new AllocationError(
        `provided IP is not in the valid range. The range of valid IPs is ${intToIp(this.base)}/${32 - Math.log2(this.size)}`,
      );
    const n = ipToInt(ip);
    if (this.used.has(n)) throw new AllocationError(`provided IP is already allocated`);
    this.used.add(n);
  }
  allocateNext(): string {
    for (let i = 0; i < this.size; i++) {
      const offset = ((this.cursor + i) % (this.size - 2)) + 1;
      const n = this.base + offset;
      if (!this.used.has(n)) {
        this.used.add(n);
        this.cursor = offset + 1;
        return intToIp(n);
      }
    }
    throw new AllocationError('range is full');
  }
  release(ip: string): void {
    try {
      this.used.delete(ipToInt(ip));
    } catch {
      /* not an address we could have handed out */
    }
  }
}

export class PortRangeAllocator implements PortAllocator {
  private readonly used = new Set<number>();
  private readonly min: number;
  private readonly max: number;
  private cursor: number;
  constructor(min: number, max: number, seed = Math.random()) {
    this.min = min;
    this.max = max;
    this.cursor = min + Math.floor(seed * (max - min + 1));
  }
  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.min && port <= this.max;
  }
  isAllocated(port: number): boolean {
    return this.used.has(port);
  }
  allocate(port: number): void {
    if (!this.contains(port))
      throw new AllocationError(
        `provided port is not in the valid range. The range of valid ports is ${this.min}-${this.max}`,
      );
    if (this.used.has(port)) throw new AllocationError('provided port is already allocated');
    this.used.add(port);
  }
  allocateNext(): number {
    const span = this.max - this.min + 1;
    for (let i = 0; i < span; i++) {
      const port = this.min + ((this.cursor - this.min + i) % span);
      if (!this.used.has(port)) {
        this.used.add(port);
        this.cursor = port + 1;
        return port;
      }
    }
    throw new AllocationError('range is full');
  }
  release(port: number): void {
    this.used.delete(port);
  }
}
