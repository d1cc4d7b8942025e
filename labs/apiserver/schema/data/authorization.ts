// authorization.k8s.io/v1 types.
// Field facts (numbers, JSON names, pointer/omitempty, patch strategies) match k8s.io/api v1.32;
// the notation is explained in ../define.ts.
import { defineTypes } from '../define.ts';

export const authorizationTypes = defineTypes('authorization', {
  SelfSubjectAccessReview: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 SelfSubjectAccessReviewSpec req',
    'status 3 SubjectAccessReviewStatus',
  ],
  SubjectAccessReview: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 SubjectAccessReviewSpec req',
    'status 3 SubjectAccessReviewStatus',
  ],
  LocalSubjectAccessReview: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 SubjectAccessReviewSpec req',
    'status 3 SubjectAccessReviewStatus',
  ],
  SelfSubjectRulesReview: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 SelfSubjectRulesReviewSpec req',
    'status 3 SubjectRulesReviewStatus',
  ],
  SelfSubjectAccessReviewSpec: [
    'resourceAttributes 1 ResourceAttributes',
    'nonResourceAttributes 2 NonResourceAttributes',
  ],
  SubjectAccessReviewStatus: [
    'allowed 1 bool req',
    'denied 4 bool',
    'reason 2 string',
    'evaluationError 3 string',
  ],
  SubjectAccessReviewSpec: [
    'resourceAttributes 1 ResourceAttributes',
    'nonResourceAttributes 2 NonResourceAttributes',
    'user 3 string',
    'groups 4 []string list=atomic',
    'extra 5 {}ExtraValue',
    'uid 6 string',
  ],
  SelfSubjectRulesReviewSpec: ['namespace 1 string'],
  SubjectRulesReviewStatus: [
    'resourceRules 1 []ResourceRule req list=atomic',
    'nonResourceRules 2 []NonResourceRule req list=atomic',
    'incomplete 3 bool req',
    'evaluationError 4 string',
  ],
  ResourceAttributes: [
    'namespace 1 string',
    'verb 2 string',
    'group 3 string',
    'version 4 string',
    'resource 5 string',
    'subresource 6 string',
    'name 7 string',
    'fieldSelector 8 FieldSelectorAttributes',
    'labelSelector 9 LabelSelectorAttributes',
  ],
  NonResourceAttributes: ['path 1 string', 'verb 2 string'],
  ResourceRule: [
    'verbs 1 []string req list=atomic',
    'apiGroups 2 []string list=atomic',
    'resources 3 []string list=atomic',
    'resourceNames 4 []string list=atomic',
  ],
  NonResourceRule: ['verbs 1 []string req list=atomic', 'nonResourceURLs 2 []string list=atomic'],
  FieldSelectorAttributes: [
    'rawSelector 1 string',
    'requirements 2 []meta.FieldSelectorRequirement list=atomic',
  ],
  LabelSelectorAttributes: [
    'rawSelector 1 string',
    'requirements 2 []meta.LabelSelectorRequirement list=atomic',
  ],
  ExtraValue: { listOf: 'string' },
});
