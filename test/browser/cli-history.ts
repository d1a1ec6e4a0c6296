/**
 * Done-means 1 of issue 9, shared by its two variants (recovery key, device approval): alice and
 * bob chat from the real CLI in #general — a message, an edit, a reaction, a file — and a browser
 * device of alice's later proves it reads all of it, with no "Unable to decrypt" anywhere.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { TEST_PASSWORD } from "@parley/server/testing/factories";
import { parley, tempDir, type Run } from "../../packages/cli/src/testing/spawn-cli.ts";

const msg = (page: Page, text: string) => page.locator("main article.msg", { hasText: text });

/** CLI profiles of alice and bob (in a scratch directory removed after the test), signed in to `org` and chatting. */
export async function chatFromCli(t: { after(fn: () => unknown): void }, url: string, org: string) {
  const dir = tempDir(`${org}-cli`);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = { PARLEY_PASSWORD: TEST_PASSWORD };
  const run = (who: string, args: string[], input?: string | Promise<string>) =>
    parley(["--profile-dir", path.join(dir, who), ...args], { env, ...(input !== undefined ? { input } : {}) });
  const cli = async (who: string, args: string[]): Promise<Run> => {
    const r = await run(who, args);
    assert.equal(r.code, 0, `parley ${args.join(" ")}: ${r.stderr}`);
    return r;
  };

  const login = await cli("alice", ["login", "--server", url, "--org", org, "--username", "alice", "--json"]);
  await cli("bob", ["login", "--server", url, "--org", org, "--username", "bob"]);
  await cli("alice", ["channel", "create", "general"]);
  await cli("bob", ["channel", "join", "general"]);
  const first = (await cli("alice", ["send", "general", "the first plan", "--json"])).json().seq as number;
  await cli("bob", ["send", "general", "bob agrees"]);
  await cli("alice", ["edit", "general", String(first), "the first plan, revised"]);
  await cli("bob", ["react", "general", String(first), "👍"]);
  const report = crypto.randomBytes(100_000);
  const file = path.join(dir, "report.bin");
  fs.writeFileSync(file, report);
  await cli("alice", ["send", "general", "--file", file, "the report"]);
  return { run, cli, report, recoveryKey: login.json().recoveryKey as string | undefined };
}

/** The page opens #general and reads every message, the edit, the reaction and the file (byte-identical); nothing is unreadable. */
export async function expectCliHistory(page: Page, report: Buffer): Promise<void> {
  await page.getByRole("link", { name: /^Channel general/ }).click();
  await page.getByRole("heading", { name: "# general" }).waitFor();
  await msg(page, "the first plan, revised").getByText("(edited)").waitFor({ timeout: 60_000 });
  await msg(page, "bob agrees").waitFor();
  await msg(page, "the first plan, revised").getByRole("button", { name: /^👍 1/ }).waitFor();
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download report.bin" }).click()]);
  assert.deepEqual(fs.readFileSync((await dl.path())!), report, "the file decrypts byte-identical");
  const unreadable = await page.locator("main .msg-body.undecryptable").count();
  assert.equal(unreadable, 0, `no "Unable to decrypt" anywhere:\n${await page.locator("main").innerText()}`);
}

export { msg };
