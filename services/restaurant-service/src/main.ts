import { queues } from "@saga/generated/restaurant-service";
import { runParticipant } from "@saga/service-kit";
import { startRestaurantService } from "./service.js";

// `npm start -w services/restaurant-service`: this service alone; configuration comes only from the environment.
await runParticipant("restaurant-service", queues.consumes, (options, config) =>
  startRestaurantService({ ...options, approveTicketFailureRate: config.approveTicketFailureRate }),
);
