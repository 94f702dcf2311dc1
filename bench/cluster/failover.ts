/**
 * `bench:cluster --failover N`: three wsgen processes on one Redis
 * (redisBroker with the given leaseMs and tickMs), the bars topic produced
 * at `rate` msg/s by whichever process holds its lease, one subscriber on
 * each process (held by this orchestrator, so kill and receipt times are
 * read on one clock). N times: find the producing process (it prints
 * `producing <topic>` when its createTopic runs, `stopped producing` when
 * its removeTopic does), SIGKILL it, and time, from the kill,
 *  - the new producer's createTopic (its `producing` line reaching us), and
 *  - the first update of the new epoch at a surviving subscriber (stamped
 *    on receipt);
 * then start a replacement process with a subscriber of its own and wait
 * for steady state (one producer, every subscriber on its epoch, 20
 * updates each) before the next kill. Servers on core 0, Redis on core 1.
 */
import type { ChildProcess } from "node:child_process";
import { median } from "../support/figures.js";
import { collectOutput, startNode, stopProcess, waitForOutput } from "../support/processes.js";
import { startRedisServer } from "../support/redis-server.js";
import { DIALECTS } from "../fanout/dialects.js";
import { LightSocket } from "../fanout/light-socket.js";
import { now } from "../fanout/pacer.js";

export interface FailoverOptions {
  kills: number;
  leaseMs: number;
  tickMs: number;
  /** The producer's publish rate, msg/s. */
  rate: number;
  /** Processes of the service (at least 2: one to kill, one to take over). */
  processes: number;
}

export interface FailoverResult extends FailoverOptions {
  createTopic: { median: number; max: number; all: number[] };
  firstUpdate: { median: number; max: number; all: number[] };
  /** leaseMs + tickMs: the takeover bound redisBroker states. */
  boundMs: number;
  /** Kills whose first update of the new epoch came later than the bound. */
  overBound: number;
  /** What went wrong in a kill, one line each (the kill is left out of the figures). */
  failures: string[];
  /** Frame types a subscriber got besides updates and the subscribe reply (an explicit reset, say), with counts. */
  otherFrames: Record<string, number>;
}

/** One subscriber of the bars topic on one process: the epoch it is on, and when each epoch's first update came. */
class Subscriber {
  epoch: string | undefined;
  /** Updates received in the current epoch. */
  inEpoch = 0;
  readonly firstAt = new Map<string, number>();
  readonly #socket: LightSocket;

  private constructor(socket: LightSocket, otherFrames: Record<string, number>) {
    this.#socket = socket;
    socket.onMessage((chunk, start, end) => {
      const receivedAt = now();
      const frame = JSON.parse(chunk.toString("utf8", start, end)) as { type: string; payload?: { epoch?: string } };
      if (frame.type !== "bars.update") {
        if (frame.type !== "bars.subscribe.response") otherFrames[frame.type] = (otherFrames[frame.type] ?? 0) + 1;
        return;
      }
      const epoch = frame.payload?.epoch ?? "";
      if (epoch !== this.epoch) {
        this.epoch = epoch;
        this.inEpoch = 0;
        if (!this.firstAt.has(epoch)) this.firstAt.set(epoch, receivedAt);
      }
      this.inEpoch += 1;
    });
  }

  static async open(port: number, otherFrames: Record<string, number>): Promise<Subscriber> {
    const socket = await LightSocket.open(port, DIALECTS.wsgen!.path);
    const subscriber = new Subscriber(socket, otherFrames);
    socket.sendText(DIALECTS.wsgen!.subscribe);
    return subscriber;
  }

  close(): void {
    this.#socket.close();
  }
}

interface Member {
  child: ChildProcess;
  subscriber: Subscriber;
  /** Whether its last word was `producing` (not `stopped producing`), and when that line came. */
  producing: boolean;
  producingAt: number;
}

/** Polls `ready` every 5 ms (receipt times are stamped where they happen, so the poll only says when to go on). */
async function until(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function measureFailover(options: FailoverOptions): Promise<FailoverResult> {
  const redis = await startRedisServer({ core: 1 });
  const members: Member[] = [];
  const otherFrames: Record<string, number> = {};
  const boundMs = options.leaseMs + options.tickMs;
  const start = async (): Promise<Member> => {
    const child = startNode(0, "bench/fanout/servers/wsgen-server.ts", [
      ...["--port", "0", "--rate", String(options.rate), "--redis", redis.url],
      ...["--lease-ms", String(options.leaseMs), "--tick-ms", String(options.tickMs)],
    ]);
    const output = collectOutput(child);
    const port = Number((await waitForOutput(child, output, /server on (\d+)/))[1]);
    const member: Member = { child, subscriber: await Subscriber.open(port, otherFrames), producing: false, producingAt: 0 };
    child.stdout!.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (line.startsWith("producing ")) Object.assign(member, { producing: true, producingAt: now() });
        else if (line.startsWith("stopped producing")) member.producing = false;
      }
    });
    members.push(member);
    return member;
  };
  const steady = (): boolean => {
    const epoch = members[0]?.subscriber.epoch;
    return (
      members.filter((member) => member.producing).length === 1 &&
      members.every(({ subscriber }) => subscriber.epoch === epoch && subscriber.inEpoch >= 20)
    );
  };
  const createTopic: number[] = [];
  const firstUpdate: number[] = [];
  const failures: string[] = [];
  try {
    for (let i = 0; i < options.processes; i++) await start();
    for (let kill = 1; kill <= options.kills; kill++) {
      try {
        await until(steady, 30_000, "steady state");
        const victim = members.find((member) => member.producing)!;
        const oldEpoch = victim.subscriber.epoch!;
        members.splice(members.indexOf(victim), 1);
        const killedAt = now();
        victim.child.kill("SIGKILL");
        victim.subscriber.close();
        // The first update, after the kill, of an epoch other than the victim's (epochs of earlier kills came before it).
        const newEpochAt = (): number =>
          Math.min(
            ...members.flatMap(({ subscriber }) =>
              [...subscriber.firstAt].filter(([epoch, at]) => epoch !== oldEpoch && at > killedAt).map(([, at]) => at),
            ),
          );
        const timeout = 5 * boundMs + 10_000;
        await until(() => Number.isFinite(newEpochAt()), timeout, "an update of a new epoch at a surviving subscriber");
        await until(() => members.some((member) => member.producing && member.producingAt > killedAt), timeout, "a new producer");
        firstUpdate.push(newEpochAt() - killedAt);
        createTopic.push(Math.max(...members.map((member) => (member.producing ? member.producingAt : 0))) - killedAt);
        console.error(
          `failover ${kill}/${options.kills}: new producer after ${createTopic.at(-1)!.toFixed(0)} ms, first update of the new epoch after ${firstUpdate.at(-1)!.toFixed(0)} ms`,
        );
      } catch (error) {
        failures.push(`kill ${kill}: ${error instanceof Error ? error.message : String(error)}`);
        console.error(`failover ${kill}/${options.kills}: ${failures.at(-1)}`);
      }
      while (members.length < options.processes) await start();
    }
  } finally {
    for (const member of members) member.subscriber.close();
    await Promise.all(members.map(({ child }) => stopProcess(child)));
    await redis.stop();
  }
  const figures = (all: number[]): { median: number; max: number; all: number[] } => ({
    median: median(all),
    max: all.length === 0 ? Number.NaN : Math.max(...all),
    all,
  });
  return {
    ...options,
    createTopic: figures(createTopic),
    firstUpdate: figures(firstUpdate),
    boundMs,
    overBound: firstUpdate.filter((ms) => ms > boundMs).length,
    failures,
    otherFrames,
  };
}
