/**
 * Request bodies: read with a size limit, then decode by Content-Type. kubectl sends JSON for most
 * writes, YAML for server-side apply and protobuf for `kubectl create <kind>` and `auth can-i`.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, statusError, unsupportedMediaType } from '../kube/errors.ts';
import type { KObject } from '../kube/object.ts';

/** The apiserver's default request size limit (3 MiB) keeps garbage bodies cheap to refuse. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(statusError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export type MediaType =
  | 'json'
  | 'yaml'
  | 'protobuf'
  | 'json-patch'
  | 'merge-patch'
  | 'strategic-merge-patch'
  | 'apply-patch';

export function mediaTypeOf(contentType: string | undefined): MediaType | undefined {
  const base = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  switch (base) {
    case '':
    case 'application/json':
      return 'json';
    case 'application/yaml':
      return 'yaml';
    case 'application/vnd.kubernetes.protobuf':
      return 'protobuf';
    case 'application/json-patch+json':
      return 'json-patch';
    case 'application/merge-patch+json':
      return 'merge-patch';
    case 'application/strategic-merge-patch+json':
      return 'strategic-merge-patch';
    case 'application/apply-patch+yaml':
      return 'apply-patch';
    default:
      return undefined;
  }
}

export type ProtobufDecoder = (body: Uint8Array) => KObject;

function describeJsonError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** JSON text into a value; errors worded like the apiserver's decoder. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '')
    throw badRequest('the server rejected our request due to an error in our request: empty body');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(
      `the object provided is unrecognized: couldn't get version/kind; json parse error: ${describeJsonError(e)}`,
    );
  }
}

export function parseYamlBody(body: Buffer): unknown {
  try {
    const value = parseYaml(body.toString('utf8'), { maxAliasCount: 100 });
    return value;
  } catch (e) {
    throw badRequest(`error converting YAML to JSON: ${describeJsonError(e)}`);
  }
}

/** Decode an object body (create/update). Returns a plain object or throws a 4xx ApiError. */
export function decodeObject(
  body: Buffer,
  contentType: string | undefined,
  protobuf?: ProtobufDecoder,
): KObject {
  const media = mediaTypeOf(contentType);
  let value: unknown;
  switch (media) {
    case 'json':
      value = parseJsonBody(body);
      break;
    case 'yaml':
      value = parseYamlBody(body);
      break;
    case 'protobuf':
      if (!protobuf) throw unsupportedMediaType(contentType ?? '');
      try {
        value = protobuf(body);
      } catch (e) {
        if (e instanceof ApiError) throw e;
        throw badRequest(`the object provided is unrecognized: ${describeJsonError(e)}`);
      }
      break;
    default:
      throw unsupportedMediaType(contentType ?? '');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(
      `the object provided is unrecognized: couldn't get version/kind; json parse error: expected an object`,
    );
  }
  const obj = value as KObject;
  if (
    obj.metadata !== undefined &&
    (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))
  ) {
    throw badRequest(`Object 'metadata' is not a map in the request body`);
  }
  obj.metadata ??= {};
  return obj;
}
