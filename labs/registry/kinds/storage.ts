/** Volumes and storage: PersistentVolumes, claims, StorageClasses and the CSI objects. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { defineStrategy, specOf } from '../lib/base.ts';
import { forbidden, invalid, notSupported, required, sameJSON } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { age, ageCol, col, nameCol, wide } from '../lib/table.ts';
import type { KindDefinition } from '../strategy.ts';

type Obj = Record<string, any>;

const ACCESS_MODES: Record<string, string> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};

/** GetAccessModesAsString: fixed order, abbreviated, comma-joined. */
function accessModes(modes: unknown): string {
  const have = new Set(Array.isArray(modes) ? modes : []);
  return ['ReadWriteOncePod', 'ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany']
    .filter((m) => have.has(m))
    .map((m) => ACCESS_MODES[m])
    .join(',');
}

const className = (obj: KObject) =>
  obj.spec?.storageClassName ?? obj.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';

function validateAccessModes(modes: unknown, path: string): FieldError[] {
  const list: unknown[] = Array.isArray(modes) ? modes : [];
  if (!list.length) return [required(path)];
  return list
    .filter((m) => typeof m !== 'string' || !(m in ACCESS_MODES))
    .map((m) =>
      notSupported(path, m, ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod']),
    );
}

export const persistentVolumes: KindDefinition = {
  info: info({
    resource: 'persistentvolumes',
    kind: 'PersistentVolume',
    namespaced: false,
    shortNames: ['pv'],
    subresources: ['status'],
  }),
  strategy: defineStrategy({
    status: true,
    initialStatus: () => ({ phase: 'Pending' }),
    defaults(pv) {
      const spec = specOf(pv);
      if (!spec.persistentVolumeReclaimPolicy) spec.persistentVolumeReclaimPolicy = 'Retain';
      if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
      if (spec.hostPath && typeof spec.hostPath === 'object') spec.hostPath.type ??= '';
    },
    validate(pv) {
      const spec: Obj = pv.spec ?? {};
      const errs = validateAccessModes(spec.accessModes, 'spec.accessModes');
      if (!spec.capacity?.storage) errs.push(required('spec.capacity'));
      return errs;
    },
    table: {
      columns: [
        nameCol(),
        col(
          'Capacity',
          'string',
          "capacity is the description of the persistent volume's resources and capacity.",
        ),
        col('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
        col(
          'Reclaim Policy',
          'string',
          'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
        ),
        col(
          'Status',
          'string',
          'phase indicates if a volume is available, bound to a claim, or released by a claim.',
        ),
        col(
          'Claim',
          'string',
          'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
        ),
        col('StorageClass', 'string', 'StorageClass of the pv'),
        col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
        col('Reason', 'string', 'reason is a brief CamelCase string that describes any failure.'),
        ageCol(),
        wide(
          'VolumeMode',
          'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
        ),
      ],
      cells: (pv, ctx) => {
        const spec: Obj = pv.spec ?? {};
        const claim = spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
        return [
          pv.metadata.name,
          String(spec.capacity?.storage ?? '0'),
          accessModes(spec.accessModes),
          spec.persistentVolumeReclaimPolicy ?? '',
          pv.metadata.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? ''),
          claim,
          className(pv),
          spec.volumeAttributesClassName ?? '<unset>',
          pv.status?.reason ?? '',
          age(pv, ctx),
          spec.volumeMode ?? '<unset>',
        ];
      },
    },
  }),
};

export const persistentVolumeClaims: KindDefinition = {
  info: info({
    resource: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  strategy: defineStrategy({
    status: true,
    initialStatus: () => ({ phase: 'Pending' }),
    defaults(pvc) {
      const spec = specOf(pvc);
      if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
    },
    validate(pvc) {
      const spec: Obj = pvc.spec ?? {};
      const errs = validateAccessModes(spec.accessModes, 'spec.accessModes');
      if (!spec.resources?.requests?.storage) errs.push(required('spec.resources[storage]'));
      return errs;
    },
    validateUpdate(pvc, old) {
      const strip = (spec: Obj) => ({
        ...(spec ?? {}),
        resources: undefined,
        volumeAttributesClassName: undefined,
        volumeName: undefined,
      });
      if (sameJSON(strip(pvc.spec), strip(old.spec))) return [];
      return [
        forbidden(
          'spec',
          'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
        ),
      ];
    },
    table: {
      columns: [
        nameCol(),
        col('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
        col(
          'Volume',
          'string',
          'volumeName is the binding reference to the PersistentVolume backing this claim.',
        ),
        col('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
        col(
          'Access Modes',
          'string',
          'accessModes contains the actual access modes the volume backing the PVC has.',
        ),
        col('StorageClass', 'string', 'StorageClass of the pvc'),
        col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
        ageCol(),
        wide('VolumeMode', 'volumeMode defines what type of volume is required by the claim.'),
      ],
      cells: (pvc, ctx) => {
        const spec: Obj = pvc.spec ?? {};
        const bound = Boolean(spec.volumeName);
        return [
          pvc.metadata.name,
          pvc.metadata.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? ''),
          spec.volumeName ?? '',
          bound ? String(pvc.status?.capacity?.storage ?? '0') : '',
          bound ? accessModes(pvc.status?.accessModes) : '',
          className(pvc),
          spec.volumeAttributesClassName ?? '<unset>',
          age(pvc, ctx),
          spec.volumeMode ?? '<unset>',
        ];
      },
    },
  }),
};

export const storageClasses: KindDefinition = {
  info: info({
    group: 'storage.k8s.io',
    resource: 'storageclasses',
    kind: 'StorageClass',
    namespaced: false,
    shortNames: ['sc'],
  }),
  strategy: defineStrategy({
    defaults(sc) {
      if (!sc.reclaimPolicy) sc.reclaimPolicy = 'Delete';
      if (!sc.volumeBindingMode) sc.volumeBindingMode = 'Immediate';
    },
    validate: (sc) => (sc.provisioner ? [] : [required('provisioner')]),
    validateUpdate: (sc, old) => [
      ...(sc.provisioner === old.provisioner
        ? []
        : [forbidden('provisioner', 'updates to provisioner are forbidden.')]),
      ...(sameJSON(sc.parameters, old.parameters)
        ? []
        : [forbidden('parameters', 'updates to parameters are forbidden.')]),
      ...(sc.reclaimPolicy === old.reclaimPolicy
        ? []
        : [forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.')]),
      ...(sc.volumeBindingMode === old.volumeBindingMode
        ? []
        : [invalid('volumeBindingMode', sc.volumeBindingMode, 'field is immutable')]),
    ],
    table: {
      columns: [
        nameCol(),
        col('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
        col(
          'ReclaimPolicy',
          'string',
          'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.',
        ),
        col(
          'VolumeBindingMode',
          'string',
          'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.',
        ),
        col(
          'AllowVolumeExpansion',
          'string',
          'allowVolumeExpansion shows whether the storage class allow volume expand.',
        ),
        ageCol(),
      ],
      cells: (sc, ctx) => {
        const isDefault = [
          'storageclass.kubernetes.io/is-default-class',
          'storageclass.beta.kubernetes.io/is-default-class',
        ].some((k) => sc.metadata.annotations?.[k] === 'true');
        return [
          isDefault ? `${sc.metadata.name} (default)` : sc.metadata.name,
          sc.provisioner ?? '',
          sc.reclaimPolicy ?? 'Delete',
          sc.volumeBindingMode ?? 'Immediate',
          sc.allowVolumeExpansion === true,
          age(sc, ctx),
        ];
      },
    },
  }),
};

export const csiKinds: KindDefinition[] = [
  {
    info: info({ group: 'storage.k8s.io', resource: 'csidrivers', kind: 'CSIDriver', namespaced: false }),
    strategy: defineStrategy({
      defaults(d) {
        const spec = specOf(d);
        spec.attachRequired ??= true;
        spec.podInfoOnMount ??= false;
        spec.storageCapacity ??= false;
        spec.requiresRepublish ??= false;
        spec.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
        spec.seLinuxMount ??= false;
        if (!(spec.volumeLifecycleModes ?? []).length) spec.volumeLifecycleModes = ['Persistent'];
      },
      table: {
        columns: [
          nameCol(),
          col(
            'AttachRequired',
            'boolean',
            'attachRequired indicates this CSI volume driver requires an attach operation.',
          ),
          col(
            'PodInfoOnMount',
            'boolean',
            'podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations.',
          ),
          col(
            'StorageCapacity',
            'boolean',
            'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity.',
          ),
          col(
            'TokenRequests',
            'string',
            'tokenRequests indicates the CSI driver needs pods service account tokens it is mounting volume for.',
          ),
          col(
            'RequiresRepublish',
            'boolean',
            'requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called.',
          ),
          col(
            'Modes',
            'string',
            'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.',
          ),
          ageCol(),
        ],
        cells: (d, ctx) => {
          const spec: Obj = d.spec ?? {};
          const tokens = Array.isArray(spec.tokenRequests)
            ? spec.tokenRequests.map((t: Obj) => t.audience).join(',')
            : '<unset>';
          return [
            d.metadata.name,
            spec.attachRequired !== false,
            spec.podInfoOnMount === true,
            spec.storageCapacity === true,
            tokens,
            spec.requiresRepublish === true,
            (spec.volumeLifecycleModes ?? []).join(',') || '<none>',
            age(d, ctx),
          ];
        },
      },
    }),
  },
  {
    info: info({ group: 'storage.k8s.io', resource: 'csinodes', kind: 'CSINode', namespaced: false }),
    strategy: defineStrategy({
      table: {
        columns: [
          nameCol(),
          col('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node'),
          ageCol(),
        ],
        cells: (n, ctx) => [n.metadata.name, (n.spec?.drivers ?? []).length, age(n, ctx)],
      },
    }),
  },
  {
    info: info({
      group: 'storage.k8s.io',
      resource: 'volumeattachments',
      kind: 'VolumeAttachment',
      namespaced: false,
      subresources: ['status'],
    }),
    strategy: defineStrategy({
      status: true,
      table: {
        columns: [
          nameCol(),
          {
            ...col(
              'Attacher',
              'string',
              'attacher indicates the name of the volume driver that MUST handle this request.',
            ),
            format: 'name',
          },
          col('PV', 'string', 'persistentVolumeName represents the name of the persistent volume to attach.'),
          col('Node', 'string', 'nodeName represents the node that the volume should be attached to.'),
          col('Attached', 'boolean', 'attached indicates the volume is successfully attached.'),
          ageCol(),
        ],
        cells: (v, ctx) => [
          v.metadata.name,
          v.spec?.attacher ?? '',
          v.spec?.source?.persistentVolumeName ?? '',
          v.spec?.nodeName ?? '',
          v.status?.attached === true,
          age(v, ctx),
        ],
      },
    }),
  },
  {
    info: info({ group: 'storage.k8s.io', resource: 'csistoragecapacities', kind: 'CSIStorageCapacity' }),
    strategy: defineStrategy({
      table: {
        columns: [
          nameCol(),
          col(
            'StorageClassName',
            'string',
            'storageClassName represents the name of the StorageClass that the reported capacity applies to.',
          ),
          col(
            'Capacity',
            'string',
            'capacity is the value reported by the CSI driver in its GetCapacityResponse.',
          ),
        ],
        cells: (c) => [c.metadata.name, c.storageClassName ?? '', c.capacity ?? '<unset>'],
      },
    }),
  },
];
