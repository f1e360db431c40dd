import { createServer } from "node:http";
import { errorBody } from "./errors.js";

/**
 * What the order service answers on its port while it waits for its broker (started alone, nothing answering at
 * AMQP_URL): `/health` 503 with the broker check down, everything else 503 `HTTP_UNAVAILABLE`, so no order is
 * accepted that could not be sent on. Closed once the broker answers and the real API takes the port.
 */
export async function serveUnavailable(options: {
  readonly port: number;
  readonly host: string;
  readonly waitingFor: string;
}): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const body =
      request.url === "/health"
        ? { ok: false, checks: { broker: false, transport: "amqp", waiting_for: options.waitingFor } }
        : errorBody("HTTP_UNAVAILABLE", `waiting for ${options.waitingFor}`);
    response.writeHead(503, { "content-type": "application/json; charset=utf-8", "retry-after": "5" });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
