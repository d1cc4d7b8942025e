/** Endpoints (core/v1): validation of addresses and ports, canonical subsets, the `get ep` table. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { defineStrategy } from '../lib/base.ts';
import { each, invalid, notSupported, required } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import {
  INVALID_IP,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidPortNum,
  nonSpecialIPErrors,
  parsesAsIP,
} from '../lib/names.ts';
import { age, ageCol, col, nameCol } from '../lib/table.ts';
import type { KindDefinition } from '../strategy.ts';

type Obj = Record<string, any>;

const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);

function validateAddress(a: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!parsesAsIP(a.ip)) errs.push(invalid(`${path}.ip`, a.ip ?? '', INVALID_IP));
  if (a.hostname) errs.push(...each(`${path}.hostname`, a.hostname, isDNS1123Label(String(a.hostname))));
  if (a.nodeName) errs.push(...each(`${path}.nodeName`, a.nodeName, isDNS1123Subdomain(String(a.nodeName))));
  errs.push(...each(`${path}.ip`, a.ip ?? '', nonSpecialIPErrors(String(a.ip ?? ''))));
  return errs;
}

function validatePort(p: Obj, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(required(`${path}.name`));
  else if (p.name) errs.push(...each(`${path}.name`, p.name, isDNS1123Label(String(p.name))));
  errs.push(...each(`${path}.port`, p.port ?? 0, isValidPortNum(p.port)));
  if (!p.protocol) errs.push(required(`${path}.protocol`));
  else if (!['SCTP', 'TCP', 'UDP'].includes(p.protocol))
    errs.push(notSupported(`${path}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
  if (p.appProtocol !== undefined && p.appProtocol !== null) {
    errs.push(...each(`${path}.appProtocol`, p.appProtocol, isQualifiedName(String(p.appProtocol))));
  }
  return errs;
}

function validateEndpoints(ep: KObject): FieldError[] {
  const errs: FieldError[] = [];
  list(ep.subsets).forEach((ss, i) => {
    const p = `subsets[${i}]`;
    if (!list(ss.addresses).length && !list(ss.notReadyAddresses).length) {
      errs.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    list(ss.addresses).forEach((a, j) => {
      errs.push(...validateAddress(a, `${p}.addresses[${j}]`));
    });
    list(ss.notReadyAddresses).forEach((a, j) => {
      errs.push(...validateAddress(a, `${p}.notReadyAddresses[${j}]`));
    });
    const ports = list(ss.ports);
    ports.forEach((port, j) => {
      errs.push(...validatePort(port, ports.length > 1, `${p}.ports[${j}]`));
    });
  });
  return errs;
}

const byIPThenUID = (a: Obj, b: Obj) => {
  const ip = String(a.ip ?? '').localeCompare(String(b.ip ?? ''));
  if (ip) return ip;
  return String(a.targetRef?.uid ?? '').localeCompare(String(b.targetRef?.uid ?? ''));
};

/**
 * RepackSubsets: subsets with the same ports merge, addresses are de-duplicated and sorted, and an
 * address that is ready anywhere is not also listed as not ready.
 */
export function repackSubsets(subsets: unknown): Obj[] {
  const groups = new Map<string, { ports: Obj[]; ready: Map<string, Obj>; notReady: Map<string, Obj> }>();
  for (const ss of list(subsets)) {
    const ports = list(ss.ports);
    const key = JSON.stringify([...ports].map((p) => JSON.stringify(p)).sort());
    let g = groups.get(key);
    if (!g) {
      g = { ports, ready: new Map(), notReady: new Map() };
      groups.set(key, g);
    }
    for (const a of list(ss.addresses)) g.ready.set(JSON.stringify(a), a);
    for (const a of list(ss.notReadyAddresses)) g.notReady.set(JSON.stringify(a), a);
  }
  const out: Obj[] = [];
  for (const g of groups.values()) {
    for (const k of g.ready.keys()) g.notReady.delete(k);
    const ss: Obj = {};
    if (g.ready.size) ss.addresses = [...g.ready.values()].sort(byIPThenUID);
    if (g.notReady.size) ss.notReadyAddresses = [...g.notReady.values()].sort(byIPThenUID);
    if (g.ports.length) ss.ports = g.ports;
    out.push(ss);
  }
  return out;
}

/** formatEndpoints: up to three `ip:port` entries, then `+ N more...`; `<none>` without subsets. */
export function formatEndpoints(ep: KObject): string {
  const subsets = list(ep.subsets);
  if (!subsets.length) return '<none>';
  const max = 3;
  const shown: string[] = [];
  let count = 0;
  let more = false;
  for (const ss of subsets) {
    const addrs = list(ss.addresses);
    const ports = list(ss.ports);
    if (!ports.length) {
      count += addrs.length;
      for (const a of addrs) {
        if (shown.length === max) {
          more = true;
          break;
        }
        shown.push(a.ip);
      }
      continue;
    }
    for (const port of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (shown.length === max) {
          more = true;
          break;
        }
        shown.push(String(a.ip).includes(':') ? `[${a.ip}]:${port.port}` : `${a.ip}:${port.port}`);
      }
    }
  }
  const text = shown.join(',');
  return more ? `${text} + ${count - max} more...` : text;
}

/** Canonicalize runs after validation upstream; repacking only valid input keeps error paths as sent. */
function canonicalize(ep: KObject): void {
  if (ep.subsets === undefined || validateEndpoints(ep).length) return;
  const packed = repackSubsets(ep.subsets);
  if (packed.length) ep.subsets = packed;
  else delete ep.subsets;
}

export const endpoints: KindDefinition = {
  info: info({ resource: 'endpoints', kind: 'Endpoints', singular: 'endpoints', shortNames: ['ep'] }),
  strategy: defineStrategy({
    defaults(ep) {
      for (const ss of list(ep.subsets)) for (const p of list(ss.ports)) if (!p.protocol) p.protocol = 'TCP';
    },
    prepareForCreate: canonicalize,
    prepareForUpdate: canonicalize,
    validate: validateEndpoints,
    table: {
      columns: [
        nameCol(),
        col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'),
        ageCol(),
      ],
      cells: (ep, ctx) => [ep.metadata.name, formatEndpoints(ep), age(ep, ctx)],
    },
  }),
};
