/**
 * 0023: SAML 2.0 single sign-on (issue 10). SAML providers live in `sso_providers` (kind
 * "saml") beside the OIDC ones, with the SP's own signing key pair: the private key sealed
 * through platform/kms, the self-signed certificate in the clear (the SP metadata publishes
 * it). Assertion and LogoutRequest IDs that were acted on are kept until they expire, so a
 * replayed one is refused on every node. A SAML sign-in's state row keeps the AuthnRequest ID
 * in `sso_states.nonce` (it plays the nonce's part: the answer must name it); sessions (and the
 * one-time code on the way to them) remember the NameID, which single logout names.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function saml(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("sso_providers").addColumn("sp_private_key", "text").execute();
      await db.schema.alterTable("sso_providers").addColumn("sp_certificate", "text").execute();
      await db.schema
        .createTable("sso_saml_replay")
        .addColumn("provider_id", "text", (c) => c.notNull())
        .addColumn("message_id", "text", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("sso_saml_replay_pk", ["provider_id", "message_id"])
        .execute();
      await db.schema.createIndex("sso_saml_replay_expires").on("sso_saml_replay").columns(["expires_at"]).execute();
      await db.schema.alterTable("sso_codes").addColumn("name_id", "text").execute();
      await db.schema.alterTable("sso_codes").addColumn("name_id_format", "text").execute();
      await db.schema.alterTable("sessions").addColumn("sso_name_id", "text").execute();
      await db.schema.alterTable("sessions").addColumn("sso_name_id_format", "text").execute();
      await db.schema.createIndex("sessions_sso_name_id").on("sessions").columns(["sso_provider_id", "sso_name_id"]).execute();
    },
  };
}
