/**
 * The Redis keys and shard channels of one topic (scripts.ts says what each
 * holds). They share one hash tag, so a script's keys and its SPUBLISH
 * land in one slot (Redis Cluster). The tag is a hash of the module and the
 * topic: a topic (`orders:{"accountId":"A1"}`) holds braces itself, and
 * two modules may have routes of the same name.
 */
import { createHash } from "node:crypto";

export interface TopicKeys {
  readonly meta: string;
  readonly stream: string;
  readonly lease: string;
  readonly holders: string;
  /** Updates and control, to every process holding the topic. */
  readonly channel: string;
  /** To the topic's producer only. */
  readonly producerChannel: string;
}

export function topicKeys(prefix: string, module: string, topic: string): TopicKeys {
  // 96 bits: a collision is checked anyway (the meta hash keeps its topic).
  const tag = createHash("sha256").update(`${module}\0${topic}`).digest("base64url").slice(0, 16);
  const base = `${prefix}:{${tag}}`;
  return {
    meta: `${base}:m`,
    stream: `${base}:s`,
    lease: `${base}:l`,
    holders: `${base}:h`,
    channel: `${base}:c`,
    producerChannel: `${base}:q`,
  };
}

/** The keys most scripts take, in the order they name them (KEYS m s l h). */
export function metaKeys(keys: TopicKeys): string[] {
  return [keys.meta, keys.stream, keys.lease, keys.holders];
}
