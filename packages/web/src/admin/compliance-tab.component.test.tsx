import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Channel, ChannelRetention, LegalHold, OrgRetention, RetentionRun } from "@parley/protocol";
import { ParleyError } from "@parley/sdk";
import { chatFixture, user, type ChatFixture } from "../testing/chat-fixture.tsx";
import type { Command } from "../worker/protocol.ts";
import { AdminConsole } from "../components/admin/admin-console.tsx";
import { ComplianceTab } from "./compliance-tab.tsx";
import { parseMatter, parsePeriod, runState } from "./retention-periods.ts";

const owner = user("u-me", "me", "Me Myself", { role: "owner" });
const bob = user("u-bob", "bob", "Bob Builder");
const T0 = Date.UTC(2026, 0, 15, 9, 30);

const channel = (id: string, name: string): Channel & { joined: boolean } => ({
  id,
  orgId: "org-1",
  kind: "public",
  name,
  topic: "",
  archived: false,
  createdBy: owner.id,
  createdAt: T0,
  lastSeq: 0,
  memberCount: 2,
  epoch: 1,
  history: "shared",
  labels: [],
  retentionFloor: 0,
  joined: true,
});

const hold = (over: Partial<LegalHold> = {}): LegalHold => ({
  id: "hold-1",
  matter: "SEC inquiry 2026-14",
  scope: "user",
  targetId: bob.id,
  targetName: "bob",
  note: "custodian",
  createdBy: owner.id,
  createdAt: T0,
  releasedBy: null,
  releasedAt: null,
  ...over,
});

type Stored = { org: OrgRetention; channels: ChannelRetention[]; lastRun: RetentionRun | null };

/** The server's side of the tab: retention, channels, holds; every write recorded. */
function serve(f: ChatFixture, stored: Stored, holds: LegalHold[] = []) {
  const writes: Array<[string, unknown]> = [];
  const input = (cmd: Command) =>
    (cmd as Extract<Command, { op: "api" }>).input as { params?: Record<string, string>; body?: unknown; query?: Record<string, string> };
  f.worker.answers.set("api:getRetention", () => structuredClone(stored));
  f.worker.answers.set("api:browseChannels", { channels: [channel("ch-1", "general"), channel("ch-2", "records")] });
  f.worker.answers.set("api:listChannels", { channels: [] });
  f.worker.answers.set("api:setRetention", (cmd: Command) => {
    writes.push(["setRetention", input(cmd).body]);
    stored.org = input(cmd).body as OrgRetention;
    return stored.org;
  });
  f.worker.answers.set("api:setChannelRetention", (cmd: Command) => {
    const { params, body } = input(cmd);
    writes.push(["setChannelRetention", { ...params, ...(body as object) }]);
    const row = {
      channelId: params!.channelId!,
      channelName: params!.channelId === "ch-2" ? "records" : "general",
      updatedAt: T0,
      ...(body as { eventsDays: number | null; filesDays: number | null }),
    };
    stored.channels = [...stored.channels.filter((c) => c.channelId !== row.channelId), row];
    return row;
  });
  f.worker.answers.set("api:clearChannelRetention", (cmd: Command) => {
    writes.push(["clearChannelRetention", input(cmd).params]);
    stored.channels = stored.channels.filter((c) => c.channelId !== input(cmd).params!.channelId);
    return null;
  });
  f.worker.answers.set("api:listHolds", (cmd: Command) => {
    const status = input(cmd).query!.status;
    writes.push(["listHolds", status]);
    return { holds: holds.filter((h) => status === "all" || (status === "active") === (h.releasedAt === null)) };
  });
  f.worker.answers.set("api:createHold", (cmd: Command) => {
    writes.push(["createHold", input(cmd).body]);
    const b = input(cmd).body as { matter: string; scope: "user" | "channel"; targetId: string; note: string };
    if (holds.some((h) => h.releasedAt === null && h.matter === b.matter && h.targetId === b.targetId))
      return new ParleyError({ code: "already_exists", status: 409, message: "already held" });
    const h = hold({ id: `hold-${holds.length + 1}`, ...b, targetName: b.scope === "user" ? "bob" : "records", createdAt: T0 + 60_000 });
    holds.push(h);
    return h;
  });
  f.worker.answers.set("api:releaseHold", (cmd: Command) => {
    const { params, body } = input(cmd);
    writes.push(["releaseHold", { ...params, ...(body as object) }]);
    const h = holds.find((x) => x.id === params!.holdId)!;
    Object.assign(h, { releasedAt: T0 + 120_000, releasedBy: owner.id });
    return h;
  });
  return writes;
}

describe("Compliance tab", () => {
  test("the policy form waits for the stored policy, then saves days or forever; a bad period is refused in the form", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stored: Stored = { org: { eventsDays: 365, filesDays: null, auditDays: 2555 }, channels: [], lastRun: null };
    const writes = serve(f, stored);
    f.worker.answers.set(
      "api:getRetention",
      gate.then(() => structuredClone(stored)),
    );
    f.render(<ComplianceTab />);
    const form = screen.getByRole("form", { name: "Organisation retention policy" });
    const messages = within(within(form).getByRole("group", { name: "Messages" })).getByRole("spinbutton", { name: "Days" });
    expect((messages as HTMLInputElement).disabled, "no edits before the stored policy arrived").toBe(true);
    release();
    await waitFor(() => expect((messages as HTMLInputElement).value).toBe("365"));
    const attachments = within(form).getByRole("group", { name: "Attachments" });
    expect((within(attachments).getByRole("checkbox", { name: "Keep forever" }) as HTMLInputElement).checked).toBe(true);
    expect((within(attachments).getByRole("spinbutton", { name: "Days" }) as HTMLInputElement).disabled).toBe(true);
    const save = within(form).getByRole("button", { name: "Save retention policy" });
    expect((save as HTMLButtonElement).disabled, "nothing changed yet").toBe(true);

    const u = userEvent.setup();
    await u.clear(messages);
    await u.type(messages, "0");
    await u.click(save);
    expect((await within(form).findByRole("alert")).textContent).toMatch(/Messages: a whole number of days from 1 to 36,500/);
    expect(writes.filter(([w]) => w === "setRetention")).toEqual([]);

    await u.clear(messages);
    await u.type(messages, "30");
    await u.click(within(attachments).getByRole("checkbox", { name: "Keep forever" }));
    await u.type(within(attachments).getByRole("spinbutton", { name: "Days" }), "90");
    await u.click(within(within(form).getByRole("group", { name: "Audit log" })).getByRole("checkbox", { name: "Keep forever" }));
    await u.click(save);
    await within(form).findByText("Saved. The next run applies it.");
    expect(writes.filter(([w]) => w === "setRetention")).toEqual([["setRetention", { eventsDays: 30, filesDays: 90, auditDays: null }]]);
  });

  test("channel overrides: add one from the channel picker, edit it, remove it after confirming", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    const writes = serve(f, { org: { eventsDays: 30, filesDays: 30, auditDays: null }, channels: [], lastRun: null });
    f.render(<ComplianceTab />);
    await screen.findByText("No channel has its own retention.");
    const u = userEvent.setup();
    await u.click(await screen.findByRole("button", { name: "Add a channel override" }));
    const form = screen.getByRole("form", { name: "New channel override" });
    await u.click(within(form).getByRole("button", { name: "Save override" }));
    expect(within(form).getByRole("alert").textContent).toBe("Choose a channel.");
    await u.selectOptions(within(form).getByRole("combobox", { name: "Channel" }), "#records");
    await u.click(within(within(form).getByRole("group", { name: "Messages" })).getByRole("checkbox", { name: "Keep forever" }));
    await u.click(within(form).getByRole("button", { name: "Save override" }));
    const table = await screen.findByRole("table", { name: "Channel retention overrides" });
    expect(
      within(table)
        .getAllByRole("cell")
        .slice(0, 3)
        .map((c) => c.textContent),
    ).toEqual(["#records", "Forever", "30 days"]);
    expect(writes.filter(([w]) => w === "setChannelRetention")).toEqual([["setChannelRetention", { channelId: "ch-2", eventsDays: null, filesDays: 30 }]]);

    await u.click(screen.getByRole("button", { name: "Edit retention of #records" }));
    const edit = screen.getByRole("form", { name: "Retention of #records" });
    const days = within(within(edit).getByRole("group", { name: "Attachments" })).getByRole("spinbutton", { name: "Days" });
    await u.clear(days);
    await u.type(days, "7");
    await u.click(within(edit).getByRole("button", { name: "Save override" }));
    await waitFor(() => expect(within(screen.getByRole("table", { name: "Channel retention overrides" })).getAllByRole("cell")[2]!.textContent).toBe("7 days"));

    await u.click(screen.getByRole("button", { name: "Remove retention override of #records" }));
    await u.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Remove override" }));
    await screen.findByText("No channel has its own retention.");
    expect(writes.filter(([w]) => w === "clearChannelRetention")).toEqual([["clearChannelRetention", { channelId: "ch-2" }]]);
  });

  test("the last run reads as started, finished (or running / interrupted) and counts; Run now starts one", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    serve(f, {
      org: { eventsDays: 30, filesDays: null, auditDays: null },
      channels: [],
      lastRun: { startedAt: T0, finishedAt: T0 + 5_000, eventsDeleted: 1234, eventsHeld: 3, filesDeleted: 2, auditDeleted: 0 },
    });
    f.worker.answers.set("api:runRetention", { jobId: "job_1" });
    f.render(<ComplianceTab />);
    const run = await screen.findByLabelText("Last retention run");
    expect(run.textContent).toContain("1,234 messages and other events, 2 attachments, 0 audit entries");
    expect(run.textContent).toContain("3 events");
    const u = userEvent.setup();
    await u.click(screen.getByRole("button", { name: "Run now" }));
    expect(f.worker.commands.some((c) => c.op === "api" && c.route === "runRetention")).toBe(true);
    expect((await screen.findByRole("status")).textContent).toMatch(/Started/);

    const now = Date.now();
    expect(runState({ startedAt: now - 60_000, finishedAt: null, eventsDeleted: 0, eventsHeld: 0, filesDeleted: 0, auditDeleted: 0 }, now)).toBe("running");
    expect(runState({ startedAt: now - 3_600_000, finishedAt: null, eventsDeleted: 0, eventsHeld: 0, filesDeleted: 0, auditDeleted: 0 }, now)).toBe(
      "interrupted",
    );
    expect(parsePeriod("Audit log", { forever: false, days: "2.5" })).toEqual({
      error: "Audit log: a whole number of days from 1 to 36,500, or keep forever.",
    });
    expect(parsePeriod("Audit log", { forever: true, days: "junk" })).toEqual({ days: null });
  });

  test("legal holds: listed by status; placing one checks the matter and the target; releasing asks first and sends the note", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    const holds = [hold(), hold({ id: "hold-0", matter: "Old matter", releasedAt: T0 + 1000, releasedBy: owner.id })];
    const writes = serve(f, { org: { eventsDays: null, filesDays: null, auditDays: null }, channels: [], lastRun: null }, holds);
    f.render(<ComplianceTab />);
    const table = await screen.findByRole("table", { name: "Legal holds" });
    const cells = within(within(table).getAllByRole("row")[1]!).getAllByRole("cell");
    expect(cells.slice(0, 4).map((c) => c.textContent)).toEqual([
      "SEC inquiry 2026-14custodian",
      "User @bob",
      `Me Myself, ${new Date(T0).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}`,
      "Active",
    ]);
    const u = userEvent.setup();
    await u.selectOptions(screen.getByRole("combobox", { name: "Show" }), "Released holds");
    await waitFor(() => expect(within(screen.getByRole("table", { name: "Legal holds" })).getByText("Old matter")).toBeTruthy());
    expect(writes.filter(([w]) => w === "listHolds").map(([, s]) => s)).toEqual(["active", "released"]);
    await u.selectOptions(screen.getByRole("combobox", { name: "Show" }), "Active holds");

    await u.click(screen.getByRole("button", { name: "Place hold" }));
    const dialog = screen.getByRole("dialog");
    await u.click(within(dialog).getByRole("button", { name: "Place hold" }));
    expect(within(dialog).getByRole("alert").textContent).toMatch(/Name the matter/);
    await u.type(within(dialog).getByRole("textbox", { name: "Matter" }), "Bad <matter>");
    await u.click(within(dialog).getByRole("button", { name: "Place hold" }));
    expect(within(dialog).getByRole("alert").textContent).toMatch(/letters, digits, spaces/);
    await u.clear(within(dialog).getByRole("textbox", { name: "Matter" }));
    await u.type(within(dialog).getByRole("textbox", { name: "Matter" }), "SEC inquiry 2026-14");
    await u.click(within(dialog).getByRole("button", { name: "Place hold" }));
    expect(within(dialog).getByRole("alert").textContent).toBe("Choose the user the hold covers.");
    await u.selectOptions(within(dialog).getByRole("combobox", { name: "User" }), "Bob Builder (@bob)");
    await u.click(within(dialog).getByRole("button", { name: "Place hold" }));
    expect((await within(dialog).findByRole("alert")).textContent).toBe("This user is already under an active hold for “SEC inquiry 2026-14”.");
    await u.click(within(dialog).getByRole("radio", { name: "A channel" }));
    await u.selectOptions(within(dialog).getByRole("combobox", { name: "Channel" }), "#records");
    await u.type(within(dialog).getByRole("textbox", { name: "Note" }), "all of #records");
    await u.click(within(dialog).getByRole("button", { name: "Place hold" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(writes.filter(([w]) => w === "createHold").at(-1)).toEqual([
      "createHold",
      { matter: "SEC inquiry 2026-14", scope: "channel", targetId: "ch-2", note: "all of #records" },
    ]);
    await within(await screen.findByRole("table", { name: "Legal holds" })).findByText("Channel #records");

    await u.click(screen.getByRole("button", { name: "Release hold “SEC inquiry 2026-14” on @bob" }));
    const confirm = screen.getByRole("dialog");
    expect(within(confirm).getByRole("heading").textContent).toBe("Release the hold “SEC inquiry 2026-14”?");
    await u.type(within(confirm).getByRole("textbox", { name: "Note" }), "matter closed");
    await u.click(within(confirm).getByRole("button", { name: "Release hold" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(writes.filter(([w]) => w === "releaseHold")).toEqual([["releaseHold", { holdId: "hold-1", note: "matter closed" }]]);
    expect(parseMatter("  Case 12 (EU)/b  ")).toEqual({ matter: "Case 12 (EU)/b" });
  });

  test("the console shows Compliance to owners and compliance officers, not to admins", async () => {
    const o = await chatFixture({ me: owner, users: [bob] });
    serve(o, { org: { eventsDays: null, filesDays: null, auditDays: null }, channels: [], lastRun: null });
    const view = o.render(<AdminConsole />);
    expect(within(view.container).getByRole("tab", { name: "Compliance" })).toBeTruthy();
    view.unmount();

    const admin = await chatFixture({ me: user("u-a", "admin", "An Admin", { role: "admin" }), users: [owner] });
    const adminView = admin.render(<AdminConsole />);
    expect(within(adminView.container).getByRole("tab", { name: "Users" })).toBeTruthy();
    expect(within(adminView.container).queryByRole("tab", { name: "Compliance" })).toBeNull();
    adminView.unmount();

    const officerUser = user("u-o", "officer", "Olive Officer");
    const officer = await chatFixture({ me: officerUser, users: [owner] });
    officer.worker.answers.set("api:me", {
      user: officerUser,
      org: officer.chat.org,
      deviceId: "dev-me",
      sessionId: "sess-1",
      permissions: ["org.manage_compliance"],
    });
    await officer.chat.refreshPermissions();
    serve(officer, { org: { eventsDays: null, filesDays: null, auditDays: null }, channels: [], lastRun: null });
    const officerView = officer.render(<AdminConsole />);
    expect(
      within(officerView.container)
        .getAllByRole("tab")
        .map((t) => t.textContent),
    ).toEqual(["Compliance"]);
    await within(officerView.container).findByRole("form", { name: "Organisation retention policy" });
  });
});
