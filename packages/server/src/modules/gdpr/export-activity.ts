/**
 * The activity half of a data-subject export: channel memberships and read positions, the
 * metadata of the events the user sent (never their ciphertext), uploads, invites, the
 * per-user stream, audit entries about them with their own personal data opened, and their
 * data-subject requests.
 */
import type { Deps } from "../../context.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { ERASED, piiReader } from "../audit/pii.ts";

type Db = Deps["db"];
const ms = (v: number | null | undefined) => (v === null || v === undefined ? null : Number(v));
const json = (text: string | null | undefined): unknown => (text ? JSON.parse(text) : null);
/** One JSON document per line. */
const jsonl = (rows: readonly unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join("");

/** channels.json: memberships with the channel's name, role, join time and read position; readers' restrictions; mapping grants. */
export async function channelsFile(db: Db, u: UsersTable) {
  const rows = await db
    .selectFrom("channel_members as m")
    .innerJoin("channels as c", "c.id", "m.channel_id")
    .select(["c.id", "c.kind", "c.name", "c.dm_key", "c.archived_at", "m.role", "m.joined_at", "m.read_seq", "c.last_seq"])
    .where("m.org_id", "=", u.org_id)
    .where("m.user_id", "=", u.id)
    .orderBy("c.name")
    .execute();
  // DMs have no name: who they are with (usernames the user sees in the app anyway).
  const others = [...new Set(rows.flatMap((r) => (r.dm_key ? r.dm_key.split(",") : [])).filter((id) => id !== u.id))];
  const names = new Map<string, string>();
  if (others.length)
    for (const x of await db.selectFrom("users").select(["id", "username"]).where("org_id", "=", u.org_id).where("id", "in", others).execute())
      names.set(x.id, x.username);
  const [restrictions, scim, ldap, sso, created] = await Promise.all([
    db
      .selectFrom("channel_restrictions")
      .select(["channel_id", "role", "set_by", "set_at"])
      .where("org_id", "=", u.org_id)
      .where("user_id", "=", u.id)
      .execute(),
    db.selectFrom("scim_channel_grants").select(["channel_id", "created_at"]).where("org_id", "=", u.org_id).where("user_id", "=", u.id).execute(),
    db.selectFrom("ldap_channel_grants").select(["channel_id", "created_at"]).where("org_id", "=", u.org_id).where("user_id", "=", u.id).execute(),
    db
      .selectFrom("sso_channel_grants")
      .select(["channel_id", "provider_id", "created_at"])
      .where("org_id", "=", u.org_id)
      .where("user_id", "=", u.id)
      .execute(),
    db.selectFrom("channels").select(["id", "kind", "name", "created_at"]).where("org_id", "=", u.org_id).where("created_by", "=", u.id).execute(),
  ]);
  return {
    memberships: rows.map((r) => ({
      channelId: r.id,
      kind: r.kind,
      name: r.name,
      with: r.dm_key
        ? r.dm_key
            .split(",")
            .filter((id) => id !== u.id)
            .map((id) => names.get(id) ?? id)
        : undefined,
      archived: r.archived_at !== null,
      role: r.role,
      joinedAt: ms(r.joined_at),
      readUpTo: Number(r.read_seq),
      channelLastSeq: Number(r.last_seq),
    })),
    channelsCreated: created.map((c) => ({ channelId: c.id, kind: c.kind, name: c.name, createdAt: ms(c.created_at) })),
    restrictions: restrictions.map((r) => ({ channelId: r.channel_id, role: r.role, setBy: r.set_by, setAt: ms(r.set_at) })),
    grantedByMappings: [
      ...scim.map((g) => ({ channelId: g.channel_id, by: "scim", at: ms(g.created_at) })),
      ...ldap.map((g) => ({ channelId: g.channel_id, by: "ldap", at: ms(g.created_at) })),
      ...sso.map((g) => ({ channelId: g.channel_id, by: `sso:${g.provider_id}`, at: ms(g.created_at) })),
    ],
  };
}

/** events-sent.jsonl: one line per event the user sent — metadata only; the content is end-to-end encrypted. */
export async function sentEventsFile(db: Db, u: UsersTable): Promise<string> {
  const rows = await db
    .selectFrom("events as e")
    .innerJoin("channels as c", "c.id", "e.channel_id")
    .select(["e.channel_id", "e.seq", "e.id", "e.kind", "e.sender_device_id", "e.thread_root", "e.target", "e.mentions", "e.files", "e.created_at"])
    .where("c.org_id", "=", u.org_id)
    .where("e.sender_id", "=", u.id)
    .orderBy("e.created_at")
    .orderBy("e.seq")
    .execute();
  return jsonl(
    rows.map((e) => ({
      channelId: e.channel_id,
      seq: Number(e.seq),
      id: e.id,
      kind: e.kind,
      deviceId: e.sender_device_id,
      threadRoot: e.thread_root === null ? null : Number(e.thread_root),
      target: e.target === null ? null : Number(e.target),
      mentions: json(e.mentions),
      files: json(e.files ?? "[]"),
      createdAt: ms(e.created_at),
    })),
  );
}

/** uploads.json: attachments the user uploaded (sizes of ciphertext; names and keys are only inside messages). */
export async function uploadsFile(db: Db, u: UsersTable) {
  const rows = await db.selectFrom("files").selectAll().where("org_id", "=", u.org_id).where("uploader_id", "=", u.id).orderBy("created_at").execute();
  return rows.map((f) => ({
    id: f.id,
    channelId: f.channel_id,
    ciphertextBytes: Number(f.size),
    uploadedBytes: Number(f.uploaded),
    messageSeq: f.event_seq === null ? null : Number(f.event_seq),
    createdAt: ms(f.created_at),
    completedAt: ms(f.completed_at),
    deletedAt: ms(f.deleted_at),
  }));
}

/** mentions and invites: counts and the invites the user made (never the invitee's address, which is theirs). */
export async function othersFile(db: Db, u: UsersTable) {
  const [mentions, invites] = await Promise.all([
    db
      .selectFrom("mentions as m")
      .innerJoin("channels as c", "c.id", "m.channel_id")
      .select(["m.channel_id", "m.seq"])
      .where("c.org_id", "=", u.org_id)
      .where("m.user_id", "=", u.id)
      .orderBy("m.channel_id")
      .orderBy("m.seq")
      .execute(),
    db.selectFrom("invites").selectAll().where("org_id", "=", u.org_id).where("created_by", "=", u.id).orderBy("created_at").execute(),
  ]);
  return {
    mentionsOfYou: mentions.map((m) => ({ channelId: m.channel_id, seq: Number(m.seq) })),
    invitesYouMade: invites.map((i) => ({
      id: i.id,
      role: i.role,
      maxUses: Number(i.max_uses),
      uses: Number(i.uses),
      emailed: i.email !== null,
      createdAt: ms(i.created_at),
      expiresAt: ms(i.expires_at),
      revokedAt: ms(i.revoked_at),
    })),
  };
}

/** notifications.jsonl: the user's per-user stream (membership changes, device events, Welcome notices: ids and names). */
export async function streamFile(db: Db, u: UsersTable): Promise<string> {
  const rows = await db.selectFrom("user_stream").selectAll().where("user_id", "=", u.id).orderBy("seq").execute();
  return jsonl(rows.map((r) => ({ seq: Number(r.seq), kind: r.kind, channelId: r.channel_id, data: json(r.data), createdAt: ms(r.created_at) })));
}

/**
 * audit.jsonl: entries where the user acted, is the target (or one of their devices is), or
 * whose personal data is theirs. Personal data is opened only when it is theirs: an entry about
 * them that holds someone else's (an admin's address) says so and withholds it (Art. 15(4)).
 */
export async function auditFile(deps: Deps, u: UsersTable): Promise<{ text: string; entries: number }> {
  const devices = (await deps.db.selectFrom("devices").select("id").where("user_id", "=", u.id).execute()).map((d) => d.id);
  const targets = [u.id, ...devices];
  const rows = await deps.db
    .selectFrom("audit_log")
    .select(["seq", "at", "actor_kind", "actor_id", "actor_device_id", "action", "target_kind", "target_id", "result", "details", "pii_subject", "pii", "hash"])
    .where("org_id", "=", u.org_id)
    .where((eb) => eb.or([eb("actor_id", "=", u.id), eb("target_id", "in", targets), eb("pii_subject", "=", u.id)]))
    .orderBy("seq")
    .execute();
  const reader = piiReader(deps.db, deps.kms, u.org_id);
  const lines: unknown[] = [];
  try {
    for (const r of rows) {
      // Legal holds on the person stay confidential (Art. 23(1)(f) / (j): the protection of judicial
      // proceedings and the enforcement of civil claims): entries placing, releasing or enforcing
      // one are left out, unless the person acted themselves (an officer's own actions).
      if (r.actor_id !== u.id && (r.action.startsWith("legal_hold.") || r.action === "gdpr.erase.refused")) continue;
      let personal: unknown = null;
      if (r.pii_subject !== null && r.pii !== null) {
        if (r.pii_subject !== u.id) personal = { status: "withheld", reason: "another person's data" };
        else {
          try {
            const data = await reader.read(r.pii_subject, r.pii);
            personal = data === ERASED ? { status: "erased" } : { status: "clear", data };
          } catch {
            personal = { status: "unreadable" };
          }
        }
      }
      lines.push({
        seq: Number(r.seq),
        at: ms(r.at),
        actor: { kind: r.actor_kind, userId: r.actor_id, deviceId: r.actor_device_id },
        action: r.action,
        target: r.target_kind === null ? null : { kind: r.target_kind, id: r.target_id },
        result: r.result,
        details: JSON.parse(r.details) as unknown,
        personal,
        hash: r.hash,
      });
    }
  } finally {
    reader.close();
  }
  return { text: jsonl(lines), entries: lines.length };
}

/** requests.json: the user's data-subject requests and earlier exports. */
export async function requestsFile(db: Db, u: UsersTable) {
  const rows = await db.selectFrom("gdpr_requests").selectAll().where("org_id", "=", u.org_id).where("user_id", "=", u.id).orderBy("requested_at").execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    requestedBy: r.requested_by,
    requestedAt: ms(r.requested_at),
    note: r.note,
    decidedBy: r.decided_by,
    decidedAt: ms(r.decided_at),
    response: r.response,
  }));
}
