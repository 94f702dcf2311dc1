/**
 * Security schemes in AsyncAPI documents: how a module's clients
 * authenticate. A module names its schemes (or inherits the app's); every
 * operation of its channel lists them, as a reference in 3.0.0 and as a
 * security requirement in 2.6.0. Any one scheme is enough, as with a
 * header, a query parameter or a cookie carrying the same token.
 */

/** The AsyncAPI security scheme kinds that fit a WebSocket upgrade (3.0.0 and 2.6.0 alike). */
export type AsyncApiSecurityScheme =
  | { type: "http"; scheme: string; bearerFormat?: string; description?: string }
  | { type: "httpApiKey"; name: string; in: "query" | "header" | "cookie"; description?: string }
  | { type: "userPassword" | "X509"; description?: string };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The schemes as `components.securitySchemes` entries, keyed by the prefixed name. */
export function securityComponents(schemes: Readonly<Record<string, AsyncApiSecurityScheme>>, prefix: string): Record<string, Json> {
  const components: Record<string, Json> = {};
  for (const name of Object.keys(schemes).sort()) components[`${prefix}${name}`] = { ...schemes[name] };
  return components;
}

/** An operation's `security`: references (3.0.0) or requirement objects (2.6.0), one alternative per scheme. */
export function operationSecurity(
  schemes: Readonly<Record<string, AsyncApiSecurityScheme>>,
  prefix: string,
  version: "3.0.0" | "2.6.0",
): Json[] {
  return Object.keys(schemes)
    .sort()
    .map((name) =>
      version === "3.0.0" ? { $ref: `#/components/securitySchemes/${prefix}${name}` } : { [`${prefix}${name}`]: [] as Json[] },
    );
}
