import type { OutgoingMessage } from "@asyncgen/runtime";
import {
  createLogger,
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  PostgresParticipantDatabase,
  type Migration,
} from "../src/index.js";

/** What the PostgreSQL participant tests share: a made-up "notes" participant, its reply and its handler. */

const MIGRATIONS: Migration[] = [
  (d) => `CREATE TABLE effects (id ${d.serialKey}, name TEXT NOT NULL);`,
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
];
const logger = createLogger("notes", "silent");

/** One instance of the participant on the database at `url`, its tables (and `more` of them) in `schema`. */
export const openNotes = (url: string, schema = "notes_service", more: readonly Migration[] = []) =>
  PostgresParticipantDatabase.open({ url, schema, migrations: [...MIGRATIONS, ...more], logger });

export const reply = (messageId: string): OutgoingMessage => ({
  exchange: "",
  routingKey: "replies",
  body: Buffer.from(JSON.stringify({ ok: messageId })),
  properties: {
    messageId,
    type: "notes.write.response.success",
    correlationId: "saga-1",
    timestamp: 1_700_000_000_000,
    contentType: "application/json",
    headers: {},
  },
});

/** The handler: writes an effect through the participant's statements (so in the message's transaction), answers. */
export const writeAndAnswer =
  (db: PostgresParticipantDatabase, name: string, replyId: string, pauseMs = 0) =>
  async () => {
    await db.sql.run(`INSERT INTO effects (name) VALUES (?)`, [name]);
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    return [reply(replyId)];
  };
