import { failure, serve, success, type Transport } from "@asyncgen/runtime";
import { participantQueues } from "./trip-contract.js";

/** The trip sagas' participants, answering by the rules of the tests: the bank refuses amounts over 1000. */
export async function startParticipants(transport: Transport): Promise<() => Promise<void>> {
  let next = 100;
  const handlers = {
    bookRoom: async () => success({ reservation_id: ++next }),
    cancelRoom: async () => success(null),
    bookSeat: async () => success({ seat_id: ++next }),
    cancelSeat: async () => success(null),
    charge: async ({ amount }: { amount: number }) =>
      amount > 1000 ? failure({ reason: `${amount} is over the limit` }) : success({ payment_id: ++next }),
    sendTickets: async () => success(null),
  };
  const servers = await Promise.all(participantQueues().map((spec) => serve(transport, spec, handlers)));
  return async () => void (await Promise.all(servers.map((server) => server.close())));
}
