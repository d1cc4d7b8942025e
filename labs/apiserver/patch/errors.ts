/**
 * One error type for every patch engine, carrying what the API server puts in its `Status` answer.
 *
 * The upstream server maps library errors onto HTTP codes in a few fixed ways (BadRequest for
 * malformed directives, a generic 422 for JSON patch failures, a bare 500 for everything the
 * strategic merge code does not classify). The constructors below mirror those mappings so the
 * HTTP layer only has to serialise `toStatus()`.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class PatchError extends Error {
  /** HTTP status code the API server answers with. */
  readonly code: number;
  /** metav1.StatusReason; '' is StatusReasonUnknown and is left out of the Status. */
  readonly reason: string;
  /** The library's own words when the server hides them behind a generic message (JSON patch). */
  readonly detail?: string;
  readonly details?: StatusDetails;

  constructor(
    code: number,
    reason: string,
    message: string,
    opts: { detail?: string; details?: StatusDetails } = {},
  ) {
    super(message);
    this.name = 'PatchError';
    this.code = code;
    this.reason = reason;
    this.detail = opts.detail;
    this.details = opts.details;
  }

  toStatus(): Status {
    const s: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      code: this.code,
    };
    if (this.reason) s.reason = this.reason;
    if (this.details) s.details = this.details;
    return s;
  }
}

/** errors.NewBadRequest */
export function badRequest(message: string): PatchError {
  return new PatchError(400, 'BadRequest', message);
}

/**
 * errors.NewGenericServerResponse(422, ...): the server keeps only its generic sentence; the
 * library message survives in `detail` for logs and tests.
 */
export function unprocessable(detail: string): PatchError {
  return new PatchError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    detail,
    details: {},
  });
}

/** A plain Go error reaching the response writer: 500 with reason Unknown and the error text. */
export function internal(message: string): PatchError {
  return new PatchError(500, '', message);
}

export const ACCEPTED_PATCH_TYPES_WITHOUT_STRATEGIC = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];

/**
 * The 415 the server gives for a patch type the resource does not accept. Custom resources (any
 * type without a schema) accept everything but strategic merge patch.
 */
export function unsupportedMediaType(
  accepted: string[] = ACCEPTED_PATCH_TYPES_WITHOUT_STRATEGIC,
): PatchError {
  return new PatchError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** errors.NewRequestEntityTooLargeError */
export function entityTooLarge(message: string): PatchError {
  return new PatchError(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
}

/** errors.NewApplyConflict: 409 whose causes name each contested field. */
export function applyConflict(message: string, causes: StatusCause[]): PatchError {
  return new PatchError(409, 'Conflict', message, { details: { causes } });
}

/** Strategic merge library failures, classified the way the server's patch handler does. */
export const SMP_BAD_REQUEST_MESSAGES = new Set([
  'invalid JSON document',
  'invalid patch format of primitive list',
  'invalid patch format of retainKeys',
  'invalid patch format of setElementOrder list',
  'strategic merge patch format is not supported',
]);
export const SMP_UNPROCESSABLE_MESSAGES = new Set([
  'lists of lists are not supported',
  "patch content doesn't match retainKeys list",
]);

export function classifyStrategicError(message: string): PatchError {
  if (SMP_BAD_REQUEST_MESSAGES.has(message)) return badRequest(message);
  if (SMP_UNPROCESSABLE_MESSAGES.has(message)) return unprocessable(message);
  return internal(message);
}
