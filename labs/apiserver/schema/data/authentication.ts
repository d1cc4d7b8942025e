// authentication.k8s.io/v1 types.
// Field facts (numbers, JSON names, pointer/omitempty, patch strategies) match k8s.io/api v1.32;
// the notation is explained in ../define.ts.
import { defineTypes } from '../define.ts';

export const authenticationTypes = defineTypes('authentication', {
  TokenRequest: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 TokenRequestSpec req',
    'status 3 TokenRequestStatus',
  ],
  TokenReview: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 TokenReviewSpec req',
    'status 3 TokenReviewStatus',
  ],
  SelfSubjectReview: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'status 2 SelfSubjectReviewStatus',
  ],
  TokenRequestSpec: [
    'audiences 1 []string req list=atomic',
    'expirationSeconds 4 int64 req ptr',
    'boundObjectRef 3 BoundObjectReference req',
  ],
  TokenRequestStatus: ['token 1 string req', 'expirationTimestamp 2 time req'],
  TokenReviewSpec: ['token 1 string', 'audiences 2 []string list=atomic'],
  TokenReviewStatus: [
    'authenticated 1 bool',
    'user 2 UserInfo',
    'audiences 4 []string list=atomic',
    'error 3 string',
  ],
  SelfSubjectReviewStatus: ['userInfo 1 UserInfo'],
  BoundObjectReference: [
    'kind 1 string',
    'apiVersion 2 string',
    'name 3 string',
    'uid 4 string go=types.UID',
  ],
  UserInfo: ['username 1 string', 'uid 2 string', 'groups 3 []string list=atomic', 'extra 4 {}ExtraValue'],
  ExtraValue: { listOf: 'string' },
});
