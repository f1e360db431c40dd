import { local, remote, SAGA_SCHEMA, startOrchestrator, type SagaDefinition } from "@asyncgen/saga";
import { SqliteSagaStore } from "@asyncgen/saga/sqlite";
import { orderServiceCommands as commands, orderServiceQueues } from "@saga/generated/order-service";
import type { Transport } from "@asyncgen/runtime";

/** What the saga keeps between replies (stored as JSON with the saga). */
interface Payment {
  readonly consumer_id: number;
  readonly card_id: number;
  readonly amount: number;
  readonly transaction_id: number | null;
  readonly status: "pending" | "paid" | "refused";
}

/** Verify the consumer, then charge the card; any refusal walks back to `refuse`. */
export const paymentSaga: SagaDefinition<Payment> = {
  type: "payment",
  stepDeadlineMs: 5_000, // no reply within 5 s: the command is resent (with backoff)
  maxResends: 3, // before the pivot, then the step is given up and the saga compensates
  steps: [
    { name: "refuse", compensation: local((data) => ({ ...data, status: "refused" })) },
    {
      name: "verify_consumer",
      action: remote(commands.verifyConsumerDetails, (data) => ({ consumer_id: data.consumer_id })),
    },
    {
      name: "authorize_card",
      pivot: true, // nothing undoes a charged card: resent until answered, never compensated
      action: remote(commands.authorizeCard, (data) => ({ card_id: data.card_id, amount: data.amount }), {
        onSuccess: (data, reply) => ({ ...data, transaction_id: reply.transaction_id }),
      }),
    },
    { name: "mark_paid", action: local((data) => ({ ...data, status: "paid" })) },
  ],
};

/** The whole orchestrator: state in SQLite, commands through its outbox, replies from the contract's queue. */
export async function startPayments(transport: Transport, databaseFile: string) {
  const store = SqliteSagaStore.open<Payment>(databaseFile, [SAGA_SCHEMA], paymentSaga.type);
  const orchestrator = await startOrchestrator({
    saga: paymentSaga,
    store,
    transport,
    replies: orderServiceQueues,
  });
  return {
    pay: (consumer_id: number, card_id: number, amount: number) =>
      orchestrator.start({ consumer_id, card_id, amount, transaction_id: null, status: "pending" }),
    status: async (id: number) => (await store.load(id))?.status,
    async stop() {
      await orchestrator.stop();
      await store.close();
    },
  };
}
