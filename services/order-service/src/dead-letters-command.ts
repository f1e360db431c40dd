import { parseArgs } from "node:util";
import {
  discardDeadLetters,
  listDeadLetters,
  replayDeadLetters,
  type DeadLetter,
  type Transport,
} from "@asyncgen/runtime";

export const DEAD_LETTERS_USAGE = `usage: npm run dead-letters -w services/order-service -- <command>
  list [queue] [--json]                  the dead letters of one queue, or of every queue of the system
  replay <queue> (--id <message_id> | --all)   back to their original queue, same message id
  discard <queue> (--id <message_id> | --all)  removed for good
<queue> is a queue (restaurant_service.commands) or its dead-letter queue (restaurant_service.commands.dlq).
Connects to AMQP_URL (default amqp://guest:guest@127.0.0.1:5672).`;

/**
 * The operators' dead-letter command, apart from its connection so tests can run it on any transport. Returns the
 * exit code: 0 done, 1 the message id was not there, 2 bad usage (the usage is printed).
 */
export async function runDeadLettersCommand(
  argv: readonly string[],
  transport: Transport,
  systemQueues: readonly string[],
  out: (line: string) => void,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { id: { type: "string" }, all: { type: "boolean" }, json: { type: "boolean" } },
    });
  } catch (error) {
    out(`${(error as Error).message}\n${DEAD_LETTERS_USAGE}`);
    return 2;
  }
  const [command, queue, ...extra] = parsed.positionals;
  const { id, all, json } = parsed.values;
  if (command === "list" && extra.length === 0) {
    const lists = await Promise.all(
      (queue ? [queue] : systemQueues).map((name) => listDeadLetters(transport, name)),
    );
    const letters = lists.flat();
    if (json) out(JSON.stringify(letters, null, 2));
    else {
      for (const letter of letters) out(describe(letter));
      out(`${letters.length} dead letter(s)`);
    }
    return 0;
  }
  if (
    (command === "replay" || command === "discard") &&
    queue &&
    extra.length === 0 &&
    (id === undefined) === (all === true)
  ) {
    const selection = id === undefined ? ({ all: true } as const) : { messageId: id };
    const taken =
      command === "replay"
        ? await replayDeadLetters(transport, queue, selection)
        : await discardDeadLetters(transport, queue, selection);
    for (const letter of taken) out(`${command}ed ${describe(letter)}`);
    if (id !== undefined && taken.length === 0) {
      out(`no dead letter ${id} in ${queue}`);
      return 1;
    }
    out(`${command}ed ${taken.length} dead letter(s)`);
    return 0;
  }
  out(DEAD_LETTERS_USAGE);
  return 2;
}

const describe = (l: DeadLetter): string =>
  `${l.queue}  ${l.message_id}  ${l.type}  ${l.error_code}  replays=${l.replay_count}  ${l.dead_lettered_at ?? ""}  ${l.reason}`;
