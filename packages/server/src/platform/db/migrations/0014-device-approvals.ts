/**
 * 0014: device approvals (issue 9, ADR 0007 "cross-signing"). A device's approval: the user
 * identity key's signature over the device and its MLS signature key, checked by the server
 * before it is stored and by every client that reads it. And the approval requests through
 * which an approved device hands the user's private keys to a new one: the server relays the
 * handshake's public keys and the sealed keys, and opens nothing.
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function deviceApprovals(ctx: MigrationContext): Migration {
  const bytes = sql.raw(ctx.bytes);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("device_approvals")
        .addColumn("device_id", "text", (c) => c.primaryKey().references("devices.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("signature", bytes, (c) => c.notNull())
        // The device that approved it, or null when the device approved itself (it holds the identity key).
        .addColumn("approved_by", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("device_approvals_user").on("device_approvals").columns(["org_id", "user_id"]).execute();
      await db.schema
        .createTable("approval_requests")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("device_id", "text", (c) => c.notNull().references("devices.id"))
        .addColumn("commitment", bytes, (c) => c.notNull())
        .addColumn("approver_device_id", "text")
        .addColumn("approver_key", bytes)
        .addColumn("device_key", bytes)
        .addColumn("sealed", bytes)
        // pending | accepted | revealed | approved | declined; "expired" is never stored (read from expires_at).
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
      // The user's open requests (listApprovalRequests), and a device's own (replaced on a new request).
      await db.schema.createIndex("approval_requests_user").on("approval_requests").columns(["user_id", "state", "expires_at"]).execute();
    },
  };
}
