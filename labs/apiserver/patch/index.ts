/**
 * Patch engines of the emulated API server. Pure functions over plain JSON values; nothing here
 * does I/O or keeps state. Failures are PatchError, whose `toStatus()` is the Status to send.
 *
 * How a PATCH handler uses them, by Content-Type:
 * - application/strategic-merge-patch+json: if `strategicMergePatchSupported(type)` is false
 *   (custom resources), answer `unsupportedMediaType().toStatus()` (415); otherwise
 *   `applyStrategicMergePatch(stored, body, type, schema)`.
 * - application/merge-patch+json: `applyMergePatch(stored, body)`.
 * - application/json-patch+json: `applyJsonPatch(stored, body)`.
 * - application/apply-patch+yaml: `serverSideApply(stored, parsedYaml, {manager, force, ...})`;
 *   when `result.error` is set (conflicts) send it (409) and store nothing.
 * After the first three, and on create/update, `recordUpdate(stored, next, {manager, ...})` keeps
 * metadata.managedFields as the real server does (manager = `fieldManager` query parameter).
 */

export {
  ACCEPTED_PATCH_TYPES_WITHOUT_STRATEGIC,
  PatchError,
  type Status,
  type StatusCause,
  unsupportedMediaType,
} from './errors.ts';
export type { JsonObject, JsonValue } from './json.ts';
export { applyJsonPatch, MAX_JSON_PATCH_COPY_BYTES, MAX_JSON_PATCH_OPERATIONS } from './json-patch.ts';
export {
  type ApplyConflict,
  type ApplyOptions,
  type ApplyResult,
  applyConflictError,
  conflictMessage,
  decodeManagedFields,
  type FieldManagerOptions,
  LAST_APPLIED_ANNOTATION,
  type ManagedFieldsEntry,
  recordUpdate,
  serverSideApply,
} from './managed-fields.ts';
export { applyMergePatch } from './merge-patch.ts';
export { applyStrategicMergePatch, strategicMergePatchSupported } from './strategic.ts';
export { computeStrategicMergePatch } from './strategic-diff.ts';
