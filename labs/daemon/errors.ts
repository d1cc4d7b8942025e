/** Errors the API answers with a status and a reason (labs/daemon/types.ts ApiErrorBody). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly reason: string;
  readonly valid?: string[];
  constructor(status: number, reason: string, message: string, valid?: string[]) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.valid = valid;
  }
}

export const badRequest = (message: string, valid?: string[]) =>
  new ApiError(400, 'BadRequest', message, valid);
export const notFound = (message: string) => new ApiError(404, 'NotFound', message);
export const conflict = (reason: string, message: string) => new ApiError(409, reason, message);
