import { queues } from "@saga/generated/consumer-service";
import { runParticipant } from "@saga/service-kit";
import { startConsumerService } from "./service.js";

// `npm start -w services/consumer-service`: this service alone; configuration comes only from the environment.
await runParticipant("consumer-service", queues.consumes, startConsumerService);
