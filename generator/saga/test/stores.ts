import { silentLogger } from "@asyncgen/runtime";
import { SAGA_SCHEMA, type SagaDatabase } from "../src/index.js";
import { PostgresSagaStore } from "../src/postgres/index.js";
import { SqliteSagaStore } from "../src/sqlite/index.js";
import { createTestDatabase } from "../testing/index.js";

/** How each database gives a test an empty store for a saga type: in-memory SQLite, and a PostgreSQL database. */
export interface Backend {
  readonly name: string;
  setUp(): Promise<void>;
  /** An empty store for sagas of `type` (earlier stores of the run are emptied too). */
  emptyStore<Data>(type: string): Promise<SagaDatabase<Data>>;
  tearDown(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const open: SagaDatabase<unknown>[] = [];
  return {
    name: "SQLite",
    async setUp() {},
    async emptyStore<Data>(type: string) {
      const store = SqliteSagaStore.open<Data>(":memory:", [SAGA_SCHEMA], type);
      open.push(store as SagaDatabase<unknown>);
      return store;
    },
    tearDown: async () => void (await Promise.all(open.map((store) => store.close()))),
  };
}

export function postgresBackend(label: string): Backend {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  const stores = new Map<string, SagaDatabase<unknown>>();
  return {
    name: "PostgreSQL",
    async setUp() {
      database = await createTestDatabase(label);
    },
    async emptyStore<Data>(type: string) {
      let store = stores.get(type);
      if (!store) {
        store = await PostgresSagaStore.open<unknown>({
          url: database!.url,
          migrations: [SAGA_SCHEMA],
          schemaName: "saga_package_test",
          type,
          logger: silentLogger,
        });
        stores.set(type, store);
      }
      await store.all(`TRUNCATE sagas, saga_history, outbox, consumed_messages RESTART IDENTITY`);
      return store as SagaDatabase<Data>;
    },
    async tearDown() {
      await Promise.all([...stores.values()].map((store) => store.close()));
      await database?.drop();
    },
  };
}
