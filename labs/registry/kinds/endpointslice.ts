/** EndpointSlices (discovery.k8s.io/v1): what `describe svc` and kube-proxy read. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { defineStrategy } from '../lib/base.ts';
import { duplicate, each, FIELD_IMMUTABLE, invalid, notSupported, required } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isIPv6,
  isQualifiedName,
  isSloppyIPv4,
  isValidPortNum,
  nonSpecialIPErrors,
} from '../lib/names.ts';
import { age, ageCol, col, nameCol } from '../lib/table.ts';
import type { KindDefinition } from '../strategy.ts';

type Obj = Record<string, any>;

const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);
const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

function validateSlice(eps: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const type = eps.addressType;
  if (!type) errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(notSupported('addressType', type, ADDRESS_TYPES));
  const endpoints = list(eps.endpoints);
  if (endpoints.length > 1000)
    errs.push({ type: 'TooMany', field: 'endpoints', detail: 'must have at most 1000 items' });
  endpoints.forEach((ep, i) => {
    const p = `endpoints[${i}]`;
    const addrs: unknown[] = Array.isArray(ep.addresses) ? ep.addresses : [];
    if (!addrs.length) errs.push(required(`${p}.addresses`, 'must contain at least 1 address'));
    else if (addrs.length > 100)
      errs.push({ type: 'TooMany', field: `${p}.addresses`, detail: 'must have at most 100 items' });
    addrs.forEach((a, j) => {
      const ap = `${p}.addresses[${j}]`;
      const addr = String(a ?? '');
      if (type === 'IPv4') {
        if (!isSloppyIPv4(addr)) errs.push(invalid(ap, addr, 'must be a valid IPv4 address'));
        else errs.push(...each(ap, addr, nonSpecialIPErrors(addr)));
      } else if (type === 'IPv6') {
        if (!isIPv6(addr)) errs.push(invalid(ap, addr, 'must be a valid IPv6 address'));
      } else if (type === 'FQDN') {
        errs.push(...each(ap, addr, isDNS1123Subdomain(addr.replace(/\.$/, ''))));
      }
    });
    if (ep.nodeName)
      errs.push(...each(`${p}.nodeName`, ep.nodeName, isDNS1123Subdomain(String(ep.nodeName))));
    if (ep.hostname) errs.push(...each(`${p}.hostname`, ep.hostname, isDNS1123Label(String(ep.hostname))));
  });
  const names = new Set<string>();
  list(eps.ports).forEach((port, i) => {
    const p = `ports[${i}]`;
    const name = String(port.name ?? '');
    if (name) errs.push(...each(`${p}.name`, name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
    else names.add(name);
    if (!port.protocol) errs.push(required(`${p}.protocol`));
    else if (!['SCTP', 'TCP', 'UDP'].includes(port.protocol))
      errs.push(notSupported(`${p}.protocol`, port.protocol, ['SCTP', 'TCP', 'UDP']));
    if (port.port !== undefined && port.port !== null && port.port !== 0)
      errs.push(...each(`${p}.port`, port.port, isValidPortNum(port.port)));
    if (port.appProtocol !== undefined && port.appProtocol !== null) {
      errs.push(...each(`${p}.appProtocol`, port.appProtocol, isQualifiedName(String(port.appProtocol))));
    }
  });
  return errs;
}

/** Up to three items, then `+ N more...`; `<unset>` when there are none. */
function listWithMore(items: string[], max = 3): string {
  if (!items.length) return '<unset>';
  const shown = items.slice(0, max).join(',');
  return items.length > max ? `${shown} + ${items.length - max} more...` : shown;
}

export function slicePortsCell(eps: KObject): string {
  return listWithMore(
    list(eps.ports).map((p) =>
      typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*',
    ),
  );
}

export function sliceEndpointsCell(eps: KObject): string {
  return listWithMore(
    list(eps.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(String) : [])),
  );
}

export const endpointSlices: KindDefinition = {
  info: info({ group: 'discovery.k8s.io', resource: 'endpointslices', kind: 'EndpointSlice' }),
  strategy: defineStrategy({
    tracksGeneration: true,
    defaults(eps) {
      for (const p of list(eps.ports)) {
        p.name ??= '';
        if (!p.protocol) p.protocol = 'TCP';
      }
    },
    validate: validateSlice,
    validateUpdate: (eps, old) =>
      eps.addressType === old.addressType
        ? []
        : [invalid('addressType', eps.addressType ?? '', FIELD_IMMUTABLE)],
    table: {
      columns: [
        nameCol(),
        col(
          'AddressType',
          'string',
          'addressType specifies the type of address carried by this EndpointSlice.',
        ),
        col(
          'Ports',
          'string',
          'ports specifies the list of network ports exposed by each endpoint in this slice.',
        ),
        col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
        ageCol(),
      ],
      cells: (eps, ctx) => [
        eps.metadata.name,
        eps.addressType ?? '',
        slicePortsCell(eps),
        sliceEndpointsCell(eps),
        age(eps, ctx),
      ],
    },
  }),
};
