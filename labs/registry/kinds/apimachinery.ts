/**
 * Kinds about the API itself: admission configuration, APIServices, CSRs, flow control,
 * RuntimeClasses, ComponentStatuses, and the create-only review and binding resources that the
 * API server answers rather than stores.
 */
import type { KObject } from '../../kube/object.ts';
import { defineStrategy } from '../lib/base.ts';
import { humanDuration } from '../lib/duration.ts';
import { required } from '../lib/field.ts';
import { CREATE_ONLY, info } from '../lib/info.ts';
import { age, ageCol, col, createdAtTable, nameCol } from '../lib/table.ts';
import type { ClusterContext, KindDefinition } from '../strategy.ts';

type Obj = Record<string, any>;

const webhookTable = {
  columns: [
    nameCol(),
    col('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration'),
    ageCol(),
  ],
  cells: (w: KObject, ctx: ClusterContext) => [w.metadata.name, (w.webhooks ?? []).length, age(w, ctx)],
};

function defaultWebhooks(w: KObject, mutating: boolean): void {
  for (const h of Array.isArray(w.webhooks) ? w.webhooks : []) {
    if (!h || typeof h !== 'object') continue;
    h.failurePolicy ??= 'Fail';
    h.matchPolicy ??= 'Equivalent';
    h.namespaceSelector ??= {};
    h.objectSelector ??= {};
    h.timeoutSeconds ??= 10;
    if (mutating) h.reinvocationPolicy ??= 'Never';
    for (const r of h.rules ?? []) if (r && !r.scope) r.scope = '*';
    if (h.clientConfig?.service) h.clientConfig.service.port ??= 443;
  }
}

function csrCondition(csr: KObject): string {
  const types = new Set((csr.status?.conditions ?? []).map((c: Obj) => c.type));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (csr.status?.certificate) s += ',Issued';
  return s;
}

/** A resource the API server answers on create (SelfSubjectAccessReview and friends). */
function review(
  group: string,
  resource: string,
  kind: string,
  namespaced = false,
  answer?: (obj: KObject) => unknown,
): KindDefinition {
  return {
    info: info({ group, resource, kind, namespaced, verbs: CREATE_ONLY }),
    strategy: {
      prepareForCreate(obj) {
        if (answer) obj.status = answer(obj);
      },
    },
  };
}

export const apiMachineryKinds: KindDefinition[] = [
  {
    info: info({
      group: 'admissionregistration.k8s.io',
      resource: 'validatingwebhookconfigurations',
      kind: 'ValidatingWebhookConfiguration',
      namespaced: false,
      categories: ['api-extensions'],
    }),
    strategy: defineStrategy({
      tracksGeneration: true,
      defaults: (w) => defaultWebhooks(w, false),
      table: webhookTable,
    }),
  },
  {
    info: info({
      group: 'admissionregistration.k8s.io',
      resource: 'mutatingwebhookconfigurations',
      kind: 'MutatingWebhookConfiguration',
      namespaced: false,
      categories: ['api-extensions'],
    }),
    strategy: defineStrategy({
      tracksGeneration: true,
      defaults: (w) => defaultWebhooks(w, true),
      table: webhookTable,
    }),
  },
  {
    info: info({
      group: 'admissionregistration.k8s.io',
      resource: 'validatingadmissionpolicies',
      kind: 'ValidatingAdmissionPolicy',
      namespaced: false,
      categories: ['api-extensions'],
      subresources: ['status'],
    }),
    strategy: defineStrategy({ tracksGeneration: true, status: true, table: createdAtTable }),
  },
  {
    info: info({
      group: 'admissionregistration.k8s.io',
      resource: 'validatingadmissionpolicybindings',
      kind: 'ValidatingAdmissionPolicyBinding',
      namespaced: false,
      categories: ['api-extensions'],
    }),
    strategy: defineStrategy({ tracksGeneration: true, table: createdAtTable }),
  },
  {
    info: info({
      group: 'apiregistration.k8s.io',
      resource: 'apiservices',
      kind: 'APIService',
      namespaced: false,
      categories: ['api-extensions'],
      subresources: ['status'],
    }),
    strategy: defineStrategy({
      status: true,
      table: {
        columns: [
          nameCol(),
          col('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
          col('Available', 'string', 'Whether this service is available.'),
          ageCol(),
        ],
        cells: (a, ctx) => {
          const svc = a.spec?.service ? `${a.spec.service.namespace}/${a.spec.service.name}` : 'Local';
          const cond = (a.status?.conditions ?? []).find((c: Obj) => c.type === 'Available');
          const available = !cond
            ? 'Unknown'
            : cond.status === 'True'
              ? 'True'
              : `${cond.status} (${cond.reason})`;
          return [a.metadata.name, svc, available, age(a, ctx)];
        },
      },
    }),
  },
  {
    info: info({
      group: 'certificates.k8s.io',
      resource: 'certificatesigningrequests',
      kind: 'CertificateSigningRequest',
      namespaced: false,
      shortNames: ['csr'],
      subresources: ['approval', 'status'],
    }),
    strategy: defineStrategy({
      status: true,
      validate: (csr) => [
        ...(csr.spec?.request ? [] : [required('spec.request')]),
        ...(csr.spec?.signerName ? [] : [required('spec.signerName')]),
      ],
      table: {
        columns: [
          nameCol(),
          ageCol(),
          col('SignerName', 'string', 'signerName indicates the requested signer.'),
          col('Requestor', 'string', 'request contains an x509 certificate signing request.'),
          col(
            'RequestedDuration',
            'string',
            'expirationSeconds is the requested duration of validity of the issued certificate.',
          ),
          col('Condition', 'string', 'conditions applied to the request.'),
        ],
        cells: (csr, ctx) => [
          csr.metadata.name,
          age(csr, ctx),
          csr.spec?.signerName || '<none>',
          csr.spec?.username ?? '',
          csr.spec?.expirationSeconds ? humanDuration(csr.spec.expirationSeconds * 1000) : '<none>',
          csrCondition(csr),
        ],
      },
    }),
  },
  {
    info: info({
      group: 'flowcontrol.apiserver.k8s.io',
      resource: 'flowschemas',
      kind: 'FlowSchema',
      namespaced: false,
      subresources: ['status'],
    }),
    strategy: defineStrategy({
      tracksGeneration: true,
      status: true,
      table: {
        columns: [
          nameCol(),
          col(
            'PriorityLevel',
            'string',
            '`name` is the name of the priority level configuration being referenced',
          ),
          col(
            'MatchingPrecedence',
            'string',
            '`matchingPrecedence` is used to choose among the FlowSchemas that match a given request.',
          ),
          col(
            'DistinguisherMethod',
            'string',
            '`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this schema.',
          ),
          ageCol(),
          col('MissingPL', 'string', 'references a broken or non-existent PriorityLevelConfiguration'),
        ],
        cells: (fs, ctx) => {
          const dangling = (fs.status?.conditions ?? []).find((c: Obj) => c.type === 'Dangling');
          return [
            fs.metadata.name,
            fs.spec?.priorityLevelConfiguration?.name ?? '',
            fs.spec?.matchingPrecedence ?? 0,
            fs.spec?.distinguisherMethod?.type ?? '<none>',
            age(fs, ctx),
            dangling ? dangling.status : '?',
          ];
        },
      },
    }),
  },
  {
    info: info({
      group: 'flowcontrol.apiserver.k8s.io',
      resource: 'prioritylevelconfigurations',
      kind: 'PriorityLevelConfiguration',
      namespaced: false,
      subresources: ['status'],
    }),
    strategy: defineStrategy({
      tracksGeneration: true,
      status: true,
      table: {
        columns: [
          nameCol(),
          col(
            'Type',
            'string',
            '`type` indicates whether this priority level is subject to limitation on request execution.',
          ),
          col(
            'NominalConcurrencyShares',
            'string',
            '`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit (NominalCL) of this level.',
          ),
          col('Queues', 'string', '`queues` is the number of queues for this priority level.'),
          col(
            'HandSize',
            'string',
            '`handSize` is a small positive number that configures the shuffle sharding of requests into queues.',
          ),
          col(
            'QueueLengthLimit',
            'string',
            '`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of this priority level at a time.',
          ),
          ageCol(),
        ],
        cells: (pl, ctx) => {
          const limited: Obj | undefined = pl.spec?.limited;
          const q: Obj | undefined = limited?.limitResponse?.queuing;
          return [
            pl.metadata.name,
            pl.spec?.type ?? '',
            limited ? (limited.nominalConcurrencyShares ?? 0) : '<none>',
            q ? q.queues : '<none>',
            q ? q.handSize : '<none>',
            q ? q.queueLengthLimit : '<none>',
            age(pl, ctx),
          ];
        },
      },
    }),
  },
  {
    info: info({ group: 'node.k8s.io', resource: 'runtimeclasses', kind: 'RuntimeClass', namespaced: false }),
    strategy: defineStrategy({
      validate: (rc) => (rc.handler ? [] : [required('handler')]),
      table: {
        columns: [
          nameCol(),
          col(
            'Handler',
            'string',
            'handler specifies the underlying runtime and configuration that the CRI implementation will use.',
          ),
          ageCol(),
        ],
        cells: (rc, ctx) => [rc.metadata.name, rc.handler ?? '', age(rc, ctx)],
      },
    }),
  },
  {
    info: info({
      resource: 'componentstatuses',
      kind: 'ComponentStatus',
      namespaced: false,
      shortNames: ['cs'],
      verbs: ['get', 'list'],
    }),
    strategy: defineStrategy({
      table: {
        columns: [
          nameCol(),
          col('Status', 'string', 'Status of the component conditions'),
          col('Message', 'string', 'Message of the component conditions'),
          col('Error', 'string', 'Error of the component conditions'),
        ],
        cells: (cs) => {
          const healthy = (cs.conditions ?? []).find((c: Obj) => c.type === 'Healthy');
          const status = !healthy ? 'Unknown' : healthy.status === 'True' ? 'Healthy' : 'Unhealthy';
          return [cs.metadata.name, status, healthy?.message ?? '', healthy?.error ?? ''];
        },
      },
    }),
  },
  { info: info({ resource: 'bindings', kind: 'Binding', verbs: CREATE_ONLY }), strategy: defineStrategy({}) },
  review('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, () => ({
    allowed: true,
    reason: 'the lab API server authorizes every request',
  })),
  review('authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, () => ({
    resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    incomplete: false,
  })),
  review('authorization.k8s.io', 'subjectaccessreviews', 'SubjectAccessReview', false, () => ({
    allowed: true,
  })),
  review('authorization.k8s.io', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true, () => ({
    allowed: true,
  })),
  review('authentication.k8s.io', 'tokenreviews', 'TokenReview'),
  review('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview', false, () => ({
    userInfo: { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] },
  })),
];
