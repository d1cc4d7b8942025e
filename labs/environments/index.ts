/**
 * The lab environments from the seeds, by name. Each factory returns a fresh, validated Topology
 * (plain data), so callers may derive variants without affecting each other.
 */
import type { Topology } from '../topology/types.ts';
import { type TwoMasterBusinessOptions, twoMasterBusiness } from './two-master-business.ts';
import { virtualbox3Node } from './virtualbox-3node.ts';

export interface EnvironmentInfo {
  name: string;
  title: string;
  /** Seed files the environment is taken from (`../shared/seeds/<id>_*.txt`). */
  seeds: string[];
  create(options?: Record<string, unknown>): Topology;
}

export const ENVIRONMENTS: readonly EnvironmentInfo[] = [
  {
    name: 'virtualbox-3node',
    title: 'VirtualBox three-node cluster (host-only + NAT NICs)',
    seeds: ['000', '002'],
    create: () => virtualbox3Node(),
  },
  {
    name: 'two-master-business',
    title: 'Two-master cluster with a business NIC',
    seeds: ['003'],
    create: (options) => twoMasterBusiness(options as TwoMasterBusinessOptions),
  },
];

export function environment(name: string, options?: Record<string, unknown>): Topology {
  const env = ENVIRONMENTS.find((e) => e.name === name);
  if (!env)
    throw new Error(`unknown environment ${name}; known: ${ENVIRONMENTS.map((e) => e.name).join(', ')}`);
  return env.create(options);
}

export { TWO_MASTER_NODES, type TwoMasterBusinessOptions, twoMasterBusiness } from './two-master-business.ts';
export { VIRTUALBOX_NAT_GATEWAY_MAC, VIRTUALBOX_NODES, virtualbox3Node } from './virtualbox-3node.ts';
