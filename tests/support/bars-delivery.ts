/**
 * What the raw-protocol delivery tests share (runtime-delivery, runtime-linger):
 * an app with one bars route on a service of the test's, stopped after each
 * test (register with `useBarsApps()`), and readers of the frames a client
 * receives.
 */
import { afterEach } from "vitest";
import type { RouteOptions, WsAppOptions, WsRouteService } from "wsgen";
import { BarWsRouter, RecordingService, type Bar, type BarSubscriptionRequest } from "./fixtures.js";
import { TestClient, type Frame } from "./client.js";
import { startApp, type RunningApp } from "./server.js";

export type BarOptions = Partial<RouteOptions<BarSubscriptionRequest, Bar>>;

const running: RunningApp[] = [];

/** Stops the apps a test started, after each test. */
export function useBarsApps(): void {
  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.stop()));
  });
}

/** An app (with `appOptions`) with one bars route on `service`, in module `datafeed`. */
export async function startWith<Service extends WsRouteService<BarSubscriptionRequest, Bar>>(
  options: BarOptions,
  service: Service,
  appOptions: Partial<WsAppOptions> = {},
) {
  const routes = [new BarWsRouter({ route: "bars", service, ...options })];
  const app = await startApp({ ...appOptions, modules: [{ name: "datafeed", routes }] });
  running.push(app);
  const connect = (): Promise<TestClient> => TestClient.connect(app.wsUrl("datafeed"));
  return { app, connect, service };
}

/** As `startWith`, on a RecordingService. */
export const start = (options: BarOptions = {}) => startWith(options, new RecordingService<BarSubscriptionRequest, Bar>());

/** Every frame `client` receives from now on, in arrival order (TestClient.next takes frames out of its own list). */
export function log(client: TestClient): Frame[] {
  const frames: Frame[] = [];
  client.socket.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString()) as Frame));
  return frames;
}

export const updates = (frames: Frame[]): Frame[] => frames.filter((frame) => frame.type === "bars.update");
export const seqs = (frames: Frame[]): number[] => updates(frames).map((frame) => frame.payload.seq as number);
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** A ping round trip: every frame the server wrote before its pong has arrived. */
export const settle = async (client: TestClient): Promise<void> => void (await client.request("ping"));
