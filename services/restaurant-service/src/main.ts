import { queues } from "@saga/generated/restaurant-service";
import { numberFromEnv, runParticipant } from "@saga/service-kit";
import { DEFAULT_APPROVE_TICKET_FAILURE_RATE } from "./handlers.js";
import { startRestaurantService } from "./service.js";

// `npm start -w services/restaurant-service`: this service alone; configuration comes only from the environment.
const approveTicketFailureRate = numberFromEnv(
  process.env,
  "APPROVE_TICKET_FAILURE_RATE",
  DEFAULT_APPROVE_TICKET_FAILURE_RATE,
);
await runParticipant("restaurant-service", queues.consumes, (options) =>
  startRestaurantService({ ...options, approveTicketFailureRate }),
);
