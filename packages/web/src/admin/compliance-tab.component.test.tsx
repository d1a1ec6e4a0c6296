import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { archiveKeyFingerprint } from "@parley/crypto";
import type {
  ArchivedChannel,
  ArchiveExport,
  Channel,
  ChannelRetention,
  GdprRequest,
  LegalHold,
  OrgRetention,
  RetentionRun,
  SignedArchivePolicy,
} from "@parley/protocol";
import { ParleyError } from "@parley/sdk";
import { chatFixture, user, type ChatFixture } from "../testing/chat-fixture.tsx";
import { catchDownloads } from "../testing/downloads.ts";
import type { Command } from "../worker/protocol.ts";
import { AdminConsole } from "../components/admin/admin-console.tsx";
import { ComplianceTab } from "./compliance-tab.tsx";
import { parseMatter, parsePeriod, runState } from "./retention-periods.ts";
import { describeEraseError, periodOf, scopeLines, shortHash } from "./compliance-text.ts";

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
  // The archive, exports and GDPR sections: nothing set up, nothing recorded (the tests below answer them).
  f.worker.answers.set("api:getArchivePolicy", { current: null, storedAt: null, archivedChannelIds: [] });
  f.worker.answers.set("api:listArchiveExports", { exports: [] });
  f.worker.answers.set("api:listGdprRequests", { requests: [] });
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

const noRetention = (): Stored => ({ org: { eventsDays: null, filesDays: null, auditDays: null }, channels: [], lastRun: null });
const key32 = (byte: number) => btoa(String.fromCharCode(byte).repeat(32));
const signed: SignedArchivePolicy = {
  policy: {
    orgId: "org-1",
    version: 3,
    name: "Acme compliance archive",
    archiveKey: key32(1),
    signerKey: key32(7),
    scope: { kinds: ["private"], labels: ["regulated"], channelIds: ["ch-2"] },
    issuedAt: T0,
  },
  signature: btoa("\0".repeat(64)),
};
const archived = (over: Partial<ArchivedChannel> = {}): ArchivedChannel => ({
  id: "ch-2",
  name: "records",
  kind: "public",
  labels: [],
  covered: true,
  keyBatches: 4,
  memberIds: [owner.id, bob.id],
  ...over,
});
const exported = (over: Partial<ArchiveExport> = {}): ArchiveExport => ({
  id: "exp-1",
  by: owner.id,
  createdAt: T0,
  channelIds: ["ch-2"],
  userId: null,
  from: Date.UTC(2026, 0, 1),
  to: Date.UTC(2026, 3, 1),
  items: 1234,
  attachments: 5,
  manifestSha256: "ab".repeat(32),
  signerFingerprint: "3fa2 9c01 77de 0b4e 1234",
  ...over,
});
const request = (over: Partial<GdprRequest> = {}): GdprRequest => ({
  id: "gdpr-1",
  kind: "erase",
  status: "pending",
  userId: bob.id,
  username: "bob",
  requestedBy: bob.id,
  requestedAt: T0,
  note: "Please delete me",
  decidedBy: null,
  decidedAt: null,
  response: "",
  held: true,
  ...over,
});
const rowCells = (table: HTMLElement, row: number) =>
  within(within(table).getAllByRole("row")[row]!)
    .getAllByRole("cell")
    .map((c) => c.textContent);

describe("Compliance tab: archive, exports log, GDPR requests", () => {
  test("the archive: without a policy, the command that creates one; with one, its name, version, scope by channel name, signer key and channels", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    serve(f, noRetention());
    const view = f.render(<ComplianceTab />);
    await screen.findByText("No compliance archive is set up.");
    expect(screen.getByText(/^parley compliance archive init --name/)).toBeTruthy();
    expect(
      f.worker.commands.some((c) => c.op === "api" && c.route === "listArchivedChannels"),
      "no audited read without an archive",
    ).toBe(false);
    view.unmount();

    const g = await chatFixture({ me: owner, users: [bob] });
    serve(g, noRetention());
    g.worker.answers.set("api:getArchivePolicy", { current: signed, storedAt: T0 + 60_000, archivedChannelIds: [] });
    g.worker.answers.set("api:listArchivedChannels", {
      channels: [archived(), archived({ id: "ch-3", name: "deals", kind: "private", labels: ["regulated"], covered: false, keyBatches: 1 })],
    });
    g.render(<ComplianceTab />);
    const facts = await screen.findByLabelText("Archive policy");
    expect(facts.textContent).toContain("Acme compliance archive");
    expect(facts.textContent).toContain("3, signed");
    expect(
      within(facts)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["All private channels", "Channels labelled regulated", "The channels #records"]);
    expect(within(facts).getByText(archiveKeyFingerprint(new Uint8Array(32).fill(7)))).toBeTruthy();
    const table = screen.getByRole("table", { name: "Archived channels" });
    expect(rowCells(table, 1)).toEqual(["#records", "Public", "—", "Now", "4", "2"]);
    expect(rowCells(table, 2)).toEqual(["#deals", "Private", "regulated", "Under an earlier scope", "1", "2"]);
    expect(screen.getByText(/sign version 4 on their own/)).toBeTruthy();
    expect(screen.getByText(/^parley compliance archive scope --shares/)).toBeTruthy();
  });

  test("the exports log: who, what, period, counts, the manifest hash shortened and copied whole; empty, it says where exports are made", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    serve(f, noRetention());
    const view = f.render(<ComplianceTab />);
    expect((await screen.findByText(/^No export yet\./)).textContent).toContain("parley compliance export");
    view.unmount();

    const g = await chatFixture({ me: owner, users: [bob] });
    serve(g, noRetention());
    g.worker.answers.set("api:getArchivePolicy", { current: signed, storedAt: T0, archivedChannelIds: [] });
    g.worker.answers.set("api:listArchivedChannels", { channels: [archived()] });
    g.worker.answers.set("api:listArchiveExports", {
      exports: [exported(), exported({ id: "exp-0", channelIds: [], userId: bob.id, from: null, to: null, items: 1, attachments: 0 })],
    });
    g.render(<ComplianceTab />);
    const table = await screen.findByRole("table", { name: "eDiscovery exports" });
    await waitFor(() => expect(rowCells(table, 1)[2]).toBe("#records"));
    expect(rowCells(table, 1).slice(1)).toEqual([
      "Me Myself",
      "#records",
      "1 Jan 2026 – 1 Apr 2026 (UTC, end excluded)",
      "1,234 items, 5 attachments",
      "Manifest SHA-256 abababababababab… CopySigner key 3fa2 9c01 77de 0b4e 1234",
    ]);
    expect(rowCells(table, 2).slice(2, 5)).toEqual(["Every archived channelMessages of @bob", "All time", "1 items, 0 attachments"]);
    expect(within(table).getAllByText("abababababababab…")[0]!.getAttribute("title")).toBe("ab".repeat(32));
    const u = userEvent.setup();
    await u.click(within(table).getAllByRole("button", { name: "Copy manifest SHA-256 abababababababab…" })[0]!);
    expect(await navigator.clipboard.readText()).toBe("ab".repeat(32));
  });

  test("GDPR requests: erasure refused by a legal hold names the matter; decline needs a reason; an officer downloads a user's data and erases them", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    serve(f, noRetention());
    const requests = [
      request(),
      request({
        id: "gdpr-0",
        kind: "export",
        status: "completed",
        requestedBy: owner.id,
        requestedAt: T0 - 1000,
        note: "",
        decidedBy: owner.id,
        decidedAt: T0 - 1000,
      }),
    ];
    const writes: Array<[string, unknown]> = [];
    const input = (c: Command) => (c as Extract<Command, { op: "api" }>).input as { params: { id: string }; body: Record<string, string> };
    f.worker.answers.set("api:listGdprRequests", () => ({ requests: structuredClone(requests) }));
    f.worker.answers.set("api:declineGdprRequest", (c: Command) => {
      writes.push(["decline", { ...input(c).params, ...input(c).body }]);
      Object.assign(requests[0]!, { status: "declined", decidedBy: owner.id, decidedAt: T0 + 1000, response: input(c).body.response });
      return requests[0];
    });
    let erase: unknown = new ParleyError({ code: "legal_hold", status: 409, message: "held", details: { matters: ["SEC inquiry 2026-14"] } });
    f.worker.answers.set("api:eraseUser", (c: Command) => (writes.push(["erase", { ...input(c).params, ...input(c).body }]), erase));
    f.worker.answers.set("dataExport", { filename: "parley-export-bob.zip", bytes: new Uint8Array([80, 75, 3, 4]) });
    const downloads = catchDownloads();
    const { blobs } = downloads;
    f.render(<ComplianceTab />);
    const u = userEvent.setup();
    const table = await screen.findByRole("table", { name: "Data-subject requests" });
    expect(rowCells(table, 1).slice(0, 4)).toEqual([
      "Bob Builder (@bob) Legal hold",
      `ErasureBy the user, ${new Date(T0).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}`,
      "Pending",
      "Please delete me",
    ]);
    expect(rowCells(table, 2)[1]).toMatch(/^ExportBy Me Myself, /);
    expect(rowCells(table, 2)[2]).toBe("Completed");

    // Erase from the request: the username must be typed; the hold refuses it and is named.
    await u.click(within(table).getByRole("button", { name: "Erase @bob" }));
    let dialog = screen.getByRole("dialog");
    expect(within(dialog).getByText(/This cannot be undone\./)).toBeTruthy();
    expect(within(dialog).getByText(/A legal hold covers @bob now/)).toBeTruthy();
    const eraseButton = within(dialog).getByRole("button", { name: "Erase user" }) as HTMLButtonElement;
    await u.type(within(dialog).getByRole("textbox", { name: "Type bob to confirm" }), "bo");
    expect(eraseButton.disabled).toBe(true);
    await u.type(within(dialog).getByRole("textbox", { name: "Type bob to confirm" }), "b");
    await u.click(eraseButton);
    expect((await within(dialog).findByRole("alert")).textContent).toBe(
      "Refused: a legal hold covers @bob (“SEC inquiry 2026-14”). Nothing was erased. Release the hold when the matter closes, or decline the request saying why.",
    );
    await u.click(within(dialog).getByRole("button", { name: "Cancel" }));

    // Decline it, saying why.
    await u.click(within(table).getByRole("button", { name: "Decline the erasure request of @bob" }));
    dialog = screen.getByRole("dialog");
    await u.click(within(dialog).getByRole("button", { name: "Decline request" }));
    expect(within(dialog).getByRole("alert").textContent).toMatch(/Say why/);
    await u.type(within(dialog).getByRole("textbox", { name: "Reason" }), "Records kept until 2031");
    await u.click(within(dialog).getByRole("button", { name: "Decline request" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    await waitFor(() => expect(rowCells(screen.getByRole("table", { name: "Data-subject requests" }), 1)[2]).toMatch(/^Declined.*“Records kept until 2031”$/));
    expect(writes).toEqual([
      ["erase", { id: bob.id, confirm: "bob", note: "" }],
      ["decline", { id: "gdpr-1", response: "Records kept until 2031" }],
    ]);

    // For any user: their data as a ZIP download, then the erasure.
    const subject = screen.getByRole("combobox", { name: "Data subject" });
    expect((screen.getByRole("button", { name: "Download their data" }) as HTMLButtonElement).disabled, "no user chosen yet").toBe(true);
    await u.selectOptions(subject, "Bob Builder (@bob)");
    await u.click(screen.getByRole("button", { name: "Download their data" }));
    expect((await screen.findByRole("status")).textContent).toMatch(/^Saved parley-export-bob\.zip/);
    expect(f.worker.commands.filter((c) => c.op === "dataExport")).toEqual([expect.objectContaining({ userId: bob.id })]);
    expect(blobs.map((b) => b.type)).toEqual(["application/zip"]);
    expect(new Uint8Array(await blobs[0]!.arrayBuffer())).toEqual(new Uint8Array([80, 75, 3, 4]));

    erase = { userId: bob.id, username: "erased-1a2b", erasedAt: T0 + 5000, devicesRevoked: 2, sessionsEnded: 1, completedRequests: [] };
    await u.click(screen.getByRole("button", { name: "Erase…" }));
    dialog = screen.getByRole("dialog");
    await u.type(within(dialog).getByRole("textbox", { name: "Type bob to confirm" }), "bob");
    await u.type(within(dialog).getByRole("textbox", { name: "Note" }), "Letter of 2026-01-10");
    await u.click(within(dialog).getByRole("button", { name: "Erase user" }));
    expect((await within(dialog).findByRole("status")).textContent).toMatch(/deactivated pseudonym @erased-1a2b: 2 devices revoked, 1 session ended\.$/);
    expect(writes.at(-1)).toEqual(["erase", { id: bob.id, confirm: "bob", note: "Letter of 2026-01-10" }]);
    downloads.restore();
  });

  test("the words: scope lines, periods, hashes, erasure refusals", () => {
    expect(scopeLines({ kinds: [], labels: [], channelIds: [] }, String)).toEqual(["No channel: the scope is empty"]);
    expect(scopeLines({ kinds: ["public", "group_dm"], labels: [], channelIds: ["x"] }, (id) => `#${id}`)).toEqual([
      "All public channels, group direct messages",
      "The channels #x",
    ]);
    expect(periodOf(Date.UTC(2026, 0, 1), null)).toBe("From 1 Jan 2026 (UTC)");
    expect(periodOf(null, Date.UTC(2026, 0, 1, 12, 30))).toBe("Before 1 Jan 2026, 12:30 (UTC)");
    expect(shortHash("abc")).toBe("abc");
    expect(describeEraseError(new ParleyError({ code: "already_erased", status: 409, message: "x" }), "bob")).toBe("@bob was already erased.");
    expect(describeEraseError(new ParleyError({ code: "legal_hold", status: 409, message: "x", details: {} }), "bob")).toMatch(
      /^Refused: a legal hold covers @bob\. /,
    );
    expect(describeEraseError(new ParleyError({ code: "bad_request", status: 400, message: "you cannot erase yourself: ask another officer" }), "me")).toBe(
      "You cannot erase yourself: ask another officer.",
    );
  });
});
