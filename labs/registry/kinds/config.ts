/** ConfigMaps, Secrets and ServiceAccounts. */
import { Buffer } from 'node:buffer';
import { badRequest, type FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { defineStrategy } from '../lib/base.ts';
import { each, FIELD_IMMUTABLE, forbidden, invalid, key, required, sameJSON } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { isConfigMapKey } from '../lib/names.ts';
import { age, ageCol, col, nameCol } from '../lib/table.ts';
import type { KindDefinition } from '../strategy.ts';

const entries = (v: unknown): [string, unknown][] => (v && typeof v === 'object' ? Object.entries(v) : []);

function validateKeys(obj: KObject, bags: string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const bag of bags) {
    for (const [k] of entries(obj[bag])) errs.push(...each(key(bag, k), k, isConfigMapKey(k)));
  }
  // A ConfigMap key may live in data or binaryData, not both.
  const binary = obj.binaryData && typeof obj.binaryData === 'object' ? obj.binaryData : {};
  if (bags.includes('binaryData')) {
    for (const [k] of entries(obj.data)) {
      if (k in binary) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    }
  }
  return errs;
}

/** Once `immutable: true` is stored, the payload and the flag itself are frozen. */
function immutablePayload(obj: KObject, old: KObject, bags: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const bag of bags) {
    if (!sameJSON(obj[bag], old[bag]))
      errs.push(forbidden(bag, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

export const configMaps: KindDefinition = {
  info: info({ resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  strategy: defineStrategy({
    validate: (cm) => validateKeys(cm, ['data', 'binaryData']),
    validateUpdate: (cm, old) => immutablePayload(cm, old, ['data', 'binaryData']),
    table: {
      columns: [nameCol(), col('Data', 'string', 'Data contains the configuration data.'), ageCol()],
      cells: (cm, ctx) => [
        cm.metadata.name,
        entries(cm.data).length + entries(cm.binaryData).length,
        age(cm, ctx),
      ],
    },
  }),
};

/** Position of the first byte that is not valid standard base64, as Go's decoder reports it. */
function base64Error(text: string): number | undefined {
  const clean = text.replace(/[\r\n]/g, '');
  for (let i = 0; i < clean.length; i++) {
    const ch = clean[i];
    if (ch === '=') {
      const rest = clean.slice(i);
      if (!/^={1,2}$/.test(rest) || clean.length % 4 !== 0) return i;
      return undefined;
    }
    if (!/[A-Za-z0-9+/]/.test(ch)) return i;
  }
  if (clean.length % 4 !== 0) return clean.length - (clean.length % 4);
  return undefined;
}

/** What the v1 -> internal conversion does on decode: stringData merges into data, bad base64 is a 400. */
function decodeSecret(secret: KObject): void {
  for (const [, v] of entries(secret.data)) {
    const at = typeof v === 'string' ? base64Error(v) : 0;
    if (at !== undefined) {
      throw badRequest(
        `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${at}`,
      );
    }
  }
  if (secret.stringData && typeof secret.stringData === 'object') {
    secret.data = { ...(secret.data ?? {}) };
    for (const [k, v] of entries(secret.stringData))
      secret.data[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
    delete secret.stringData;
  }
  if (!secret.type) secret.type = 'Opaque';
}

const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

function validateSecret(secret: KObject): FieldError[] {
  const errs = validateKeys(secret, ['data']);
  const data = secret.data ?? {};
  const type = secret.type;
  if (
    type === 'kubernetes.io/service-account-token' &&
    !secret.metadata.annotations?.['kubernetes.io/service-account.name']
  ) {
    errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  for (const k of REQUIRED_KEYS[type] ?? []) if (!(k in data)) errs.push(required(key('data', k)));
  if (type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) {
    errs.push(required('data[username]', 'either username or password or both must be provided'));
  }
  return errs;
}

export const secrets: KindDefinition = {
  info: info({ resource: 'secrets', kind: 'Secret' }),
  strategy: defineStrategy({
    defaults: decodeSecret,
    validate: validateSecret,
    validateUpdate: (s, old) => [
      ...(s.type === old.type ? [] : [invalid('type', s.type, FIELD_IMMUTABLE)]),
      ...immutablePayload(s, old, ['data']),
    ],
    selectableFields: (s) => ({ type: s.type ?? '' }),
    table: {
      columns: [
        nameCol(),
        col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
        col('Data', 'string', 'Data contains the secret data.'),
        ageCol(),
      ],
      cells: (s, ctx) => [s.metadata.name, s.type ?? '', entries(s.data).length, age(s, ctx)],
    },
  }),
};

export const serviceAccounts: KindDefinition = {
  info: info({
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    shortNames: ['sa'],
    subresources: ['token'],
  }),
  strategy: defineStrategy({
    table: {
      columns: [
        nameCol(),
        col(
          'Secrets',
          'string',
          'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
        ),
        ageCol(),
      ],
      cells: (sa, ctx) => [sa.metadata.name, Array.isArray(sa.secrets) ? sa.secrets.length : 0, age(sa, ctx)],
    },
  }),
};
