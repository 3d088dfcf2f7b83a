import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

export interface FieldError {
  path: string;
  message: string;
}

/** A failure the client caused or may act on; becomes an RFC 9457 problem document. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
  }

  /** Sent as the Retry-After header (429, 503). */
  retryAfterSeconds?: number;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const badRequest = (message: string, errors?: FieldError[]) => new AppError(400, 'bad_request', message, errors);
export const unauthorized = (message = 'Valid credentials are required') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'You do not have permission for this action') => new AppError(403, 'forbidden', message);
export const notFound = (what = 'Resource') => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, code = 'conflict', errors?: FieldError[]) => new AppError(409, code, message, errors);
export const tooManyRequests = (message: string, retryAfterSeconds?: number) => {
  const err = new AppError(429, 'too_many_requests', message);
  err.retryAfterSeconds = retryAfterSeconds;
  return err;
};

export function sendProblem(reply: FastifyReply, status: number, code: string, detail: string, errors?: FieldError[]) {
  const body: Record<string, unknown> = {
    type: `https://memberdesk.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
  };
  if (errors && errors.length > 0) body.errors = errors;
  return reply.status(status).type('application/problem+json').send(body);
}

/** Turns ajv's instancePath + keyword into the field path a form can point at. */
function validationErrors(err: FastifyError): FieldError[] {
  const context = (err as { validationContext?: string }).validationContext ?? 'body';
  return (err.validation ?? []).map((v) => {
    const base = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const params = v.params as Record<string, unknown>;
    let field = base;
    if (typeof params.additionalProperty === 'string') field = base ? `${base}.${params.additionalProperty}` : params.additionalProperty;
    if (typeof params.missingProperty === 'string') field = base ? `${base}.${params.missingProperty}` : params.missingProperty;
    const message =
      v.keyword === 'additionalProperties'
        ? 'unknown field'
        : v.keyword === 'required'
          ? 'is required'
          : (v.message ?? 'is invalid');
    return { path: field ? `${context}.${field}` : context, message };
  });
}

export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) {
      if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
      return sendProblem(reply, err.status, err.code, err.message, err.errors);
    }
    if (err.validation) {
      const errors = validationErrors(err);
      return sendProblem(reply, 400, 'validation', `Invalid request: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, body too large, wrong content type, …
      const code = (err.code ?? 'client_error').replace(/^FST_ERR_/, '').toLowerCase();
      return sendProblem(reply, status, code, err.message);
    }
    request.log.error({ err }, 'unhandled error');
    return sendProblem(reply, 500, 'internal', 'An unexpected error occurred; it has been logged.');
  });
}
