/**
 * `parley keys status | rotate | retire`: the server's key-encryption keys (KEKs) and
 * signing keys, offline on the server's database with the same config as `parley start`
 * (PARLEY_KMS, the key file or PARLEY_PKCS11_*). Servers keep running throughout: they
 * hold their data keys unwrapped and pick up rotated keys within
 * PARLEY_KEY_REFRESH_SECONDS (docs/operations.md, KMS and HSM).
 */
import type { KekStatus, RotatableSigningKey } from "@parley/server";
import { int, str, type Command, type Ctx } from "../command.ts";
import { UsageError } from "../errors.ts";
import { openOffline, type Offline } from "../offline.ts";
import { SERVER_OPTIONS, serverConfigFromFlags } from "../server-config.ts";

function open(ctx: Ctx): Promise<Offline> {
  return openOffline(serverConfigFromFlags(ctx.opts), ctx.env, (name) => ctx.out.note(`migrating database: applied ${name}`));
}

const when = (ms: number) => new Date(ms).toISOString();

function kekLine(k: KekStatus): string {
  const state = k.active ? "active " : k.held ? "old    " : "MISSING";
  const legacy = k.legacyValues ? `, ${k.legacyValues} older-format value(s)` : "";
  return `${state}  ${k.id}  ${k.source}  wraps ${k.dataKeys} data key(s)${legacy}`;
}

/** Retire what nothing references and say what stays (and why). */
async function retire(ctx: Ctx, db: Offline): Promise<{ retired: string[]; kept: KekStatus[] }> {
  const r = await db.server.retireKeks(db.deps);
  for (const id of r.retired) ctx.out.note(`retired KEK ${id}`);
  for (const k of r.kept) {
    const why =
      k.source !== db.deps.kms.keks.kind ? "it is in the key file used before the HSM: delete that file once nothing references it" : "still referenced";
    ctx.out.note(`kept KEK ${k.id}: ${why} (${k.dataKeys} data key(s), ${k.legacyValues} older-format value(s))`);
  }
  return r;
}

export const keysCommands: Command[] = [
  {
    name: ["keys", "status"],
    usage: "",
    summary: "Show the KMS (key file or HSM), its key-encryption keys and what each wraps, and the server's signing keys",
    options: { ...SERVER_OPTIONS },
    async run(ctx) {
      const db = await open(ctx);
      try {
        const [keks, status] = await Promise.all([db.server.kekStatus(db.deps), db.server.signingKeyStatus(db.deps)]);
        const signing = status.keys;
        const data = { kms: db.deps.kms.kind, where: db.deps.kms.keks.where, keks, signingKeys: signing, bindingsToResign: status.bindingsToResign };
        ctx.out.result(data, () => [
          `KMS: ${data.kms}, ${data.where}`,
          "Key-encryption keys:",
          ...keks.map((k) => `  ${kekLine(k)}`),
          "Signing keys:",
          ...signing.map(
            (s) =>
              `  ${s.state.padEnd(9)}  ${s.purpose.padEnd(15)}  ${s.id}  created ${when(s.createdAt)}${s.retiredAt !== null ? `  until ${when(s.retiredAt)}` : ""}`,
          ),
          ...(status.bindingsToResign
            ? [`${status.bindingsToResign} device bindings still to re-sign with the new directory key (a running server does it)`]
            : []),
        ]);
      } finally {
        await db.close();
      }
    },
  },
  {
    name: ["keys", "rotate"],
    usage: "[--retire-old] | --signing jwt|audit|directory [--overlap SECONDS]",
    summary: "Make a new key-encryption key and re-wrap every data key under it (no downtime); or rotate the JWT, audit or directory signing key",
    details: `Without --signing: a new KEK (a new first line of the key file, or a new AES key
object in the HSM token) becomes the one that wraps, and every data key is re-wrapped
under it, with progress. Running servers keep working: the old KEK still unwraps until
it is retired. Run it again to finish a rotation that stopped halfway.
  --retire-old       then destroy the old KEKs nothing references any more (or later:
                     \`parley keys retire\`, e.g. once every node has the new key file)

--signing jwt: a new access-token signing key signs from now on (other nodes switch
within PARLEY_KEY_REFRESH_SECONDS); the old one keeps verifying, and stays in the JWKS,
for --overlap SECONDS (default: the access-token lifetime + the refresh interval + 60).
--signing audit: a new audit checkpoint key; the old one still verifies old checkpoints.
--signing directory: a new device-directory key, signed by the old one so devices that
pinned the old key trust it; the old one keeps verifying device bindings for --overlap
SECONDS (default 86400) while a running server re-signs every binding with the new key
(\`parley keys status\` shows how many are left). The MLS external-sender key does not
rotate: every encrypted channel's group lists it.
Every rotation is recorded in each organisation's audit log.`,
    options: { ...SERVER_OPTIONS, "retire-old": { type: "boolean" }, signing: { type: "string" }, overlap: { type: "string" } },
    async run(ctx) {
      const signing = str(ctx.opts, "signing");
      const overlap = int(str(ctx.opts, "overlap"), "--overlap", 0);
      if (signing !== undefined && !["jwt", "audit", "directory"].includes(signing))
        throw new UsageError("--signing takes jwt, audit or directory (the MLS external-sender key does not rotate: every group lists it)");
      if (overlap !== undefined && signing !== "jwt" && signing !== "directory") throw new UsageError("--overlap goes with --signing jwt or directory");
      if (signing !== undefined && ctx.opts["retire-old"]) throw new UsageError("--retire-old goes with a KEK rotation, not --signing");
      const db = await open(ctx);
      try {
        if (signing !== undefined) {
          const r = await db.server.rotateSigningKey(db.deps, signing as RotatableSigningKey, overlap !== undefined ? { overlapSeconds: overlap } : {});
          ctx.out.result(
            r,
            signing === "jwt" || signing === "directory"
              ? `new ${signing} signing key ${r.id}; ${r.previous.join(", ") || "no previous key"} keeps verifying until ${when(r.verifiesUntil)}${signing === "directory" ? " (a running server re-signs every device binding meanwhile)" : ""}`
              : `new audit signing key ${r.id}; ${r.previous.join(", ") || "no previous key"} retired (it still verifies the checkpoints it signed)`,
          );
          return;
        }
        ctx.out.note(`KMS: ${db.deps.kms.keks.where}`);
        const r = await db.server.rotateKek(db.deps, {
          onProgress: (done, total) => {
            if (done === total || done % 100 === 0) ctx.out.note(`re-wrapped ${done}/${total} data keys`);
          },
        });
        const retired = ctx.opts["retire-old"] ? await retire(ctx, db) : undefined;
        ctx.out.result({ ...r, ...(retired ? { retired: retired.retired } : {}) }, [
          `new KEK ${r.kek} wraps every data key (${r.rewrapped} re-wrapped)`,
          ...(retired ? [] : [`the old KEK(s) ${r.previous.join(", ")} still unwrap: retire them with \`parley keys retire\` once every node has the new key`]),
        ]);
      } finally {
        await db.close();
      }
    },
  },
  {
    name: ["keys", "retire"],
    usage: "",
    summary: "Destroy the old key-encryption keys that no data key or sealed value references any more",
    options: { ...SERVER_OPTIONS },
    async run(ctx) {
      const db = await open(ctx);
      try {
        const r = await retire(ctx, db);
        ctx.out.result(r, r.retired.length ? `retired ${r.retired.length} KEK(s)` : "no KEK to retire");
      } finally {
        await db.close();
      }
    },
  },
];
