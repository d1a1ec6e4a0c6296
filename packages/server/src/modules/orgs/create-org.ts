/**
 * Creating an org and its first owner: used by first-run setup (HTTP), by
 * `parley admin bootstrap` (CLI, directly on the database) and by tests that
 * need a second org on one server.
 */
import { z } from "zod";
import { DisplayName, Email, Password, Slug, Username, type Org, type OrgRole, type User } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { validated } from "../../core/validate.ts";
import { checkPassword, DEFAULT_PASSWORD_POLICY } from "../accounts/password-policy.ts";
import { newId } from "../../platform/ids.ts";
import { hashPassword } from "../accounts/passwords.ts";
import { toOrg, toUser } from "../accounts/views.ts";

export interface NewOrgWithOwner {
  orgSlug: string;
  orgName: string;
  username: string;
  displayName: string;
  password: string;
  /** The owner's email address. */
  email?: string | undefined;
}

/** Insert a user row (password already hashed). */
export async function insertUser(
  tx: Tx,
  deps: Deps,
  a: { orgId: string; username: string; displayName: string; passwordHash: string; role: OrgRole; email?: string; kind?: "human" | "service" },
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
    email: a.email ?? null,
    status_text: null,
    avatar_version: null,
    password_changed_at: null,
    kind: a.kind ?? "human",
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
  const user = await insertUser(tx, deps, {
    orgId: org.id,
    username: a.username,
    displayName: a.displayName,
    passwordHash: a.passwordHash,
    role: "owner",
    ...(a.email ? { email: a.email } : {}),
  });
  return { org: toOrg(org), user };
}

/** Map unique violations on org slug / username to already_exists. */
export function mapUniqueViolation(err: unknown, message: string): unknown {
  return isUniqueViolation(err) ? new AppError("already_exists", message) : err;
}

const NewOrgSchema = z.object({
  orgSlug: Slug,
  orgName: DisplayName,
  username: Username,
  displayName: DisplayName,
  password: Password,
  email: Email.optional(),
});

/**
 * Create an org and its owner (no device or session: the owner signs in
 * afterwards). Validates its input itself because the CLI calls it directly.
 */
export async function createOrgWithOwner(deps: Deps, raw: NewOrgWithOwner): Promise<{ org: Org; user: User }> {
  const input = validated(NewOrgSchema, raw);
  checkNewOrgPassword(input);
  const passwordHash = await hashPassword(input.password);
  try {
    return await runCommand(deps, null, "orgs.createOrgWithOwner", (tx) => insertOrgWithOwner(tx, deps, { ...input, passwordHash }));
  } catch (err) {
    throw mapUniqueViolation(err, `an org with slug "${input.orgSlug}" already exists`);
  }
}

/** A new org has the default password policy: its owner's password must meet it. */
export function checkNewOrgPassword(input: Pick<NewOrgWithOwner, "password" | "username" | "orgSlug" | "orgName">): void {
  checkPassword(DEFAULT_PASSWORD_POLICY, input.password, { username: input.username, orgSlug: input.orgSlug, orgName: input.orgName });
}
