// SCAFFOLD: replaced by the real gateway.
import type { Server } from "node:http";
import type { Deps } from "../context.ts";
export interface Gateway { attach(server: Server): void; drain(): Promise<void>; connectionCount(): number }
export function createGateway(_deps: Deps): Gateway {
  return { attach() {}, async drain() {}, connectionCount: () => 0 };
}
