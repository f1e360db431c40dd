import { describe, expect, it } from "vitest";
import { readConfig } from "@saga/service-kit";

/** DATABASE_URL selects PostgreSQL; anything but a postgres:// URL is refused without echoing its credentials. */
describe("DATABASE_URL", () => {
  it("is read from the environment; unset or empty keeps the embedded SQLite", () => {
    expect(readConfig({ DATABASE_URL: "postgres://orders:pw@db:5432/orders" }).databaseUrl).toBe(
      "postgres://orders:pw@db:5432/orders",
    );
    expect(readConfig({ DATABASE_URL: "postgresql://db/orders" }).databaseUrl).toBe("postgresql://db/orders");
    expect(readConfig({}).databaseUrl).toBeUndefined();
    expect(readConfig({ DATABASE_URL: "" }).databaseUrl).toBeUndefined();
  });

  it("refuses another scheme, naming only the scheme", () => {
    const read = () => readConfig({ DATABASE_URL: "mysql://orders:secret-pw@db/orders" });
    expect(read).toThrow(/DATABASE_URL must be a postgres:\/\/ URL, not "mysql":/);
    expect(read).not.toThrow(/secret-pw/);
  });
});
