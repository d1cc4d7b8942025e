/**
 * flanneld v0.26's iptables traffic manager (pkg/trafficmngr/iptables), in the text form
 * `iptables-save` prints, so "does the rule exist" is a string comparison with the kernel's own
 * output (what `iptables -C` answers):
 * - --ip-masq: nat `POSTROUTING -> FLANNEL-POSTRTG` with RETURN for kube-proxy-marked traffic and
 *   for traffic inside the pod network, MASQUERADE --random-fully for pods leaving it and for the
 *   host talking to pods;
 * - --iptables-forward-rules (default on): filter `FORWARD -> FLANNEL-FWD` accepting the pod network.
 * Start-up flushes the FLANNEL chain (ClearChain), then one iptables-restore --noflush deletes the
 * jump if present and appends every rule, so the rules end up together and in order.
 *
 * The monitor, as flanneld's: every --iptables-resync seconds (default 5) each group is checked
 * for its chain and for every rule's existence (`iptables -C`: anywhere in the chain, so a rule
 * moved out of order is not noticed). A group with anything missing is logged ("Some iptables
 * rules are missing; deleting and recreating rules"), its remaining rules are deleted and all are
 * appended again, without flushing (rules others added to the chain stay), then "bootstrap done".
 * On SIGTERM the rules are deleted and the empty chains stay (flanneld waits 1 s first; this does
 * not).
 */

export type Table = 'nat' | 'filter';

export interface IptRule {
  table: Table;
  chain: string;
  /** Everything after `-A <chain> ` as iptables-save prints it. */
  spec: string;
}

export interface RuleGroup {
  /** `masq` or `forward`: each is bootstrapped and monitored on its own, as flannel's goroutines are. */
  name: 'masq' | 'forward';
  table: Table;
  /** The flannel chain the group lives in. */
  chain: 'FLANNEL-POSTRTG' | 'FLANNEL-FWD';
  rules: IptRule[];
}

/** kube-proxy's masquerade mark, which flannel leaves alone to avoid double NAT. */
export const KUBE_PROXY_MARK = '0x4000/0x4000';

export function masqGroup(network: string, podSubnet: string): RuleGroup {
  const c = '-m comment --comment "flanneld masq"';
  const r = (spec: string): IptRule => ({ table: 'nat', chain: 'FLANNEL-POSTRTG', spec });
  return {
    name: 'masq',
    table: 'nat',
    chain: 'FLANNEL-POSTRTG',
    rules: [
      { table: 'nat', chain: 'POSTROUTING', spec: `${c} -j FLANNEL-POSTRTG` },
      r(`-m mark --mark ${KUBE_PROXY_MARK} ${c} -j RETURN`),
      r(`-s ${podSubnet} -d ${network} ${c} -j RETURN`),
      r(`-s ${network} -d ${podSubnet} ${c} -j RETURN`),
      r(`! -s ${network} -d ${podSubnet} ${c} -j RETURN`),
      r(`-s ${network} ! -d 224.0.0.0/4 ${c} -j MASQUERADE --random-fully`),
      r(`! -s ${network} -d ${network} ${c} -j MASQUERADE --random-fully`),
    ],
  };
}

export function forwardGroup(network: string): RuleGroup {
  const c = '-m comment --comment "flanneld forward"';
  return {
    name: 'forward',
    table: 'filter',
    chain: 'FLANNEL-FWD',
    rules: [
      { table: 'filter', chain: 'FORWARD', spec: `${c} -j FLANNEL-FWD` },
      { table: 'filter', chain: 'FLANNEL-FWD', spec: `-s ${network} ${c} -j ACCEPT` },
      { table: 'filter', chain: 'FLANNEL-FWD', spec: `-d ${network} ${c} -j ACCEPT` },
    ],
  };
}

export function ruleText(r: IptRule): string {
  return `-A ${r.chain} ${r.spec}`;
}

export interface SavedTable {
  chains: Set<string>;
  /** `-A CHAIN ...` lines in order. */
  rules: string[];
}

/** iptables-save output by table. */
export function parseSave(text: string): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  let current: SavedTable | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.startsWith('*')) {
      current = { chains: new Set(), rules: [] };
      tables.set(line.slice(1), current);
    } else if (!current || line.startsWith('#')) {
      // comments and anything before the first table
    } else if (line.startsWith(':')) {
      current.chains.add(line.slice(1).split(' ')[0]!);
    } else if (line.startsWith('-A ')) {
      current.rules.push(line);
    }
  }
  return tables;
}

function exists(save: Map<string, SavedTable>, r: IptRule): boolean {
  return save.get(r.table)?.rules.includes(ruleText(r)) ?? false;
}

/** ipTablesRulesExist: the group's chain exists and every rule is present (anywhere in its chain). */
export function groupIntact(group: RuleGroup, save: Map<string, SavedTable>): boolean {
  const t = save.get(group.table);
  if (!t?.chains.has(group.chain)) return false;
  return group.rules.every((r) => exists(save, r));
}

/**
 * iptables-restore --noflush input that (re)builds the groups: with `flush`, the flannel chain is
 * emptied first (start-up's ClearChain); without, it is only created when missing. Rules still
 * present are deleted before everything is appended, so the group ends up complete and in order.
 */
export function bootstrapRestore(
  groups: readonly RuleGroup[],
  save: Map<string, SavedTable>,
  flush: boolean,
): string {
  const out: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const mine = groups.filter((g) => g.table === table);
    if (mine.length === 0) continue;
    out.push(`*${table}`);
    const saved = save.get(table);
    for (const g of mine) if (flush || !saved?.chains.has(g.chain)) out.push(`:${g.chain} - [0:0]`);
    for (const g of mine) {
      const flushed = flush || !saved?.chains.has(g.chain);
      for (const r of g.rules) {
        const insideFlushed = flushed && r.chain === g.chain;
        if (!insideFlushed && exists(save, r)) out.push(`-D ${r.chain} ${r.spec}`);
      }
      for (const r of g.rules) out.push(ruleText(r));
    }
    out.push('COMMIT');
  }
  return `${out.join('\n')}\n`;
}

/** teardownIPTables: delete each rule that exists; chains stay (empty). Undefined when nothing is left. */
export function teardownRestore(
  groups: readonly RuleGroup[],
  save: Map<string, SavedTable>,
): string | undefined {
  const out: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const dels = groups
      .filter((g) => g.table === table && save.get(table)?.chains.has(g.chain))
      .flatMap((g) => g.rules)
      .filter((r) => exists(save, r))
      .map((r) => `-D ${r.chain} ${r.spec}`);
    if (dels.length > 0) out.push(`*${table}`, ...dels, 'COMMIT');
  }
  return out.length > 0 ? `${out.join('\n')}\n` : undefined;
}
