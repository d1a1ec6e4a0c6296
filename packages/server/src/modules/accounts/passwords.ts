/**
 * Password hashing: argon2id with the OWASP Password Storage Cheat Sheet
 * parameters (19 MiB memory, 2 passes, 1 lane). Hashing runs on libuv's
 * thread pool, so it never blocks the event loop.
 */
import crypto from "node:crypto";
import { hash, verify, type Algorithm } from "@node-rs/argon2";

// Algorithm is an ambient const enum (not importable under isolatedModules); 2 = Argon2id.
const ARGON2ID = 2 as Algorithm;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spend the same work as a real verification when the user does not exist,
 * so response time does not reveal which usernames exist.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  dummy ??= hashPassword(crypto.randomBytes(18).toString("base64url"));
  await verifyPassword(await dummy, password);
  return false;
}
