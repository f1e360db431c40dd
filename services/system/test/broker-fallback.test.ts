import { spawnSync } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import { createServer, connect, type AddressInfo, type Server } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCode } from "@asyncgen/runtime";
import { createTestVhost, TEST_AMQP_BASE } from "@asyncgen/runtime/testing";
import { npmStart, REPO, tempDir, waitUntil } from "@saga/service-kit/testing";
import { BrokerRefusedError, openTransport, readConfig } from "@saga/service-kit";

/**
 * The in-process broker stands in only when nothing answers at AMQP_URL, and only for `npm start` (all four
 * services in one process). A broker that answers and refuses stops the start with the cause; a service started
 * alone waits for its broker (the order service answering 503 meanwhile) and goes on once it answers.
 */
const logger = pino({ enabled: false });
const withPassword = (password: string) =>
  TEST_AMQP_BASE.replace(/\/\/([^:@/]+):[^@/]*@/, `//$1:${password}@`);

/** A port with nothing listening on it (for a moment: it was just free). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** RabbitMQ "coming back": a TCP forwarder from `port` to the real broker. */
async function brokerAppearsOn(port: number): Promise<Server> {
  const target = new URL(TEST_AMQP_BASE);
  const server = createServer((socket) => {
    const upstream = connect(Number(target.port || 5672), target.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

const open = (env: Record<string, string>) =>
  openTransport(readConfig(env), logger, "broker-fallback-test", { whenUnreachable: "in-process" });

describe("BROKER=auto falls back only when nothing answers", () => {
  let vhost: ReturnType<typeof createTestVhost>;
  beforeAll(() => void (vhost = createTestVhost("fallback")));
  afterAll(() => vhost?.remove());

  it("connects to RabbitMQ when it answers", async () => {
    const transport = await open({ AMQP_URL: vhost.url });
    expect(transport.kind).toBe("amqp");
    await transport.close();
  });

  it("runs on the in-process broker when nothing listens at AMQP_URL", async () => {
    const transport = await open({ AMQP_URL: `amqp://guest:guest@127.0.0.1:${await freePort()}` });
    expect(transport.kind).toBe("in-process");
    await transport.close();
  });

  it("stops on a wrong password, saying so and not showing it", async () => {
    const failure = await open({
      AMQP_URL: `${withPassword("not-the-password")}/${encodeURIComponent(vhost.vhost)}`,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BrokerRefusedError);
    expect((failure as BrokerRefusedError).code).toBe("BROKER_REFUSED");
    expect((failure as Error).message).toMatch(
      /refused the connection: the login was refused: wrong user name or password/,
    );
    expect((failure as Error).message).not.toContain("not-the-password");
  });

  it("stops on a virtual host that does not exist, naming it", async () => {
    const failure = await open({ AMQP_URL: `${TEST_AMQP_BASE}/saga-missing-${process.pid}` }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(BrokerRefusedError);
    expect((failure as Error).message).toContain(
      `the virtual host "saga-missing-${process.pid}" does not exist`,
    );
  });

  it("stops when something that is not RabbitMQ answers", async () => {
    const web = createHttpServer((_request, response) => response.end("hello")).listen(0, "127.0.0.1");
    await new Promise((resolve) => web.once("listening", resolve));
    try {
      const port = (web.address() as AddressInfo).port;
      const failure = await open({ AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}` }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(BrokerRefusedError);
      expect((failure as Error).message).toMatch(/does not speak AMQP 0-9-1/);
    } finally {
      web.close();
    }
  });

  it("with BROKER=amqp, nothing answering is an error too", async () => {
    const failure = await open({
      BROKER: "amqp",
      AMQP_URL: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
    }).catch((error: unknown) => error);
    expect(hasCode(failure, "AMQP_CONNECTION_LOST")).toBe(true);
  });

  it("npm start with a wrong password exits 1 with the cause, never on the in-process broker", () => {
    const run = spawnSync("npm", ["start", "--silent", "-w", "services/system"], {
      cwd: REPO,
      env: { ...process.env, AMQP_URL: withPassword("wrong"), PORT: "0", DATA_DIR: tempDir("fallback") },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/"level":60.*the login was refused: wrong user name or password/);
    expect(run.stdout + run.stderr).not.toContain("in-process");
  });
});

describe("a service started alone waits for its broker", () => {
  let vhost: ReturnType<typeof createTestVhost>;
  beforeAll(() => void (vhost = createTestVhost("waiting")));
  afterAll(() => vhost?.remove());

  it("the order service answers 503 while nothing answers, then connects once RabbitMQ is there", async () => {
    const amqpPort = await freePort();
    const httpPort = await freePort();
    const api = `http://127.0.0.1:${httpPort}`;
    const service = npmStart("order-service", {
      AMQP_URL: `amqp://guest:guest@127.0.0.1:${amqpPort}/${encodeURIComponent(vhost.vhost)}`,
      PORT: String(httpPort),
      DATA_DIR: tempDir("waiting-order"),
      LOG_LEVEL: "info",
    });
    let proxy: Server | undefined;
    try {
      await service.waitForOutput(/answers 503 meanwhile/, 60_000);
      const health = await fetch(`${api}/health`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { checks: { broker: boolean } }).checks.broker).toBe(false);
      const order = await fetch(`${api}/orders`, {
        method: "POST",
        body: "{}",
        headers: { "content-type": "application/json" },
      });
      expect(order.status).toBe(503);
      expect(await order.json()).toMatchObject({ code: "HTTP_UNAVAILABLE" });
      await service.waitForOutput(/no RabbitMQ at .* yet; retrying in/);
      expect(service.output()).not.toContain("in-process");

      proxy = await brokerAppearsOn(amqpPort);
      await service.waitForOutput(/HTTP API on/, 30_000);
      let checks: unknown;
      await waitUntil(
        async () => {
          const response = await fetch(`${api}/health`);
          checks = await response.json();
          return response.status === 200;
        },
        10_000,
        () => JSON.stringify(checks),
      );
      expect(checks).toMatchObject({ ok: true, checks: { broker: true, transport: "amqp" } });
    } finally {
      await service.stop();
      proxy?.close();
    }
  }, 90_000);

  it("a participant logs its retries and starts consuming once RabbitMQ is there", async () => {
    const amqpPort = await freePort();
    const service = npmStart("consumer-service", {
      AMQP_URL: `amqp://guest:guest@127.0.0.1:${amqpPort}/${encodeURIComponent(vhost.vhost)}`,
      DATA_DIR: tempDir("waiting-consumer"),
      LOG_LEVEL: "info",
    });
    let proxy: Server | undefined;
    try {
      await service.waitForOutput(/no RabbitMQ at .* yet; retrying in/, 60_000);
      proxy = await brokerAppearsOn(amqpPort);
      await service.waitForOutput(/consumer-service: consuming consumer_service\.commands/, 30_000);
      expect(service.output()).toMatch(/"msg":"broker: RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1/);
      expect(service.output()).not.toContain("in-process");
    } finally {
      await service.stop();
      proxy?.close();
    }
  }, 90_000);
});
