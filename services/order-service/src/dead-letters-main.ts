import { queues } from "@saga/generated/order-service";
import { connectAmqp } from "@asyncgen/runtime";
import { readConfig } from "@saga/service-kit";
import { runDeadLettersCommand } from "./dead-letters-command.js";

// `npm run dead-letters -w services/order-service -- list|replay|discard ...` (see DEAD_LETTERS_USAGE). The
// orchestrator's contract names every queue of the system: the one it consumes and the three it sends to.
const systemQueues = [...queues.consumes, ...queues.publishesTo];
const transport = await connectAmqp(readConfig().amqpUrl, { connectionName: "dead-letters-cli" });
try {
  process.exitCode = await runDeadLettersCommand(process.argv.slice(2), transport, systemQueues, (line) =>
    console.log(line),
  );
} finally {
  await transport.close();
}
