import { queues } from "@saga/generated/accounting-service";
import { runParticipant } from "@saga/service-kit";
import { startAccountingService } from "./service.js";

// `npm start -w services/accounting-service`: this service alone; configuration comes only from the environment.
await runParticipant("accounting-service", queues.consumes, startAccountingService);
