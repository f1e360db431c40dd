import http from "node:http";

/**
 * Places orders over keep-alive HTTP/1.1 connections with node:http. `fetch` (undici) costs the driver several times
 * more CPU per request, and the driver shares the machine's two cores with the system it measures.
 */
export class OrderDriver {
  readonly #agent: http.Agent;
  readonly #url: URL;

  constructor(baseUrl: string, connections: number) {
    this.#url = new URL("/orders", baseUrl);
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  }

  /** POSTs one order; resolves with its saga id. */
  place(order: unknown): Promise<number> {
    const body = JSON.stringify(order);
    return new Promise((resolve, reject) => {
      const request = http.request(
        this.#url,
        {
          method: "POST",
          agent: this.#agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (response.statusCode !== 202)
              return reject(new Error(`POST /orders: ${response.statusCode} ${text}`));
            resolve((JSON.parse(text) as { saga_id: number }).saga_id);
          });
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
