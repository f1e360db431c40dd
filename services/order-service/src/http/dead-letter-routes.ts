import {
  discardDeadLetters,
  listDeadLetters,
  replayDeadLetters,
  type DeadLetter,
  type DeadLetterSelection,
  type Transport,
} from "@asyncgen/runtime";
import type { HttpErrorCode } from "./error-codes.js";
import type { buildApi } from "./server.js";

export interface DeadLetterRouteDependencies {
  readonly transport: Transport;
  /** The dead-letter queues the service may show and replay (`<queue>.dlq` of every queue it knows). */
  readonly queues: readonly string[];
  /** Called once per replayed message (metrics). */
  readonly onReplayed?: (letter: DeadLetter) => void;
}

/** Body of POST /dead-letters/replay and /discard: one message of a queue, or all of them. */
const SELECTION_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["queue"],
  properties: {
    queue: { type: "string", minLength: 1 },
    message_id: { type: "string", minLength: 1 },
    all: { const: true },
  },
  oneOf: [{ required: ["message_id"] }, { required: ["all"] }],
} as const;

interface SelectionBody {
  readonly queue: string;
  readonly message_id?: string;
  readonly all?: true;
}

/** An error the app's error handler turns into its coded JSON body. */
function httpError(statusCode: number, code: HttpErrorCode, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

/**
 * GET /dead-letters (every dead-letter queue, or `?queue=`), POST /dead-letters/replay and /dead-letters/discard.
 * Only the service's own dead-letter queues can be reached; a message id that is not there is a 404.
 */
export function registerDeadLetterRoutes(
  app: ReturnType<typeof buildApi>,
  deps: DeadLetterRouteDependencies,
): void {
  const known = (queue: string): string => {
    const dlq = queue.endsWith(".dlq") ? queue : `${queue}.dlq`;
    if (!deps.queues.includes(dlq)) {
      throw httpError(
        400,
        "HTTP_UNKNOWN_QUEUE",
        `no dead-letter queue "${queue}"; known: ${deps.queues.join(", ")}`,
      );
    }
    return dlq;
  };

  app.get<{ Querystring: { queue?: string } }>(
    "/dead-letters",
    { schema: { querystring: { type: "object", properties: { queue: { type: "string" } } } } },
    async (request) => {
      const queues = request.query.queue ? [known(request.query.queue)] : deps.queues;
      const lists = await Promise.all(queues.map((queue) => listDeadLetters(deps.transport, queue)));
      return {
        queues: Object.fromEntries(queues.map((queue, i) => [queue, lists[i]!.length])),
        dead_letters: lists.flat(),
      };
    },
  );

  const take = (
    action: "replay" | "discard",
    run: (queue: string, selection: DeadLetterSelection) => Promise<DeadLetter[]>,
  ) =>
    app.post<{ Body: SelectionBody }>(
      `/dead-letters/${action}`,
      { schema: { body: SELECTION_SCHEMA } },
      async (request) => {
        const { queue, message_id } = request.body;
        const dlq = known(queue);
        const taken = await run(dlq, message_id === undefined ? { all: true } : { messageId: message_id });
        if (message_id !== undefined && taken.length === 0) {
          throw httpError(404, "HTTP_DEAD_LETTER_NOT_FOUND", `no message ${message_id} in ${dlq}`);
        }
        request.log.info(
          { queue: dlq, count: taken.length, messageIds: taken.map((l) => l.message_id) },
          `dead letters: ${action}ed ${taken.length} of ${dlq}`,
        );
        return { queue: dlq, [action === "replay" ? "replayed" : "discarded"]: taken };
      },
    );

  take("replay", async (queue, selection) => {
    const replayed = await replayDeadLetters(deps.transport, queue, selection);
    for (const letter of replayed) deps.onReplayed?.(letter);
    return replayed;
  });
  take("discard", (queue, selection) => discardDeadLetters(deps.transport, queue, selection));
}
