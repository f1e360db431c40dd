import type { Harness } from "../harness.js";

/** One kind of fault, injected many times while orders flow; the invariants are checked after it. */
export interface Scenario {
  readonly name: string;
  run(h: Harness): Promise<void>;
}

/** A whole number in [min, max]. */
export const randomBetween = (min: number, max: number): number =>
  min + Math.floor(Math.random() * (max - min + 1));
