/** rbac.authorization.k8s.io/v1: roles print NAME / CREATED AT, bindings show their role and subjects. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { defineStrategy } from '../lib/base.ts';
import { invalid, notSupported, required, sameJSON } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { nameIsPathSegment } from '../lib/names.ts';
import { age, ageCol, col, createdAtTable, nameCol, wide } from '../lib/table.ts';
import type { KindDefinition, TableConvertor } from '../strategy.ts';

type Obj = Record<string, any>;
const GROUP = 'rbac.authorization.k8s.io';

function validateRules(rules: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (Array.isArray(rules) ? rules : []).forEach((r: Obj, i: number) => {
    const p = `${path}[${i}]`;
    if (!(r?.verbs ?? []).length) errs.push(required(`${p}.verbs`, 'verbs must contain at least one value'));
    if ((r?.nonResourceURLs ?? []).length) {
      if ((r.apiGroups ?? []).length || (r.resources ?? []).length || (r.resourceNames ?? []).length) {
        errs.push(
          invalid(
            `${p}.nonResourceURLs`,
            r.nonResourceURLs,
            'rules cannot apply to both regular resources and non-resource URLs',
          ),
        );
      }
    } else if (!(r?.apiGroups ?? []).length) {
      errs.push(required(`${p}.apiGroups`, 'resource rules must supply at least one api group'));
    } else if (!(r?.resources ?? []).length) {
      errs.push(required(`${p}.resources`, 'resource rules must supply at least one resource'));
    }
  });
  return errs;
}

function validateBinding(b: KObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref: Obj = b.roleRef ?? {};
  if (ref.apiGroup !== GROUP) errs.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errs.push(required('roleRef.name'));
  (Array.isArray(b.subjects) ? b.subjects : []).forEach((s: Obj, i: number) => {
    const p = `subjects[${i}]`;
    if (!s?.name) errs.push(required(`${p}.name`));
    switch (s?.kind) {
      case 'ServiceAccount':
        if (s.apiGroup) errs.push(notSupported(`${p}.apiGroup`, s.apiGroup, ['']));
        if (!namespaced && !s.namespace) errs.push(required(`${p}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (s.apiGroup !== GROUP) errs.push(notSupported(`${p}.apiGroup`, s.apiGroup ?? '', [GROUP]));
        break;
      default:
        errs.push(notSupported(`${p}.kind`, s?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  return errs;
}

function subjectsCells(b: KObject): string[] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of Array.isArray(b.subjects) ? b.subjects : []) {
    if (s?.kind === 'User') users.push(s.name);
    else if (s?.kind === 'Group') groups.push(s.name);
    else if (s?.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name}`);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingTable(what: string): TableConvertor {
  return {
    columns: [
      nameCol(),
      col(
        'Role',
        'string',
        'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.',
      ),
      ageCol(),
      wide('Users', `Users in the ${what}`),
      wide('Groups', `Groups in the ${what}`),
      wide('ServiceAccounts', `ServiceAccounts in the ${what}`),
    ],
    cells: (b, ctx) => [
      b.metadata.name,
      `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`,
      age(b, ctx),
      ...subjectsCells(b),
    ],
  };
}

const roleRefImmutable = (b: KObject, old: KObject) =>
  sameJSON(b.roleRef, old.roleRef) ? [] : [invalid('roleRef', b.roleRef ?? {}, 'cannot change roleRef')];

export const rbacKinds: KindDefinition[] = [
  {
    info: info({ group: GROUP, resource: 'roles', kind: 'Role' }),
    strategy: defineStrategy({
      name: nameIsPathSegment,
      validate: (r) => validateRules(r.rules, 'rules'),
      table: createdAtTable,
    }),
  },
  {
    info: info({ group: GROUP, resource: 'clusterroles', kind: 'ClusterRole', namespaced: false }),
    strategy: defineStrategy({
      name: nameIsPathSegment,
      validate: (r) => validateRules(r.rules, 'rules'),
      table: createdAtTable,
    }),
  },
  {
    info: info({ group: GROUP, resource: 'rolebindings', kind: 'RoleBinding' }),
    strategy: defineStrategy({
      name: nameIsPathSegment,
      validate: (b) => validateBinding(b, true),
      validateUpdate: roleRefImmutable,
      table: bindingTable('roleBinding'),
    }),
  },
  {
    info: info({
      group: GROUP,
      resource: 'clusterrolebindings',
      kind: 'ClusterRoleBinding',
      namespaced: false,
    }),
    strategy: defineStrategy({
      name: nameIsPathSegment,
      validate: (b) => validateBinding(b, false),
      validateUpdate: roleRefImmutable,
      table: bindingTable('clusterRoleBinding'),
    }),
  },
];
