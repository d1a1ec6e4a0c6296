import { describe, expect, test } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { AuditEntry } from "@parley/protocol";
import { chatFixture, user, type ChatFixture } from "../testing/chat-fixture.tsx";
import type { Command } from "../worker/protocol.ts";
import { AdminConsole } from "../components/admin/admin-console.tsx";
import { AuditTab } from "./audit-tab.tsx";

const owner = user("u-me", "me", "Me Myself", { role: "owner" });
const bob = user("u-bob", "bob", "Bob Builder");
const T0 = Date.UTC(2026, 0, 15, 9, 30);

function entry(seq: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    seq,
    at: T0 + seq * 60_000,
    actor: { kind: "device", userId: bob.id, deviceId: "dev-bob" },
    action: "channel.member.joined",
    target: { kind: "channel", id: "ch-1" },
    result: "success",
    details: { userId: bob.id },
    personal: null,
    hash: `${seq}`.padStart(64, "a"),
    ...over,
  };
}

type Query = { actor?: string; action?: string; target?: string; from?: number; to?: number; cursor?: number; limit: number };

/** The org's log as the server would page it: newest first, below the cursor. */
function serve(f: ChatFixture, log: AuditEntry[]): void {
  f.worker.answers.set("api:listAudit", (cmd: Command) => {
    const q = (cmd as Extract<Command, { op: "api" }>).input as { query: Query };
    const below = log.filter((e) => q.query.cursor === undefined || e.seq < q.query.cursor).sort((a, b) => b.seq - a.seq);
    const entries = below.slice(0, q.query.limit);
    return { entries, nextCursor: below.length > q.query.limit ? entries.at(-1)!.seq : null };
  });
}

/** The queries the tab sent, in order. */
const queries = (f: ChatFixture) => f.worker.commands.flatMap((c) => (c.op === "api" && c.route === "listAudit" ? [(c.input as { query: Query }).query] : []));

/** Give the jsdom list a layout: a box of 400 px with `height` px of content scrolled to `top`. */
function layout(el: HTMLElement, height: number, top: number): void {
  Object.defineProperty(el, "clientHeight", { configurable: true, value: 400 });
  Object.defineProperty(el, "scrollHeight", { configurable: true, value: height });
  el.scrollTop = top;
}

describe("Audit tab", () => {
  test("rows read as time, actor, action, target, result; details open with facts, personal data and the chain position", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    serve(f, [
      entry(1, { actor: { kind: "device", userId: owner.id, deviceId: "dev-me" }, action: "channel.created", details: { kind: "public", members: 1 } }),
      entry(2, {
        actor: { kind: "device", userId: null, deviceId: null },
        action: "auth.login.failed",
        target: null,
        result: "failure",
        details: { reason: "unknown_user" },
        personal: { status: "clear", subject: "-", data: { username: "mallory", ip: "192.0.2.9" } },
      }),
      entry(3, {
        actor: { kind: "system", userId: null, deviceId: null },
        action: "user.deactivated",
        target: { kind: "user", id: bob.id },
        details: {},
        personal: { status: "erased", subject: bob.id },
      }),
    ]);
    f.render(<AuditTab />);
    const table = await screen.findByRole("table", { name: "Audit log" });
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(4));
    const cells = within(table)
      .getAllByRole("row")
      .slice(1)
      .map((r) =>
        within(r)
          .getAllByRole("cell")
          .slice(1, 5)
          .map((c) => c.textContent),
      );
    expect(cells).toEqual([
      ["System", "user.deactivated", "Bob Builder (@bob)", "success"],
      ["Unknown user (tried @mallory)", "auth.login.failed", "—", "failure"],
      ["Me Myself (@me)", "channel.created", "#general", "success"],
    ]);
    expect(table.querySelector("time")?.getAttribute("dateTime")).toBe(new Date(T0 + 3 * 60_000).toISOString());
    expect(screen.getByText("The beginning of the log.")).toBeTruthy();

    const u = userEvent.setup();
    await u.click(screen.getByRole("button", { name: "Details of entry 2" }));
    const two = screen.getByLabelText("Entry 2");
    expect(two.textContent).toContain("reason unknown_user");
    expect(two.textContent).toContain("username mallory");
    expect(two.textContent).toContain("ip 192.0.2.9");
    expect(two.textContent).toContain("seq 2");
    await u.click(screen.getByRole("button", { name: "Details of entry 3" }));
    expect(screen.getByLabelText("Entry 3").textContent).toContain("Erased: the person's audit key was shredded");
  });

  test("scrolling near the end loads the next page from the last seq shown, until the beginning of the log", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    serve(
      f,
      Array.from({ length: 60 }, (_, i) => entry(i + 1)),
    );
    f.render(<AuditTab />);
    // Counted without role queries: those are slow in jsdom on tables of this size.
    const rows = () => document.querySelectorAll("table[aria-label='Audit log'] tbody tr").length;
    await waitFor(() => expect(rows()).toBe(50));
    const list = screen.getByTestId("audit-list");
    layout(list, 5000, 0);
    fireEvent.scroll(list);
    await new Promise((r) => setTimeout(r, 20));
    expect(queries(f)).toEqual([{ limit: 50 }]);
    layout(list, 5000, 4400);
    fireEvent.scroll(list);
    await waitFor(() => expect(rows()).toBe(60));
    expect(queries(f)).toEqual([{ limit: 50 }, { cursor: 11, limit: 50 }]);
    await screen.findByText("The beginning of the log.");
    fireEvent.scroll(list);
    await new Promise((r) => setTimeout(r, 20));
    expect(queries(f)).toHaveLength(2);
  });

  test("filters go to the server; a bad action or time range is refused in the form; Clear starts over", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    serve(f, [entry(1)]);
    f.render(<AuditTab />);
    await screen.findByText("The beginning of the log.");
    const u = userEvent.setup();
    const form = screen.getByRole("form", { name: "Audit filters" });
    await u.selectOptions(within(form).getByLabelText("Actor"), "Bob Builder (@bob)");
    await u.type(within(form).getByLabelText("Action"), "channel.");
    await u.type(within(form).getByLabelText("Target"), "ch-1");
    fireEvent.change(within(form).getByLabelText("From"), { target: { value: "2026-01-15T09:00" } });
    fireEvent.change(within(form).getByLabelText("To"), { target: { value: "2026-01-15T12:00" } });
    await u.click(within(form).getByRole("button", { name: "Apply" }));
    const from = new Date("2026-01-15T09:00").getTime();
    const to = new Date("2026-01-15T12:00").getTime();
    await waitFor(() => expect(queries(f).at(-1)).toEqual({ actor: bob.id, action: "channel.", target: "ch-1", from, to, limit: 50 }));

    await u.clear(within(form).getByLabelText("Action"));
    await u.type(within(form).getByLabelText("Action"), "Channel.*");
    await u.click(within(form).getByRole("button", { name: "Apply" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/Action: a whole action/);
    await u.clear(within(form).getByLabelText("Action"));
    fireEvent.change(within(form).getByLabelText("To"), { target: { value: "2026-01-15T08:00" } });
    await u.click(within(form).getByRole("button", { name: "Apply" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/“To” must be after “From”/);
    expect(queries(f)).toHaveLength(2);

    await u.click(within(form).getByRole("button", { name: "Clear" }));
    await waitFor(() => expect(queries(f).at(-1)).toEqual({ limit: 50 }));
    expect((within(form).getByLabelText("Actor") as HTMLSelectElement).value).toBe("");

    await u.click(await screen.findByRole("button", { name: "Details of entry 1" }));
    await u.click(screen.getByRole("button", { name: "Only this target" }));
    await waitFor(() => expect(queries(f).at(-1)).toEqual({ target: "ch-1", limit: 50 }));
    expect((within(form).getByLabelText("Target") as HTMLInputElement).value).toBe("ch-1");
  });

  test("the console has an Audit tab for owners and admins; members get no console", async () => {
    const f = await chatFixture({ me: owner, users: [bob] });
    serve(f, [entry(1)]);
    f.render(<AdminConsole />);
    const u = userEvent.setup();
    await u.click(screen.getByRole("tab", { name: "Audit" }));
    await screen.findByRole("table", { name: "Audit log" });
    expect(screen.getByRole("tabpanel").className).toBe("admin-panel fill");

    const m = await chatFixture({ me: user("u-m", "member", "Plain Member"), users: [owner] });
    const view = m.render(<AdminConsole />);
    expect(within(view.container).queryByRole("tab", { name: "Audit" })).toBeNull();
    expect(within(view.container).getByText("Admins only")).toBeTruthy();
    expect(queries(m)).toEqual([]);
  });
});
