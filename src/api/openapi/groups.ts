import { Type } from '@sinclair/typebox';
import type { AuthGroup, ResponseDoc } from '../endpoint.js';
import { ErrorBody, JwtErrorBody } from '../schemas/errors.js';
import { JWT_REALM } from '../errors.js';

/** OpenAPI security schemes, by the name the documents give them. */
export const SECURITY_SCHEMES: Record<string, Record<string, string>> = {
  jwt: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A machine token from POST /v1/watchers/login (a password, or an agent TLS client certificate) or GET /v1/refresh_token, sent as `Authorization: Bearer <token>`. The machine must exist and be validated.',
  },
  jwtCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'jwt',
    description: 'The same machine token in the `jwt` cookie, read when no Bearer header is sent.',
  },
  bouncerKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Api-Key',
    description:
      'A bouncer API key (`lapis bouncers add`). Over TLS with `api.server.tls` set, a client certificate allowed for bouncers authenticates instead: the certificate then decides alone and the header is ignored.',
  },
  bouncerCertificate: {
    type: 'mutualTLS',
    description:
      'A TLS client certificate signed by the configured CA, with an OU allowed for bouncers (api.server.tls.bouncers_allowed_ou).',
  },
  adminKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Api-Key',
    description: 'An admin API key (`lapis apikeys add`). Bouncer keys are refused here, as admin keys are on bouncer routes.',
  },
  integrationBasic: {
    type: 'http',
    scheme: 'basic',
    description:
      "A firewall integration's username and password (`lapis integrations create`), the integration being the one the path names.",
  },
  integrationKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Api-Key',
    description:
      "A remediation-component integration's API key (`lapis integrations create`), the integration being the one the path names.",
  },
};

const forbidden: ResponseDoc = {
  description: 'The credential is missing or refused: `{"message":"access forbidden"}`.',
  schema: ErrorBody,
};

const jwtRefused: Record<number, ResponseDoc> = {
  401: {
    description: 'The machine token is missing, malformed, expired, or names a machine that is gone or not validated.',
    schema: JwtErrorBody,
    headers: { 'WWW-Authenticate': { description: `\`${JWT_REALM}\``, schema: Type.String() } },
  },
  400: { description: "The token's `exp` claim is missing or not a number (as upstream's JWT middleware).", schema: JwtErrorBody },
};

/** What each group's authentication sends when it refuses, before the handler runs, and the schemes it takes. */
export const GROUPS: Record<AuthGroup, { security: Record<string, string[]>[]; refusals: Record<number, ResponseDoc> }> = {
  none: { security: [], refusals: {} },
  machine: { security: [{ jwt: [] }, { jwtCookie: [] }], refusals: jwtRefused },
  bouncer: { security: [{ bouncerKey: [] }, { bouncerCertificate: [] }], refusals: { 403: forbidden } },
  // the kind is picked from the headers: an API key, or neither a JWT nor an agent's User-Agent, is a bouncer
  either: {
    security: [{ jwt: [] }, { jwtCookie: [] }, { bouncerKey: [] }, { bouncerCertificate: [] }],
    refusals: { ...jwtRefused, 403: forbidden },
  },
  admin: { security: [{ adminKey: [] }], refusals: { 403: forbidden } },
  'integration-basic': {
    security: [{ integrationBasic: [] }],
    refusals: {
      401: {
        description: 'The Basic credentials are missing or wrong, or the integration is not a firewall one: `{"message":"Unauthorized"}`.',
        schema: ErrorBody,
        headers: { 'WWW-Authenticate': { description: '`Basic realm="lapis", charset="UTF-8"`', schema: Type.String() } },
      },
    },
  },
  'integration-key': { security: [{ integrationKey: [] }], refusals: { 403: forbidden } },
};
