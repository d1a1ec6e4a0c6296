/**
 * Channel labels (issue 10): short tags such as "confidential" that org policies name
 * (`resource.labels.contains("confidential")`). Added by the channel's admins or org admins,
 * removed by org admins only (removing one may lift a policy);
 * DMs carry none. A change bumps the org's access version (gateways reload the channel
 * attributes they decide live frames with) and is audited.
 */
import type { ArchivePolicy, Channel } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { actorAllows } from "../access/authorize.ts";
import { bumpAccessVersion } from "../access/org-access.ts";
import { parseLabels } from "../access/labels.ts";
import { currentArchivePolicy } from "../compliance/archive.ts";
import { channelFor } from "./access.ts";
import { channelData, tellUsers } from "./notify.ts";
import { memberIds, toChannel } from "./store.ts";

export async function setChannelLabels(deps: Deps, p: DeviceActor, channelId: string, labels: string[]): Promise<Channel> {
  const next = [...new Set(labels)].sort();
  return runCommand(deps, p, "channels.setLabels", async (tx, fx) => {
    const ch = await channelFor(tx, p, channelId, "channel.manage");
    if (ch.row.kind === "dm" || ch.row.kind === "group_dm") throw new AppError("bad_request", "DMs and group DMs carry no labels");
    const before = parseLabels(ch.row.labels);
    // Labels carry the org's policies ("confidential"): a channel's admins may add them, but
    // taking one away would lift a policy, which is for the org's admins (channel.manage_any).
    const removed = before.filter((l) => !next.includes(l));
    if (removed.length > 0 && !actorAllows(p, "channel.manage_any")) {
      throw new AppError("forbidden", `only org admins may remove a label (${removed.join(", ")}): org policies may depend on it`);
    }
    // A label the compliance archive's signed scope names would take the channel out of the archive:
    // that is the compliance officers' decision, not the admins' (separation of duties, ADR 0008).
    const archive = removed.length > 0 ? await currentArchivePolicy(tx, p.orgId) : undefined;
    const archived = archive ? (JSON.parse(archive.policy) as ArchivePolicy).scope.labels.filter((l) => removed.includes(l)) : [];
    if (archived.length > 0 && !actorAllows(p, "org.manage_compliance")) {
      throw new AppError(
        "forbidden",
        `only compliance officers may remove ${archived.join(", ")}: the compliance archive covers channels labelled so, and removing it takes this channel out of the archive`,
      );
    }
    const row = { ...ch.row, labels: JSON.stringify(next) };
    const members = await memberIds(tx, channelId);
    if (before.join("\n") !== next.join("\n")) {
      await tx.updateTable("channels").set({ labels: row.labels }).where("id", "=", channelId).execute();
      await bumpAccessVersion(tx, fx, p.orgId);
      fx.audit({
        action: "channel.labels.set",
        target: { kind: "channel", id: channelId },
        result: "success",
        details: { channelId, labels: next, previous: before },
      });
      // Members' devices learn the labels at once: a label-scoped compliance archive may now cover the channel (ADR 0008).
      await tellUsers({ tx, after: fx, orgId: p.orgId, channelId, now: deps.now() }, members, "channel.updated", {
        ...channelData(toChannel(row, members.length)),
        by: p.userId,
      });
    }
    return toChannel(row, members.length);
  });
}
