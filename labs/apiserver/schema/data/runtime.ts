// runtime types: the envelope every protobuf body travels in (k8s.io/apimachinery/pkg/runtime).
import { defineTypes } from '../define.ts';

export const runtimeTypes = defineTypes('runtime', {
  TypeMeta: ['apiVersion 1 string', 'kind 2 string'],
  Unknown: ['typeMeta 1 TypeMeta inline', 'raw 2 bytes', 'contentEncoding 3 string', 'contentType 4 string'],
});
