/**
 * The compliance archive as the server sees it (issue 11, ADR 0008): it stores the officers'
 * signed policy (after checking the signature, org, version and signer), tells members when it
 * changes, keeps the history keys members' devices seal to the archive key, and serves
 * officers the sealed keys, the events' archive copies (also those a legal hold keeps) and the
 * attachments' ciphertext, auditing every read. It can open none of it. Which channels are
 * archived is computed from the signed scope (`archiveCovers`, shared with the devices, which
 * check the server's answer against their own).
 */
import type { Readable } from "node:stream";
import { archiveCovers, verifyArchivePolicy } from "@parley/crypto/public";
import type { ArchiveExport, ArchivedChannel, ArchivedEvent, ArchiveKeyEntry, ArchivePolicy, SignedArchivePolicy } from "@parley/protocol";
import type { Actor, Deps, DeviceActor } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { ArchivePoliciesTable } from "../../platform/db/compliance-tables.ts";
import { runCommand } from "../../command.ts";
import { actorRef } from "../../core/actor.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";
import { parseLabels } from "../access/labels.ts";
import { channelFor } from "../channels/access.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { requireCompliance } from "./holds.ts";

type Q = Tx | Deps["db"];
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));
const invalid = (reason: string, message: string) => new AppError("archive_policy_invalid", message, { reason });

function fieldsOf(p: ArchivePolicy) {
  return { ...p, archiveKey: bytes(p.archiveKey), signerKey: bytes(p.signerKey) };
}

const signedOf = (r: ArchivePoliciesTable): SignedArchivePolicy => ({ policy: JSON.parse(r.policy) as ArchivePolicy, signature: r.signature });

/** The org's current policy row, if any. */
export async function currentArchivePolicy(q: Q, orgId: string): Promise<ArchivePoliciesTable | undefined> {
  return q.selectFrom("archive_policies").selectAll().where("org_id", "=", orgId).orderBy("version", "desc").limit(1).executeTakeFirst();
}

/** Whether the current policy covers a channel (row with kind and labels). */
function covers(policy: ArchivePolicy | undefined, ch: { id: string; kind: string; labels?: string | undefined }): boolean {
  return policy !== undefined && archiveCovers(policy.scope, { id: ch.id, kind: ch.kind, labels: parseLabels(ch.labels) });
}

export async function getArchivePolicy(
  deps: Deps,
  p: DeviceActor,
): Promise<{ current: SignedArchivePolicy | null; storedAt: number | null; archivedChannelIds: string[] }> {
  const row = await currentArchivePolicy(deps.db, p.orgId);
  if (!row) return { current: null, storedAt: null, archivedChannelIds: [] };
  const signed = signedOf(row);
  const mine = await deps.db
    .selectFrom("channel_members as m")
    .innerJoin("channels as c", "c.id", "m.channel_id")
    .select(["c.id", "c.kind", "c.labels"])
    .where("m.user_id", "=", p.userId)
    .execute();
  return {
    current: signed,
    storedAt: Number(row.created_at),
    archivedChannelIds: mine
      .filter((c) => covers(signed.policy, c))
      .map((c) => c.id)
      .sort(),
  };
}

export async function setArchivePolicy(deps: Deps, p: Actor, signed: SignedArchivePolicy): Promise<SignedArchivePolicy> {
  requireCompliance(p);
  const { policy } = signed;
  if (policy.orgId !== p.orgId) throw invalid("org", "the policy names another organisation");
  if (!verifyArchivePolicy(fieldsOf(policy), bytes(signed.signature))) throw invalid("signature", "the policy's signature does not verify with its signer key");
  return runCommand(deps, p, "compliance.setArchivePolicy", async (tx, fx) => {
    const prev = await currentArchivePolicy(tx, p.orgId);
    const next = prev ? Number(prev.version) + 1 : 1;
    if (policy.version !== next) throw invalid("version", `the policy's version must be ${next}, it is ${policy.version}`);
    if (prev && prev.signer_key !== policy.signerKey) {
      throw invalid("signer", "the policy is signed by another key than the current one: devices would refuse it (they pin the signer key)");
    }
    const now = deps.now();
    await tx
      .insertInto("archive_policies")
      .values({
        org_id: p.orgId,
        version: policy.version,
        policy: JSON.stringify(policy),
        signature: signed.signature,
        signer_key: policy.signerKey,
        created_by: actorRef(p),
        created_at: now,
      })
      .execute();
    fx.audit({
      action: "archive.policy.set",
      target: { kind: "org", id: p.orgId },
      result: "success",
      details: { version: policy.version, name: policy.name, scope: policy.scope, archiveKey: policy.archiveKey, signerKey: policy.signerKey },
    });
    // Every member's devices fetch and check the new policy (durable: also those offline now).
    const users = await tx.selectFrom("users").select("id").where("org_id", "=", p.orgId).where("deactivated_at", "is", null).execute();
    for (const u of users) {
      await appendUserStream(tx, fx, { orgId: p.orgId, userId: u.id, kind: "archive.policy", channelId: null, data: { version: policy.version }, now });
    }
    return signed;
  });
}

export async function appendArchiveKeys(
  deps: Deps,
  p: DeviceActor,
  channelId: string,
  body: { policyVersion: number; entries: { generation: number; fromEpoch: number; toEpoch: number; sealed: string }[] },
): Promise<{ stored: number }> {
  return runCommand(deps, p, "compliance.appendArchiveKeys", async (tx) => {
    const ch = await channelFor(tx, p, channelId, "channel.read");
    const row = await currentArchivePolicy(tx, p.orgId);
    if (!row || !covers(signedOf(row).policy, ch.row)) throw new AppError("not_archived", "this channel is not under the org's compliance archive");
    if (Number(row.version) !== body.policyVersion)
      throw invalid("stale_version", `the keys were sealed under archive policy ${body.policyVersion}; the current one is ${row.version}`);
    const now = deps.now();
    let stored = 0;
    for (const e of body.entries) {
      const res = await tx
        .insertInto("archive_key_entries")
        .values({
          id: newId("ark"),
          org_id: p.orgId,
          channel_id: channelId,
          generation: e.generation,
          from_epoch: e.fromEpoch,
          to_epoch: e.toEpoch,
          sealed: bytes(e.sealed),
          policy_version: body.policyVersion,
          user_id: p.userId,
          device_id: p.deviceId,
          created_at: now,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      stored += Number(res.numInsertedOrUpdatedRows ?? 0);
    }
    return { stored };
  });
}

/** A channel of the officer's org (any channel: officers need not be members). */
async function orgChannel(q: Q, orgId: string, channelId: string): Promise<void> {
  const ch = await q.selectFrom("channels").select("id").where("org_id", "=", orgId).where("id", "=", channelId).executeTakeFirst();
  if (!ch) throw notFound("channel");
}

/** Record an officer's read of archive material in the audit log (in its own command). */
function auditRead(deps: Deps, p: Actor, action: string, target: { kind: string; id: string }, details: Record<string, string | number>): Promise<void> {
  return runCommand(deps, p, `compliance.${action}`, async (_tx, fx) => fx.audit({ action, target, result: "success", details }));
}

/**
 * The channels an export can cover: those the current policy covers, and those holding keys
 * sealed under an earlier scope (their archive copies stay readable), with their members.
 */
export async function listArchivedChannels(deps: Deps, p: Actor): Promise<{ channels: ArchivedChannel[] }> {
  requireCompliance(p);
  const row = await currentArchivePolicy(deps.db, p.orgId);
  const policy = row ? signedOf(row).policy : undefined;
  const batches = await deps.db
    .selectFrom("archive_key_entries")
    .select(["channel_id", (eb) => eb.fn.countAll<number | string>().as("n")])
    .where("org_id", "=", p.orgId)
    .groupBy("channel_id")
    .execute();
  const keyed = new Map(batches.map((b) => [b.channel_id, Number(b.n)]));
  const rows = await deps.db
    .selectFrom("channels")
    .select(["id", "name", "kind", "labels"])
    .where("org_id", "=", p.orgId)
    .orderBy("name")
    .orderBy("id")
    .execute();
  const picked = rows.filter((c) => covers(policy, c) || keyed.has(c.id));
  const members = picked.length
    ? await deps.db
        .selectFrom("channel_members")
        .select(["channel_id", "user_id"])
        .where(
          "channel_id",
          "in",
          picked.map((c) => c.id),
        )
        .execute()
    : [];
  await auditRead(deps, p, "archive.channels.read", { kind: "org", id: p.orgId }, { channels: picked.length });
  return {
    channels: picked.map((c) => ({
      id: c.id,
      name: c.name,
      kind: c.kind,
      labels: parseLabels(c.labels),
      covered: covers(policy, c),
      keyBatches: keyed.get(c.id) ?? 0,
      memberIds: members
        .filter((m) => m.channel_id === c.id)
        .map((m) => m.user_id)
        .sort(),
    })),
  };
}

export async function listArchiveKeys(deps: Deps, p: Actor, channelId: string): Promise<{ entries: ArchiveKeyEntry[] }> {
  requireCompliance(p);
  await orgChannel(deps.db, p.orgId, channelId);
  const rows = await deps.db
    .selectFrom("archive_key_entries")
    .selectAll()
    .where("channel_id", "=", channelId)
    .orderBy("generation")
    .orderBy("from_epoch")
    .execute();
  await auditRead(deps, p, "archive.keys.read", { kind: "channel", id: channelId }, { channelId, entries: rows.length });
  return {
    entries: rows.map((r) => ({
      id: r.id,
      channelId: r.channel_id,
      generation: Number(r.generation),
      fromEpoch: Number(r.from_epoch),
      toEpoch: Number(r.to_epoch),
      sealed: Buffer.from(r.sealed).toString("base64"),
      policyVersion: Number(r.policy_version),
      userId: r.user_id,
      deviceId: r.device_id,
      createdAt: Number(r.created_at),
    })),
  };
}

const EVENT_COLUMNS = [
  "id",
  "seq",
  "client_id",
  "sender_id",
  "sender_device_id",
  "kind",
  "epoch",
  "generation",
  "archive",
  "thread_root",
  "target",
  "files",
  "created_at",
] as const;

export async function listArchiveEvents(
  deps: Deps,
  p: Actor,
  channelId: string,
  after: number,
  limit: number,
): Promise<{ events: ArchivedEvent[]; hasMore: boolean }> {
  requireCompliance(p);
  await orgChannel(deps.db, p.orgId, channelId);
  const [live, held] = await Promise.all(
    (["events", "held_events"] as const).map((table) =>
      deps.db
        .selectFrom(table)
        .select([...EVENT_COLUMNS])
        .where("channel_id", "=", channelId)
        .where("seq", ">", after)
        .orderBy("seq")
        .limit(limit + 1)
        .execute(),
    ),
  );
  const merged = [...live!.map((r) => ({ r, held: false })), ...held!.map((r) => ({ r, held: true }))].sort((a, b) => Number(a.r.seq) - Number(b.r.seq));
  const page = merged.slice(0, limit);
  await auditRead(deps, p, "archive.events.read", { kind: "channel", id: channelId }, { channelId, after, returned: page.length });
  return {
    hasMore: merged.length > limit,
    events: page.map(({ r, held: h }) => ({
      id: r.id,
      seq: Number(r.seq),
      clientId: r.client_id,
      senderId: r.sender_id,
      senderDeviceId: r.sender_device_id,
      kind: r.kind,
      epoch: Number(r.epoch),
      generation: Number(r.generation ?? 0),
      archive: r.archive ? Buffer.from(r.archive).toString("base64") : null,
      threadRoot: r.thread_root === null ? null : Number(r.thread_root),
      target: r.target === null ? null : Number(r.target),
      files: JSON.parse(r.files ?? "[]") as string[],
      createdAt: Number(r.created_at),
      held: h,
    })),
  };
}

/** An attachment's ciphertext for an export: a live file, or one a legal hold keeps after its deletion. */
export async function openArchiveFile(deps: Deps, p: Actor, fileId: string): Promise<{ stream: Readable; size: number }> {
  requireCompliance(p);
  const file = await deps.db
    .selectFrom("files as f")
    .leftJoin("held_files as h", "h.file_id", "f.id")
    .select(["f.id", "f.channel_id", "f.size", "f.completed_at", "f.deleted_at", "h.file_id as held"])
    .where("f.org_id", "=", p.orgId)
    .where("f.id", "=", fileId)
    .executeTakeFirst();
  if (!file || file.completed_at === null || (file.deleted_at !== null && !file.held)) throw notFound("file");
  await auditRead(deps, p, "archive.file.read", { kind: "file", id: fileId }, { channelId: file.channel_id, held: file.held ? 1 : 0 });
  try {
    return { stream: await deps.blobs.read(fileId), size: Number(file.size) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw notFound("file");
    throw err;
  }
}

export async function recordArchiveExport(deps: Deps, p: DeviceActor, input: Omit<ArchiveExport, "id" | "by" | "createdAt">): Promise<ArchiveExport> {
  requireCompliance(p);
  return runCommand(deps, p, "compliance.recordArchiveExport", async (tx, fx) => {
    for (const id of input.channelIds) await orgChannel(tx, p.orgId, id);
    if (input.userId) {
      const u = await tx.selectFrom("users").select("id").where("org_id", "=", p.orgId).where("id", "=", input.userId).executeTakeFirst();
      if (!u) throw notFound("user");
    }
    const out: ArchiveExport = { ...input, id: newId("exp"), by: p.userId, createdAt: deps.now() };
    await tx
      .insertInto("archive_exports")
      .values({
        id: out.id,
        org_id: p.orgId,
        by_user: out.by,
        created_at: out.createdAt,
        channel_ids: JSON.stringify(out.channelIds),
        user_id: out.userId,
        from_at: out.from,
        to_at: out.to,
        items: out.items,
        attachments: out.attachments,
        manifest_sha256: out.manifestSha256,
        signer_fingerprint: out.signerFingerprint,
      })
      .execute();
    fx.audit({
      action: "archive.exported",
      target: { kind: "org", id: p.orgId },
      result: "success",
      details: { exportId: out.id, channelIds: out.channelIds, items: out.items, attachments: out.attachments, manifestSha256: out.manifestSha256 },
    });
    return out;
  });
}

export async function listArchiveExports(deps: Deps, p: Actor): Promise<{ exports: ArchiveExport[] }> {
  requireCompliance(p);
  const rows = await deps.db.selectFrom("archive_exports").selectAll().where("org_id", "=", p.orgId).orderBy("created_at", "desc").limit(500).execute();
  return {
    exports: rows.map((r) => ({
      id: r.id,
      by: r.by_user,
      createdAt: Number(r.created_at),
      channelIds: JSON.parse(r.channel_ids) as string[],
      userId: r.user_id,
      from: r.from_at === null ? null : Number(r.from_at),
      to: r.to_at === null ? null : Number(r.to_at),
      items: Number(r.items),
      attachments: Number(r.attachments),
      manifestSha256: r.manifest_sha256,
      signerFingerprint: r.signer_fingerprint,
    })),
  };
}
