/**
 * CustomResourceDefinitions (apiextensions.k8s.io/v1) and the kinds a CRD serves: one
 * KindDefinition per served version, with the CRD's status/scale subresources and its
 * additionalPrinterColumns as the table.
 */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { defineStrategy, specOf } from '../lib/base.ts';
import { since } from '../lib/duration.ts';
import { each, invalid, notSupported, required } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { evaluate } from '../lib/jsonpath.ts';
import { isDNS1035Label, isDNS1123Subdomain } from '../lib/names.ts';
import { createdAtTable, nameCol } from '../lib/table.ts';
import type { ColumnDefinition, KindDefinition, TableConvertor } from '../strategy.ts';

type Obj = Record<string, any>;

const versionsOf = (crd: KObject): Obj[] =>
  Array.isArray(crd.spec?.versions)
    ? crd.spec.versions.filter((v: unknown) => v && typeof v === 'object')
    : [];

function validateCRD(crd: KObject): FieldError[] {
  const spec: Obj = crd.spec ?? {};
  const names: Obj = spec.names ?? {};
  const errs: FieldError[] = [];
  if (crd.metadata.name !== `${names.plural}.${spec.group}`) {
    errs.push(invalid('metadata.name', crd.metadata.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  }
  if (!spec.group) errs.push(required('spec.group'));
  else {
    errs.push(...each('spec.group', spec.group, isDNS1123Subdomain(String(spec.group))));
    if (String(spec.group).split('.').length < 2)
      errs.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  if (!['Namespaced', 'Cluster'].includes(spec.scope)) {
    if (!spec.scope) errs.push(required('spec.scope'));
    else errs.push(notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));
  }
  if (!names.plural) errs.push(required('spec.names.plural'));
  else errs.push(...each('spec.names.plural', names.plural, isDNS1035Label(String(names.plural))));
  if (!names.kind) errs.push(required('spec.names.kind'));
  if (!names.listKind) errs.push(required('spec.names.listKind'));
  const versions = versionsOf(crd);
  if (!versions.length)
    errs.push(invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v.storage).length !== 1) {
    errs.push(
      invalid(
        'spec.versions',
        versions.map((v) => v.name),
        'must have exactly one version marked as storage version',
      ),
    );
  }
  versions.forEach((v, i) => {
    if (!v.name) errs.push(required(`spec.versions[${i}].name`));
    else errs.push(...each(`spec.versions[${i}].name`, v.name, isDNS1035Label(String(v.name))));
  });
  return errs;
}

export const customResourceDefinitions: KindDefinition = {
  info: info({
    group: 'apiextensions.k8s.io',
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: ['status'],
  }),
  strategy: defineStrategy({
    tracksGeneration: true,
    status: true,
    initialStatus: (crd) => ({
      acceptedNames: { kind: '', plural: '' },
      storedVersions: versionsOf(crd)
        .filter((v) => v.storage)
        .map((v) => v.name),
    }),
    defaults(crd) {
      const spec = specOf(crd);
      const names = (spec.names ??= {});
      if (names.kind && !names.singular) names.singular = String(names.kind).toLowerCase();
      if (names.kind && !names.listKind) names.listKind = `${names.kind}List`;
      spec.conversion ??= { strategy: 'None' };
    },
    validate: validateCRD,
    validateUpdate(crd, old) {
      const errs: FieldError[] = [];
      if (crd.spec?.scope !== old.spec?.scope)
        errs.push(invalid('spec.scope', crd.spec?.scope ?? '', 'field is immutable'));
      if (crd.spec?.names?.plural !== old.spec?.names?.plural) {
        errs.push(invalid('spec.names.plural', crd.spec?.names?.plural ?? '', 'field is immutable'));
      }
      return errs;
    },
    table: createdAtTable,
  }),
};

const CREATED_DOC = 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp';

function columnsOf(crd: KObject, version: Obj): Obj[] {
  const cols = version.additionalPrinterColumns ?? crd.spec?.additionalPrinterColumns;
  if (Array.isArray(cols) && cols.length) return cols;
  return [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATED_DOC }];
}

/** cellForJSONValue: typed cells; a date column shows an age; nothing found shows as `<none>`. */
function cell(type: string, value: unknown, now: number): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? since(value, now) : null;
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

function customTable(crd: KObject, version: Obj): TableConvertor {
  const cols = columnsOf(crd, version);
  const columns: ColumnDefinition[] = [
    nameCol(),
    ...cols.map((c) => ({
      name: String(c.name),
      type: (c.type === 'date'
        ? 'date'
        : ['integer', 'number', 'boolean'].includes(c.type)
          ? c.type
          : 'string') as ColumnDefinition['type'],
      format: c.format ?? '',
      description: c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    })),
  ];
  return {
    columns,
    cells: (obj, ctx) => [
      obj.metadata.name,
      ...cols.map((c) => cell(c.type, evaluate(obj, String(c.jsonPath ?? ''))[0], ctx.now())),
    ],
  };
}

/** The kind one served version of a CRD adds to the API. */
export function customResourceKind(crd: KObject, version: Obj): KindDefinition {
  const spec: Obj = crd.spec ?? {};
  const names: Obj = spec.names ?? {};
  const sub: Obj = version.subresources ?? spec.subresources ?? {};
  const subresources = [...(sub.status ? ['status'] : []), ...(sub.scale ? ['scale'] : [])];
  const hasStatus = Boolean(sub.status);
  return {
    info: info({
      group: spec.group,
      version: version.name,
      resource: names.plural,
      singular: names.singular || String(names.kind ?? '').toLowerCase(),
      kind: names.kind,
      namespaced: (spec.scope ?? 'Namespaced') === 'Namespaced',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      subresources,
    }),
    strategy: defineStrategy({
      tracksGeneration: true,
      // With a status subresource, status is dropped on create and kept on update of the main resource.
      status: hasStatus,
      initialStatus: () => undefined,
      table: customTable(crd, version),
    }),
  };
}

/** Every served version of a CRD as a kind; listKind follows the CRD's names. */
export function kindForCustomResource(crd: KObject): KindDefinition[] {
  return versionsOf(crd)
    .filter((v) => v.served !== false)
    .map((v) => {
      const def = customResourceKind(crd, v);
      if (crd.spec?.names?.listKind) def.info.listKind = crd.spec.names.listKind;
      return def;
    });
}
