/**
 * Creating an org and its first owner: used by first-run setup (HTTP), by
 * `parley admin bootstrap` (CLI, directly on the database) and by tests that
 * need a second org on one server.
 */
import { z } from "zod";
import { DisplayName, Password, Slug, Username, type Org, type OrgRole, type User } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";
import { hashPassword } from "../accounts/passwords.ts";
import { toOrg, toUser } from "../accounts/views.ts";

export interface NewOrgWithOwner {
  orgSlug: string;
  orgName: string;
  username: string;
  displayName: string;
  password: string;
}

/** Insert a user row (password already hashed). */
export async function insertUser(
  tx: Tx,
  deps: Deps,
  a: { orgId: string; username: string; displayName: string; passwordHash: string; role: OrgRole },
): Promise<User> {
  const row = {
    id: newId("usr"),
    org_id: a.orgId,
    username: a.username,
    display_name: a.displayName,
    password_hash: a.passwordHash,
    role: a.role,
    deactivated_at: null,
    created_at: deps.now(),
    stream_seq: 0,
  };
  await tx.insertInto("users").values(row).execute();
  return toUser(row);
}

/** Insert org + owner inside `tx`. A taken slug surfaces as a unique violation. */
export async function insertOrgWithOwner(
  tx: Tx,
  deps: Deps,
  a: Omit<NewOrgWithOwner, "password"> & { passwordHash: string },
): Promise<{ org: Org; user: User }> {
  const org = { id: newId("org"), slug: a.orgSlug, name: a.orgName, settings: "{}", created_at: deps.now() };
  await tx.insertInto("orgs").values(org).execute();
  const user = await insertUser(tx, deps, { orgId: org.id, username: a.username, displayName: a.displayName, passwordHash: a.passwordHash, role: "owner" });
  return { org: toOrg(org), user };
}

/** Map unique violations on org slug / username to already_exists. */
export function mapUniqueViolation(err: unknown, message: string): unknown {
  return isUniqueViolation(err) ? new AppError("already_exists", message) : err;
}

/** Parse command input with a protocol schema (the CLI bypasses the HTTP validation). */
export function validated<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path, message: i.message, code: i.code }));
    throw new AppError("validation_failed", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), { issues });
  }
  return parsed.data;
}

const NewOrgSchema = z.object({ orgSlug: Slug, orgName: DisplayName, username: Username, displayName: DisplayName, password: Password });

/**
 * Create an org and its owner (no device or session: the owner signs in
 * afterwards). Validates its input itself because the CLI calls it directly.
 */
export async function createOrgWithOwner(deps: Deps, raw: NewOrgWithOwner): Promise<{ org: Org; user: User }> {
  const input = validated(NewOrgSchema, raw);
  const passwordHash = await hashPassword(input.password);
  try {
    return await runCommand(deps, null, "orgs.createOrgWithOwner", (tx) => insertOrgWithOwner(tx, deps, { ...input, passwordHash }));
  } catch (err) {
    throw mapUniqueViolation(err, `an org with slug "${input.orgSlug}" already exists`);
  }
}
