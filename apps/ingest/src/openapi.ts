/** The OpenAPI document ingest serves at /openapi.json: the shared one plus what its auth adds. */
import { openApiDocument, type ErrorCode } from '@salespipeline/shared';

const errorResponse = (description: string, example: { error: ErrorCode; message: string }, headers?: object) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example } },
  ...(headers ? { headers } : {}),
});

/** The shared document plus what this server adds: API keys (401), their scopes (403) and the rate limit (429). */
export function servedDocument(): object {
  const doc = structuredClone(openApiDocument()) as unknown as {
    components: Record<string, unknown>;
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    security?: unknown;
  };
  doc.components.securitySchemes = {
    bearer: { type: 'http', scheme: 'bearer', description: 'An API key as a Bearer token' },
    apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
  };
  doc.security = [{ bearer: [] }, { apiKey: [] }];
  const retryAfter = { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds', example: 1 } };
  for (const path of Object.values(doc.paths)) {
    for (const op of Object.values(path)) {
      op.responses['401'] = errorResponse('No valid API key (WWW-Authenticate: Bearer)', {
        error: 'unauthorized',
        message: 'a valid API key is required',
      });
      op.responses['403'] = errorResponse('The API key lacks the scope of the operation (orders:write)', {
        error: 'forbidden',
        message: 'the API key lacks the scope orders:write',
      });
      op.responses['429'] = errorResponse(
        'Rate limit of the API key exceeded',
        { error: 'rate_limited', message: 'too many requests; retry after the Retry-After delay' },
        retryAfter,
      );
    }
  }
  return doc;
}
