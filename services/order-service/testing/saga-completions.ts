/** One transition as `/events` streams it. */
export interface StreamedTransition {
  readonly saga: number;
  readonly status: string;
}

/** Reads the server-sent events of `/events` from `body`, handing each transition to `onEvent` as it arrives. */
export async function readTransitionEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: StreamedTransition) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (event.startsWith("data: ")) onEvent(JSON.parse(event.slice(6)) as StreamedTransition);
    }
  }
}

/**
 * Follows the order service's server-sent events and resolves a promise per saga when it ends, so a load driver
 * learns of completions without polling (which would itself load the service it measures).
 */
export class SagaCompletions {
  readonly #waiting = new Map<number, () => void>();
  readonly #ended = new Set<number>();
  readonly #abort = new AbortController();

  static async connect(url: string): Promise<SagaCompletions> {
    const completions = new SagaCompletions();
    const response = await fetch(`${url}/events`, { signal: completions.#abort.signal });
    if (!response.body) throw new Error("no event stream");
    void completions.#read(response.body).catch(() => {});
    return completions;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    await readTransitionEvents(body, ({ saga, status }) => {
      if (status !== "succeeded" && status !== "failed") return;
      this.#ended.add(saga);
      this.#waiting.get(saga)?.();
    });
  }

  /** Resolves when the saga succeeded or failed. */
  done(saga: number): Promise<void> {
    if (this.#ended.has(saga)) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.set(saga, resolve));
  }

  close(): void {
    this.#abort.abort();
  }
}
