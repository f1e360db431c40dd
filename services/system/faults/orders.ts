/**
 * The orders the fault suite drives through the HTTP API: a fixed mix of the four outcomes, each with what the saga
 * must end in, and a driver that places them at a steady pace while faults are injected.
 */

export type OrderKind = "approved" | "consumer-refused" | "card-declined" | "orchestrator-failure";

export interface Expected {
  readonly order: "approved" | "rejected";
  /** The saga's failed_step when rejected. */
  readonly failedStep: string | null;
}

interface KindSpec {
  readonly body: object;
  readonly expected: Expected;
}

const ITEMS = [{ name: "Dish 1", quantity: 2 }];

export const ORDER_KINDS: Record<OrderKind, KindSpec> = {
  approved: {
    body: { consumer_id: 70, card_id: 3, price: 20, items: ITEMS },
    expected: { order: "approved", failedStep: null },
  },
  "consumer-refused": {
    body: { consumer_id: 10, card_id: 3, price: 20, items: ITEMS },
    expected: { order: "rejected", failedStep: "verify_consumer_details" },
  },
  "card-declined": {
    body: { consumer_id: 70, card_id: 3, price: 80, items: ITEMS },
    expected: { order: "rejected", failedStep: "authorize_card" },
  },
  "orchestrator-failure": {
    body: { consumer_id: 70, card_id: 3, price: 20, items: [{ name: "Dish 1", quantity: 100500 }] },
    expected: { order: "rejected", failedStep: "create_restaurant_ticket" },
  },
};

/** Half approved, the rest spread over the three ways to be rejected. */
const MIX: readonly OrderKind[] = [
  "approved",
  "consumer-refused",
  "approved",
  "card-declined",
  "approved",
  "orchestrator-failure",
];

export interface AcceptedOrder {
  readonly id: number;
  readonly kind: OrderKind;
  readonly scenario: string;
}

/** Places orders and remembers every one the API accepted (202) and how the others were answered. */
export class OrderDriver {
  readonly accepted = new Map<number, AcceptedOrder>();
  /** Answers other than 202 (e.g. "ECONNREFUSED", "503"), with their count: not accepted, so not owed. */
  readonly notAccepted = new Map<string, number>();
  #next = 0;
  readonly #urls: () => readonly string[];

  /** `urls`: the order-service instances' APIs as they are now; orders go to each in turn. */
  constructor(urls: () => readonly string[]) {
    this.#urls = urls;
  }

  /** Places the next order of the mix; resolves once the API answered (or failed to). */
  async place(scenario: string): Promise<void> {
    const n = this.#next++;
    const kind = MIX[n % MIX.length]!;
    const urls = this.#urls();
    let answer: string;
    try {
      // A whole round of the mix to each instance in turn, so each kind reaches every instance.
      const response = await fetch(`${urls[Math.floor(n / MIX.length) % urls.length]}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(ORDER_KINDS[kind].body),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status === 202) {
        const { saga_id: id } = (await response.json()) as { saga_id: number };
        this.accepted.set(id, { id, kind, scenario });
        return;
      }
      answer = `HTTP ${response.status}`;
    } catch (error) {
      answer = describeFetchError(error);
    }
    this.notAccepted.set(answer, (this.notAccepted.get(answer) ?? 0) + 1);
  }

  /** Places `count` orders, one every `intervalMs`, without waiting for one answer before the next order. */
  async drive(scenario: string, count: number, intervalMs: number): Promise<void> {
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      inFlight.push(this.place(scenario));
      await sleep(intervalMs);
    }
    await Promise.all(inFlight);
  }

  /** Places orders every `intervalMs` until the returned function is called; it resolves when all were answered. */
  keepDriving(scenario: string, intervalMs: number): () => Promise<void> {
    let running = true;
    const inFlight: Promise<void>[] = [];
    const loop = (async () => {
      while (running) {
        inFlight.push(this.place(scenario));
        await sleep(intervalMs);
      }
    })();
    return async () => {
      running = false;
      await loop;
      await Promise.all(inFlight);
    };
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).name ?? "fetch failed";
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
