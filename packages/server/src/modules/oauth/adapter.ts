/**
 * oidc-provider's storage on our database (Kysely: SQLite and PostgreSQL), one row per model
 * instance in `oauth_store`, keyed by (model, SHA-256 of the id): the ids of codes and opaque
 * tokens are the secrets themselves, so the table holds none in the clear. Every node reads
 * and writes the same rows, so any node can continue a flow another node started.
 *
 * Clients are not stored here: they are the org's registered apps (`oauth_apps`), read on
 * each lookup, so a deleted app stops working on every node at once.
 *
 * Issuing an access token writes its audit entry in the same transaction as the token row.
 */
import { errors, type Adapter } from "oidc-provider";
import type { Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { hashSecret } from "../../platform/ids.ts";
import { clientMetadata } from "./apps.ts";

type Payload = Record<string, unknown>;

/** Models whose id is a bearer secret and that are only ever found by it: stored without it. */
const SECRET_IDS: ReadonlySet<string> = new Set(["AccessToken", "AuthorizationCode", "RefreshToken"]);

/** The adapter class oidc-provider instantiates once per model name, bound to this server's deps. */
export function databaseAdapter(deps: Deps): new (name: string) => Adapter {
  return class DatabaseAdapter implements Adapter {
    readonly kind: string;
    constructor(name: string) {
      this.kind = name;
    }

    async upsert(id: string, payload: Payload, expiresIn: number | undefined): Promise<void> {
      const row = {
        kind: this.kind,
        id_hash: hashSecret(id),
        payload: JSON.stringify(SECRET_IDS.has(this.kind) ? { ...payload, jti: undefined } : payload),
        grant_id: typeof payload.grantId === "string" ? payload.grantId : null,
        uid: typeof payload.uid === "string" ? payload.uid : null,
        expires_at: expiresIn ? deps.now() + expiresIn * 1000 : null,
        consumed_at: null,
      };
      if (this.kind !== "AccessToken") {
        await deps.db
          .insertInto("oauth_store")
          .values(row)
          .onConflict((oc) =>
            oc.columns(["kind", "id_hash"]).doUpdateSet({ payload: row.payload, grant_id: row.grant_id, uid: row.uid, expires_at: row.expires_at }),
          )
          .execute();
        return;
      }
      // An access token is issued once: the row and its audit entry commit together.
      await runCommand(deps, null, "oauth.issueToken", async (tx, fx) => {
        const grant = row.grant_id ? await tx.selectFrom("oauth_grants").selectAll().where("id", "=", row.grant_id).executeTakeFirst() : undefined;
        if (!grant || grant.revoked_at !== null) throw new errors.InvalidGrant("the grant was revoked");
        await tx.insertInto("oauth_store").values(row).execute();
        fx.audit({
          orgId: grant.org_id,
          actor: { kind: "service_token", id: grant.app_id },
          action: "oauth.token.issued",
          target: { kind: "oauth_grant", id: grant.id },
          result: "success",
          details: { appId: grant.app_id, userId: grant.user_id, scopes: String(payload.scope ?? ""), expiresAt: row.expires_at },
        });
      });
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.kind === "Client") {
        const app = await deps.db.selectFrom("oauth_apps").selectAll().where("id", "=", id).where("deleted_at", "is", null).executeTakeFirst();
        return app ? clientMetadata(app) : undefined;
      }
      const row = await deps.db.selectFrom("oauth_store").selectAll().where("kind", "=", this.kind).where("id_hash", "=", hashSecret(id)).executeTakeFirst();
      const payload = row ? this.#payload(row) : undefined;
      return payload && SECRET_IDS.has(this.kind) ? { ...payload, jti: id } : payload;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const row = await deps.db.selectFrom("oauth_store").selectAll().where("kind", "=", this.kind).where("uid", "=", uid).executeTakeFirst();
      return row ? this.#payload(row) : undefined;
    }

    async findByUserCode(): Promise<Payload | undefined> {
      return undefined; // the device flow is off
    }

    /**
     * Mark a code or refresh token used. Conditional, so that of two nodes redeeming the same
     * code at once only one succeeds; the other gets invalid_grant.
     */
    async consume(id: string): Promise<void> {
      const r = await deps.db
        .updateTable("oauth_store")
        .set({ consumed_at: deps.now() })
        .where("kind", "=", this.kind)
        .where("id_hash", "=", hashSecret(id))
        .where("consumed_at", "is", null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new errors.InvalidGrant("grant request is invalid");
    }

    async destroy(id: string): Promise<void> {
      await deps.db.deleteFrom("oauth_store").where("kind", "=", this.kind).where("id_hash", "=", hashSecret(id)).execute();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await deps.db.deleteFrom("oauth_store").where("grant_id", "=", grantId).execute();
    }

    #payload(row: { payload: string; expires_at: number | null; consumed_at: number | null }): Payload | undefined {
      if (row.expires_at !== null && Number(row.expires_at) <= deps.now()) return undefined;
      const payload = JSON.parse(row.payload) as Payload;
      if (row.consumed_at !== null) payload.consumed = Math.floor(Number(row.consumed_at) / 1000);
      return payload;
    }
  };
}
