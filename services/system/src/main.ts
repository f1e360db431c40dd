import { startAccountingService } from "@saga/accounting-service";
import { startConsumerService } from "@saga/consumer-service";
import { orderDatabaseLocation, startOrderService } from "@saga/order-service";
import { startRestaurantService } from "@saga/restaurant-service";
import {
  combinedMetrics,
  createLogger,
  exitOnStartFailure,
  meteredTransport,
  openTransport,
  participantDatabaseLocation,
  readConfigOrExit,
  ServiceMetrics,
  retentionPolicy,
  stopOnSignals,
} from "@saga/service-kit";

// `npm start`: the four services in one process sharing one transport, so the in-process broker works when no
// RabbitMQ answers. Each service still has its own database and its own queue, exactly as when run alone, and
// reads the same settings (one config module) as when started alone. With DATABASE_URL all four share that one
// PostgreSQL database: the order service's tables where the URL's search path puts them (public by default), each
// participant's in a schema of its own (consumer_service, restaurant_service, accounting_service).
const config = readConfigOrExit();
const logger = createLogger("system", config.logLevel);
const stopSteps = stopOnSignals(logger);
// All four services share this process, so the in-process broker can stand in when nothing answers at AMQP_URL.
const transport = await openTransport(config, logger, "saga-system", { whenUnreachable: "in-process" }).catch(
  exitOnStartFailure(logger),
);
stopSteps.add(() => transport.close());
// DATABASE_URL (with OUTBOX_LEASE_MS), else `<service>.sqlite` in DATA_DIR.
const database = (service: string) => participantDatabaseLocation(config, service);
// Each service counts its own messages (labelled with its name); the order service's GET /metrics serves all four.
const metricsOf = (service: string) => {
  const metrics = new ServiceMetrics(service);
  return { transport: meteredTransport(transport, metrics), metrics };
};
const consumer = metricsOf("consumer-service");
const restaurant = metricsOf("restaurant-service");
const accounting = metricsOf("accounting-service");
const orderMetrics = new ServiceMetrics("order-service");
const retention = retentionPolicy(config);

const participants = {
  "consumer-service": await startConsumerService({
    ...consumer,
    logger: logger.child({ service: "consumer-service" }),
    ...database("consumer-service"),
    retention,
  }),
  "restaurant-service": await startRestaurantService({
    ...restaurant,
    logger: logger.child({ service: "restaurant-service" }),
    ...database("restaurant-service"),
    retention,
    approveTicketFailureRate: config.approveTicketFailureRate,
  }),
  "accounting-service": await startAccountingService({
    ...accounting,
    logger: logger.child({ service: "accounting-service" }),
    ...database("accounting-service"),
    retention,
  }),
};
const orders = await startOrderService({
  transport, // the order service meters its own transport
  metrics: orderMetrics,
  metricsServed: combinedMetrics([orderMetrics, consumer.metrics, restaurant.metrics, accounting.metrics]),
  logger: logger.child({ service: "order-service" }),
  ...orderDatabaseLocation(config), // DATABASE_URL, else its SQLite file in DATA_DIR
  port: config.port,
  host: config.host,
  stepDeadlineMs: config.stepDeadlineMs,
  outboxLeaseMs: config.outboxLeaseMs,
  retention,
  // The dashboard lists the participants' parked outbox rows too: they share this process.
  parkedElsewhere: Object.entries(participants).map(([service, participant]) => ({
    service,
    parked: () => participant.parked(),
  })),
});
stopSteps.add(async () => {
  await orders.stop();
  for (const service of Object.values(participants)) await service.stop();
});
logger.info({ url: orders.url }, `CreateOrderSaga demo: open ${orders.url}`);
