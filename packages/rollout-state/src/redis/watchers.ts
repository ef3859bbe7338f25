import { StoreUnavailableError } from "../errors.js";
import { Staleness } from "../staleness.js";
import type { StateEvent } from "../store.js";
import { deliver, eventKey } from "../watch-events.js";
import { duplicateForSubscribing, type RedisClient } from "./connection.js";

export interface RedisWatchersOptions {
  channel: string;
  pollIntervalMs: number;
  staleAfterMs: number;
  client: () => Promise<RedisClient>;
  /** Reads one deployment's state; never throws (failures are `invalid` or `unavailable`). */
  readEvent: (deployment: string) => Promise<StateEvent>;
}

interface Listener {
  deployment: string;
  onEvent: (event: StateEvent) => void;
  lastKey: string | undefined;
  staleness: Staleness;
  /** One read at a time per listener; a request during a read asks for one more after it. */
  reading: boolean;
  again: boolean;
}

/**
 * The watchers of one RedisStore: a dedicated subscriber connection for change
 * notifications, a re-read on every (re)connect and every pollIntervalMs, and per listener
 * a staleness bound after which it is told `unavailable`. A read that fails confirms
 * nothing; a lost subscriber connection, or the bound without a confirmed read, makes a
 * router fail closed; the next confirmed read brings the state back.
 */
export class RedisWatchers {
  private readonly listeners = new Set<Listener>();
  private subscriber: Promise<RedisClient | undefined> | undefined;
  private poll: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedisWatchersOptions) {}

  add(deployment: string, onEvent: (event: StateEvent) => void): () => void {
    const listener: Listener = {
      deployment,
      onEvent,
      lastKey: undefined,
      reading: false,
      again: false,
      staleness: new Staleness(this.options.staleAfterMs, (error) => this.report(listener, { kind: "unavailable", error }), "redis"),
    };
    this.listeners.add(listener);
    this.ensureSubscriber();
    void this.refresh(listener);
    return () => {
      listener.staleness.stop();
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopSubscriber();
    };
  }

  close(): void {
    for (const listener of this.listeners) listener.staleness.stop();
    this.listeners.clear();
    this.stopSubscriber();
  }

  private refreshAll(deployment?: string): void {
    for (const listener of this.listeners) if (deployment === undefined || listener.deployment === deployment) void this.refresh(listener);
  }

  private ensureSubscriber(): void {
    if (this.subscriber) return;
    this.subscriber = this.options
      .client()
      .then(async (client) => {
        const subscriber = duplicateForSubscribing(client);
        subscriber.on("error", () => undefined);
        subscriber.on("message", (_channel: string, message: string) => this.refreshAll(message.split(" ")[0]));
        // A lost connection is certain: no rollback can reach us until it is back, so routers
        // fail closed at once instead of after the staleness bound (which covers a hung Redis,
        // where the connection stays open and nothing answers).
        subscriber.on("close", () => this.failAll(new StoreUnavailableError("lost the connection to redis")));
        // ioredis resubscribes on reconnect; what was published meanwhile is caught by re-reading.
        subscriber.on("ready", () => this.refreshAll());
        await subscriber.subscribe(this.options.channel).catch(() => undefined);
        return subscriber;
      })
      .catch(() => undefined);
    this.poll = setInterval(() => this.refreshAll(), this.options.pollIntervalMs);
    this.poll.unref();
  }

  private failAll(error: StoreUnavailableError): void {
    for (const listener of this.listeners) this.report(listener, { kind: "unavailable", error });
  }

  private stopSubscriber(): void {
    clearInterval(this.poll);
    this.poll = undefined;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    void subscriber?.then((s) => s?.disconnect());
  }

  private async refresh(listener: Listener): Promise<void> {
    if (listener.reading) {
      listener.again = true;
      return;
    }
    listener.reading = true;
    try {
      do {
        listener.again = false;
        const event = await this.options.readEvent(listener.deployment);
        if (event.kind === "unavailable") continue;
        listener.staleness.confirm();
        this.report(listener, event);
      } while (listener.again && this.listeners.has(listener));
    } finally {
      listener.reading = false;
    }
  }

  private report(listener: Listener, event: StateEvent): void {
    const key = eventKey(event);
    if (key === listener.lastKey || !this.listeners.has(listener)) return;
    listener.lastKey = key;
    deliver(listener.onEvent, event);
  }
}
