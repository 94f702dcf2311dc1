/**
 * AsyncAPI documents for wsgen modules, built from the routes' zod schemas.
 *
 * One module's WebSocket endpoint is one channel (keyed by the module name,
 * at the module's address); each route contributes subscribe/unsubscribe
 * operations with replies and an update operation. Schema names are the
 * model names. A merged document prefixes every component with
 * `<module>.`, so no module's message can point at another's schema.
 */
import { z } from "zod";
import { MessageType, operationType, responseType, ROUTE_OPERATIONS, updateType } from "../protocol/messages.js";
import { endpointPath } from "../protocol/paths.js";
import { compareStrings } from "../util/compare.js";
import { operationSecurity, securityComponents, type AsyncApiSecurityScheme } from "./asyncapi-security.js";
import {
  deliveryDescription,
  errorPayloadSchema,
  sinceSchema,
  subscriptionResponseSchema,
  updateSchema,
  type DeliveryPolicy,
  type Json,
  type JsonObject,
} from "./asyncapi-wire.js";

export type AsyncApiVersion = "3.0.0" | "2.6.0";
export const ASYNCAPI_VERSIONS: readonly AsyncApiVersion[] = ["3.0.0", "2.6.0"];

/** What a document needs to know about a route; WsRoute has this shape. */
export interface RouteSpec {
  /** The route name. */
  name: string;
  description?: string | undefined;
  requestName: string;
  requestSchema: z.ZodType;
  dataName: string;
  dataSchema: z.ZodType;
  /** Its history and latest-value policy, when known (a mounted route; not the generator's spec). */
  deliveryPolicy?: DeliveryPolicy | undefined;
}

/** What a document needs to know about a module. */
export interface ModuleSpec {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  version?: string | undefined;
  routes: readonly RouteSpec[];
  /** How the module's clients authenticate; listed on each of its operations. */
  securitySchemes?: Readonly<Record<string, AsyncApiSecurityScheme>> | undefined;
}

export interface AsyncApiOptions {
  /** The AsyncAPI version of the document. @default "3.0.0" */
  version?: AsyncApiVersion;
  /** Document title. @default the module's title, or "WebSockets" when merged */
  title?: string;
  /** @default the module's description, or one naming the modules when merged */
  description?: string;
  /** Document (API) version. @default the module's version, else "1.0.0" */
  apiVersion?: string;
  /** `host[:port]` of a server to list, with its protocol. @default none; protocol "ws" */
  server?: { host: string; protocol?: "ws" | "wss" };
  /**
   * How clients authenticate, for modules that name no `securitySchemes` of
   * their own: `{ bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } }`.
   * @default none
   */
  securitySchemes?: Readonly<Record<string, AsyncApiSecurityScheme>>;
}

/** The plain-value defaults of `AsyncApiOptions`. */
export const ASYNCAPI_DEFAULTS = { version: "3.0.0", apiVersion: "1.0.0", protocol: "ws" } as const;

const ref = (pointer: string): JsonObject => ({ $ref: pointer });

const joinDescriptions = (...parts: (string | undefined)[]): string =>
  parts.filter((part) => part !== undefined && part !== "").join("\n\n");
/** JSON pointer escaping for keys used inside `$ref`s. */
const escapePointer = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1");

export function moduleTitle(module: Pick<ModuleSpec, "name" | "title">): string {
  return module.title ?? `${module.name.charAt(0).toUpperCase()}${module.name.slice(1)} WebSockets`;
}

/** The document of one module. */
export function buildModuleAsyncApi(module: ModuleSpec, options: AsyncApiOptions = {}): JsonObject {
  return buildDocument([module], false, {
    ...options,
    title: options.title ?? moduleTitle(module),
    description: options.description ?? module.description ?? `Real-time WebSocket API of the ${module.name} module.`,
    apiVersion: options.apiVersion ?? module.version,
  });
}

/** One document for every module, each under its own address and with its own schemas. */
export function buildMergedAsyncApi(unordered: readonly ModuleSpec[], options: AsyncApiOptions = {}): JsonObject {
  // Sorted by name, so the document does not depend on the order modules were listed in.
  const modules = [...unordered].sort((a, b) => compareStrings(a.name, b.name));
  return buildDocument(modules, true, {
    ...options,
    title: options.title ?? "WebSockets",
    description:
      options.description ??
      `Real-time WebSocket APIs of the modules ${modules.map((module) => module.name).join(", ")}, each at its own address.`,
  });
}

interface MessageDef {
  /** Key within the module's channel: `orders.subscribe`, `ping`, … */
  name: string;
  summary: string;
  /** Component schema name the frame's `payload` refers to, or none for frames without payload. */
  payloadSchema?: string;
  /** Whether the frame may carry a correlation `id`. */
  correlated: boolean;
  /** Envelope fields beside `type`, `payload` and `id` (a subscribe's `since`). */
  fields?: JsonObject;
}

interface OperationDef {
  name: string;
  action: "send" | "receive";
  summary: string;
  /** The route's description (its ws.ts JSDoc), when it has one. */
  description?: string | undefined;
  message: string;
  reply?: string;
}

/** The frames and operations of one module, independent of AsyncAPI version. */
function describeModule(module: ModuleSpec, schemas: SchemaTable): { messages: MessageDef[]; operations: OperationDef[] } {
  const messages: MessageDef[] = [];
  const operations: OperationDef[] = [];
  const response = schemas.addStatic("wsgen.SubscriptionResponse", subscriptionResponseSchema);
  // Sorted by route name, so a document does not depend on the order routers were mounted in.
  const routes = [...module.routes].sort((a, b) => compareStrings(a.name, b.name));
  for (const route of routes) {
    const request = schemas.addModel(route.requestName, route.requestSchema, "input");
    const data = schemas.addModel(route.dataName, route.dataSchema, "output");
    const about = `${route.name} updates`;
    for (const op of ROUTE_OPERATIONS) {
      const verb = op === "subscribe" ? "Subscribe to" : "Unsubscribe from";
      const requestType = operationType(route.name, op);
      messages.push({
        name: requestType,
        summary: `${verb} ${about} for the topic the ${route.requestName} names.`,
        payloadSchema: request,
        correlated: true,
        ...(op === "subscribe" ? { fields: { since: sinceSchema } } : {}),
      });
      messages.push({
        name: responseType(requestType),
        summary: `Answer to ${requestType}.`,
        payloadSchema: response,
        correlated: true,
      });
      operations.push({
        name: requestType,
        action: "receive",
        summary: `${verb} ${about}.`,
        description:
          op === "subscribe" ? joinDescriptions(route.description, deliveryDescription(route.deliveryPolicy)) : route.description,
        message: requestType,
        reply: responseType(requestType),
      });
    }
    const update = schemas.addStatic(`${route.name}.Update`, updateSchema(ref(schemas.pointer(data))));
    messages.push({
      name: updateType(route.name),
      summary: `A ${route.dataName} pushed to subscribers of a ${route.name} topic.`,
      payloadSchema: update,
      correlated: false,
    });
    operations.push({
      name: updateType(route.name),
      action: "send",
      summary: `Push ${route.dataName} updates to a topic's subscribers.`,
      description: joinDescriptions(route.description, deliveryDescription(route.deliveryPolicy)),
      message: updateType(route.name),
    });
  }
  const { ping, pong, error } = MessageType;
  messages.push({ name: ping, summary: "Application-level liveness check.", correlated: true });
  messages.push({ name: pong, summary: "Answer to ping.", correlated: true });
  messages.push({
    name: error,
    summary: "A frame named no valid operation.",
    payloadSchema: schemas.addStatic("wsgen.ErrorPayload", errorPayloadSchema),
    correlated: true,
  });
  operations.push({ name: ping, action: "receive", summary: "Check that the connection is alive.", message: ping, reply: pong });
  operations.push({ name: error, action: "send", summary: "Report a frame that names no valid operation.", message: error });
  return { messages, operations };
}

function buildDocument(modules: readonly ModuleSpec[], merged: boolean, options: AsyncApiOptions): JsonObject {
  const version = options.version ?? ASYNCAPI_DEFAULTS.version;
  const info: JsonObject = { title: options.title ?? "WebSockets", version: options.apiVersion ?? ASYNCAPI_DEFAULTS.apiVersion };
  if (options.description !== undefined) info.description = options.description;
  const componentMessages: JsonObject = {};
  const componentSchemas: JsonObject = {};
  const channels: JsonObject = {};
  const operations: JsonObject = {};
  const securitySchemes: JsonObject = {};

  for (const module of modules) {
    const prefix = merged ? `${module.name}.` : "";
    const schemas = new SchemaTable(prefix, componentSchemas);
    const schemes = module.securitySchemes ?? {};
    Object.assign(securitySchemes, securityComponents(schemes, prefix));
    const security: JsonObject = Object.keys(schemes).length > 0 ? { security: operationSecurity(schemes, prefix, version) } : {};
    const description = describeModule(module, schemas);
    const channelMessages: JsonObject = {};
    const frames: { name: string; action: "send" | "receive"; pointer: string }[] = [];
    for (const message of description.messages) {
      const key = `${prefix}${message.name}`;
      componentMessages[key] = messageObject(message, schemas, version, merged ? module.name : undefined);
      channelMessages[message.name] = ref(`#/components/messages/${escapePointer(key)}`);
    }
    if (version === "3.0.0") {
      const channelPointer = `#/channels/${escapePointer(module.name)}`;
      channels[module.name] = {
        address: endpointPath(module.name),
        title: moduleTitle(module),
        description: `WebSocket endpoint of the ${module.name} module. All frames are JSON text: {"type", "payload"?, "id"?, "since"?}.`,
        messages: channelMessages,
      };
      for (const op of description.operations) {
        const operation: JsonObject = {
          action: op.action,
          channel: ref(channelPointer),
          summary: op.summary,
          ...(op.description !== undefined ? { description: op.description } : {}),
          messages: [ref(`${channelPointer}/messages/${escapePointer(op.message)}`)],
          ...security,
        };
        if (op.reply !== undefined) {
          operation.reply = { channel: ref(channelPointer), messages: [ref(`${channelPointer}/messages/${escapePointer(op.reply)}`)] };
        }
        operations[`${prefix}${op.name}`] = operation;
      }
    } else {
      for (const op of description.operations) {
        frames.push({ name: op.message, action: op.action, pointer: `#/components/messages/${escapePointer(`${prefix}${op.message}`)}` });
        if (op.reply !== undefined)
          frames.push({ name: op.reply, action: "send", pointer: `#/components/messages/${escapePointer(`${prefix}${op.reply}`)}` });
      }
      const pick = (action: "send" | "receive"): JsonObject => ({
        oneOf: frames.filter((frame) => frame.action === action).map((frame) => ref(frame.pointer)),
      });
      // 2.6.0 names operations from the client's side: clients publish what the server receives.
      channels[endpointPath(module.name)] = {
        description: `WebSocket endpoint of the ${module.name} module. All frames are JSON text: {"type", "payload"?, "id"?, "since"?}.`,
        publish: { operationId: `${module.name}.clientFrames`, summary: "Frames a client sends.", message: pick("receive"), ...security },
        subscribe: { operationId: `${module.name}.serverFrames`, summary: "Frames the server sends.", message: pick("send"), ...security },
      };
    }
  }

  const tags: Json[] = modules.map((module) => ({ name: module.name, description: moduleTitle(module) }));
  if (version === "3.0.0") info.tags = tags;
  const document: JsonObject = { asyncapi: version };
  // 2.6.0 documents carry an identifier and top-level tags (3.0.0 moved tags into info).
  if (version === "2.6.0") document.id = `urn:wsgen:${modules.map((module) => module.name).join(":")}`;
  document.info = info;
  document.defaultContentType = "application/json";
  if (version === "2.6.0") document.tags = tags;
  if (options.server !== undefined) {
    const server: JsonObject =
      version === "3.0.0"
        ? { host: options.server.host, protocol: options.server.protocol ?? ASYNCAPI_DEFAULTS.protocol }
        : { url: options.server.host, protocol: options.server.protocol ?? ASYNCAPI_DEFAULTS.protocol };
    document.servers = { default: server };
  }
  document.channels = channels;
  if (version === "3.0.0") document.operations = operations;
  document.components = { messages: componentMessages, schemas: componentSchemas };
  if (Object.keys(securitySchemes).length > 0) document.components.securitySchemes = securitySchemes;
  return document;
}

function messageObject(message: MessageDef, schemas: SchemaTable, version: AsyncApiVersion, module: string | undefined): JsonObject {
  const properties: JsonObject = { type: { type: "string", const: message.name } };
  const required: Json[] = ["type"];
  if (message.payloadSchema !== undefined) {
    properties.payload = ref(schemas.pointer(message.payloadSchema));
    required.push("payload");
  }
  if (message.correlated) {
    properties.id = { type: "string", description: "Optional correlation id; every reply to this frame carries it." };
  }
  Object.assign(properties, message.fields);
  const object: JsonObject = {
    name: message.name,
    title: module === undefined ? message.name : `${module} ${message.name}`,
    summary: message.summary,
    contentType: "application/json",
    payload: { type: "object", required, properties },
  };
  if (message.correlated) object.correlationId = { description: "Replies echo the request's id.", location: "$message.payload#/id" };
  if (version === "2.6.0") object.messageId = module === undefined ? message.name : `${module}.${message.name}`;
  return object;
}

/**
 * The component schemas of one module: model names as keys (behind the
 * module prefix in a merged document), converted once each.
 */
class SchemaTable {
  readonly #prefix: string;
  readonly #target: JsonObject;
  readonly #byName = new Map<string, string>();

  constructor(prefix: string, target: JsonObject) {
    this.#prefix = prefix;
    this.#target = target;
  }

  pointer(key: string): string {
    return `#/components/schemas/${escapePointer(key)}`;
  }

  addStatic(name: string, schema: JsonObject): string {
    const key = `${this.#prefix}${name}`;
    this.#target[key] = schema;
    return key;
  }

  /**
   * Adds a model's JSON Schema under its name; a same-named model of another
   * shape gets `.input`/`.output`, then a number, so no two shapes share a key.
   */
  addModel(name: string, schema: z.ZodType, io: "input" | "output"): string {
    const json = z.toJSONSchema(schema, { target: "draft-07", io, unrepresentable: "any" }) as JsonObject;
    delete json.$schema;
    const text = JSON.stringify(json);
    const base = `${this.#prefix}${componentKey(name)}`;
    const taken = (candidate: string): boolean => this.#byName.has(candidate) && this.#byName.get(candidate) !== text;
    let key = base;
    if (taken(key)) key = `${base}.${io}`;
    for (let n = 2; taken(key); n++) key = `${base}.${io}.${n}`;
    this.#byName.set(key, text);
    // Named sub-schemas ($defs, from `.meta({ id })` or cycles) become components under the final key.
    const definitions = (json.definitions ?? json.$defs) as JsonObject | undefined;
    delete json.definitions;
    delete json.$defs;
    const rewrite = (value: Json): Json => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (value === null || typeof value !== "object") return value;
      const out: JsonObject = {};
      for (const [property, inner] of Object.entries(value)) {
        if (property === "$ref" && typeof inner === "string") out[property] = this.#rewriteRef(inner, key);
        else out[property] = rewrite(inner);
      }
      return out;
    };
    if (definitions !== undefined) {
      for (const [defName, def] of Object.entries(definitions))
        this.#target[`${key}.${componentKey(unescapePointer(defName))}`] = rewrite(def);
    }
    this.#target[key] = rewrite(json);
    return key;
  }

  #rewriteRef(pointer: string, key: string): string {
    if (pointer === "#") return this.pointer(key);
    const match = /^#\/(?:definitions|\$defs)\/(.+)$/.exec(pointer);
    return match ? this.pointer(`${key}.${componentKey(unescapePointer(match[1] as string))}`) : pointer;
  }
}

const unescapePointer = (segment: string): string => segment.replace(/~1/g, "/").replace(/~0/g, "~");
/** AsyncAPI component keys allow only letters, digits, `.`, `_` and `-`. */
const componentKey = (name: string): string => name.replace(/[^A-Za-z0-9._-]/g, "_");
