import {
  orderServiceCommands as commands,
  type AuthorizeCardResponse,
  type CreateTicketResponse,
  type SagaErrorPayload,
} from "@saga/generated/order-service";
import { describe, expect, expectTypeOf, it } from "vitest";
import { remote, type CommandPayload, type FailureReply, type SuccessReply } from "../src/index.js";

/**
 * The types of a step follow from the generated command spec: `npm run typecheck` (tsc over this file) is the
 * proof, each `@ts-expect-error` a mistake that must not compile. The `it` blocks check what the values carry.
 */
interface Data {
  readonly ticket: number | null;
}

describe("typed steps from the generated <service>Commands", () => {
  it("takes the payload, the replies and their payload types from the contract", () => {
    expectTypeOf<SuccessReply<typeof commands.createTicket>>().toEqualTypeOf<CreateTicketResponse>();
    expectTypeOf<SuccessReply<typeof commands.authorizeCard>>().toEqualTypeOf<AuthorizeCardResponse>();
    expectTypeOf<FailureReply<typeof commands.createTicket>>().toEqualTypeOf<SagaErrorPayload>();
    expectTypeOf<FailureReply<typeof commands.rejectTicket>>().toBeNever();
    expectTypeOf<CommandPayload<typeof commands.rejectTicket>>().toEqualTypeOf<{ ticket_id: number }>();

    const step = remote(
      commands.createTicket,
      (_: Data, sagaId) => ({ order_id: sagaId, customer_id: 70, items: [] }),
      {
        onSuccess: (data, reply) => {
          expectTypeOf(reply).toEqualTypeOf<CreateTicketResponse>();
          return { ...data, ticket: reply.ticket_id };
        },
        onFailure: (data, reply) => {
          expectTypeOf(reply).toEqualTypeOf<SagaErrorPayload>();
          return data;
        },
      },
    );
    // The names the engine matches replies by come from the same spec: none is written by hand.
    expect(step.spec.replies.success.name).toBe("restaurant_service.create_ticket.response.success");
    expect(step.spec.replies.failure?.name).toBe("restaurant_service.create_ticket.response.failure");
    expect(step.onSuccess?.({ ticket: null }, { ticket_id: 7 })).toEqual({ ticket: 7 });
  });

  it("does not compile a reply the contract does not declare, a wrong payload or a wrong reply field", () => {
    const ticketOf = (data: Data) => ({ ticket_id: data.ticket ?? 0 });
    const mistakes = [
      // @ts-expect-error reject_ticket declares no failure reply, so there is nothing to handle
      remote(commands.rejectTicket, ticketOf, { onFailure: (data: Data) => data }),
      // @ts-expect-error create_ticket's payload needs customer_id and items
      remote(commands.createTicket, (_: Data, sagaId) => ({ order_id: sagaId })),
      remote(commands.authorizeCard, (_: Data) => ({ card_id: 1, amount: 2 }), {
        // @ts-expect-error authorize_card's success reply has transaction_id, not ticket_id
        onSuccess: (data, reply) => ({ ...data, ticket: reply.ticket_id }),
      }),
      // @ts-expect-error a command is named by its spec, never by a string
      remote("restaurant_service.create_ticket", ticketOf),
    ];
    expect(mistakes).toHaveLength(4);
  });
});
