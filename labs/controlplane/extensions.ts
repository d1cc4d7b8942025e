/**
 * Wires the independent API pieces - type schema, protobuf, OpenAPI, patch engines, pod streams -
 * into the ApiExtensions the HTTP server calls. The server stays ignorant of how each is built.
 */
import { buildOpenAPIV3, type OpenAPIV3, openAPIV3Response } from '../apiserver/openapi/index.ts';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  PatchError,
  serverSideApply,
} from '../apiserver/patch/index.ts';
import { decodeKubernetesProtobuf } from '../apiserver/protobuf/decode.ts';
import { k8sSchema, kindTypes } from '../apiserver/schema/index.ts';
import { unknownFields, validateTypes } from '../apiserver/schema/validate.ts';
import type { ApiExtensions } from '../apiserver/server.ts';
import { handlePodLogs, handlePodStreamUpgrade } from '../apiserver/streams/index.ts';
import type { KubeletStreams, StreamDeps } from '../apiserver/streams/types.ts';
import { ApiError, badRequest, statusError } from '../kube/errors.ts';
import type { KObject } from '../kube/object.ts';
import type { KindDefinition } from '../registry/strategy.ts';
import type { ControlPlaneCore } from './types.ts';

function typeNameOf(def: KindDefinition): string | undefined {
  return kindTypes.get(`${def.info.group}/${def.info.version}/${def.info.kind}`)?.name;
}

/** Patch engine errors carry a Status; the server only speaks ApiError. */
function asApiError(e: unknown): unknown {
  if (e instanceof PatchError) {
    const st = e.toStatus();
    return statusError(st.code, st.reason ?? '', st.message, st.details);
  }
  return e;
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asApiError(e);
  }
}

export function buildExtensions(
  cp: ControlPlaneCore & { kubelets: Map<string, KubeletStreams> },
): ApiExtensions {
  const streamDeps: StreamDeps = { core: cp, kubeletFor: (node) => cp.kubelets.get(node) };
  let openapi: { version: number; api: OpenAPIV3 } | undefined;
  const currentOpenApi = (): OpenAPIV3 => {
    if (!openapi || openapi.version !== cp.kinds.version) {
      openapi = {
        version: cp.kinds.version,
        api: buildOpenAPIV3(
          cp.kinds.all().map((d) => d.info),
          k8sSchema,
        ),
      };
    }
    return openapi.api;
  };
  return {
    decodeProtobuf(body) {
      try {
        return decodeKubernetesProtobuf(body, k8sSchema) as KObject;
      } catch (e) {
        if (e instanceof ApiError) throw e;
        throw badRequest(
          `the object provided is unrecognized: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    },
    openapi(path, query) {
      return openAPIV3Response(path, currentOpenApi(), query);
    },
    unknownFields(def, obj) {
      const type = typeNameOf(def);
      return type ? unknownFields(obj, type, k8sSchema) : [];
    },
    typeErrors(def, obj) {
      const type = typeNameOf(def);
      return type ? validateTypes(obj, type, k8sSchema) : [];
    },
    patch: {
      json: (original, ops) => guard(() => applyJsonPatch(original, ops) as KObject),
      merge: (original, patch) => guard(() => applyMergePatch(original, patch) as KObject),
      strategic(def, original, patch) {
        const type = typeNameOf(def);
        if (!type) {
          throw statusError(
            415,
            'UnsupportedMediaType',
            'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
          );
        }
        return guard(() => applyStrategicMergePatch(original, patch, type, k8sSchema) as KObject);
      },
      apply(def, live, applied, manager, force) {
        const type = typeNameOf(def);
        const result = guard(() =>
          serverSideApply(live, applied, {
            manager,
            force,
            schema: k8sSchema,
            typeName: type ?? '',
            resetFields: [['status']],
          }),
        );
        if (result.error) throw asApiError(result.error);
        return result.object as KObject;
      },
    },
    streams: {
      logs: (req, res, target, query) => handlePodLogs(req, res, target, query, streamDeps),
      upgrade: (req, socket, head, target, query) =>
        handlePodStreamUpgrade(req, socket, head, target, query, streamDeps),
    },
  };
}
