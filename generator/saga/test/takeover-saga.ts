import { bookTripSaga } from "./trip-sagas.js";

/** The trip saga with deadlines far beyond the test: only an outbox takeover can move its steps on. */
export const slowTripSaga = { ...bookTripSaga, stepDeadlineMs: 600_000 };

/** The schema both instances of the takeover test migrate. */
export const TAKEOVER_SCHEMA_NAME = "saga_takeover_test";
