/**
 * What a DHCP client on a segment would be offered. The lab has no DHCP daemon: the offer is
 * declared on the serving interface (VirtualBox NAT always hands its guest 10.0.2.15) and the
 * builder installs the lease the way systemd-networkd would.
 */
import type { Topology } from './types.ts';

export interface DhcpLease {
  /** Leased address in CIDR form. */
  address: string;
  gateway?: string;
  dns: string[];
  /** Which router or host interface answered (`nat-ubuntu01.eth0`). */
  server: string;
}

export function dhcpLease(t: Topology, segment: string, mac: string): DhcpLease | undefined {
  for (const machine of [...t.routers, ...t.hosts]) {
    for (const iface of machine.interfaces ?? []) {
      const server = iface.dhcpServer;
      if (iface.segment !== segment || !server) continue;
      const offers = server.offers ?? [];
      const offer = offers.find((o) => o.mac === mac) ?? offers.find((o) => o.mac === undefined);
      if (!offer) continue;
      return {
        address: offer.address,
        ...(server.gateway ? { gateway: server.gateway } : {}),
        dns: server.dns ?? [],
        server: `${machine.name}.${iface.name}`,
      };
    }
  }
  return undefined;
}
