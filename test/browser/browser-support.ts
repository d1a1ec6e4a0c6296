/**
 * Browser test support: a real Parley server serving the built web app, and
 * Debian's chromium driven by playwright-core (headless, no network beyond
 * 127.0.0.1, a fresh profile per browser).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { startTestServer, type TestServer } from "@parley/server/testing/harness";
import { TEST_PASSWORD } from "@parley/server/testing/factories";
import { MemoryKeyStore } from "@parley/crypto";
import { ParleyClient } from "@parley/sdk";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const WEB_DIST = path.join(ROOT, "packages/web/dist");
export const SCREENSHOTS = path.join(ROOT, "test-results/screenshots");
export const CHROMIUM = "/usr/bin/chromium";

/** Build the web app if it is missing or stale (fast when up to date). */
export function ensureWebBuild(): void {
  execFileSync("bash", [path.join(ROOT, "scripts/web-build.sh")], { stdio: "inherit" });
}

/** Server settings a browser test may add (e.g. an SMTP server). */
export type WebServerConfig = NonNullable<NonNullable<Parameters<typeof startTestServer>[0]>["config"]>;

/** A server serving the built app at / over a fresh SQLite database. */
export async function startWebServer(config: WebServerConfig = {}): Promise<TestServer> {
  ensureWebBuild();
  return startTestServer({ dialect: "sqlite", config: { ...config, webDir: WEB_DIST } });
}

/** A test file's server and browser: started before its tests, stopped after them; page errors collect in `errors`. */
export interface BrowserSuite {
  server: TestServer;
  browser: Browser;
  errors: string[];
}

/** Register the before/after hooks of a browser test file (call at module level); `config`: the server's extra settings. */
export function browserSuite(config: WebServerConfig = {}): BrowserSuite {
  const suite = { errors: [] } as unknown as BrowserSuite;
  before(async () => {
    suite.server = await startWebServer(config);
    suite.browser = await launchChromium();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.server?.stop();
  });
  return suite;
}

/** Headless Debian chromium; playwright gives each launch a fresh temporary profile. `extraArgs` add switches (e.g. fake media devices). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`chromium is missing at ${CHROMIUM}: run ./run test (installs it as root) or apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      ...extraArgs,
    ],
  });
}

/** A page of a new browser context (its own storage: one user each) that fails the test on page errors. */
export async function newUserPage(browser: Browser, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  return page;
}

/** Save a screenshot under test-results/screenshots/. */
export async function shot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * A user's SDK device beside the browsers (keys in memory), signed in with TEST_PASSWORD; with
 * `live`, connected and caught up. The caller closes it.
 */
export async function sdkDevice(serverUrl: string, org: string, username: string, opts: { live?: boolean } = {}): Promise<ParleyClient> {
  const client = await ParleyClient.login({ baseUrl: serverUrl, org, username, password: TEST_PASSWORD, e2ee: { keyStore: new MemoryKeyStore() } });
  if (opts.live) {
    client.connect();
    await client.waitUntilLive();
  }
  return client;
}

/** Sign in through the sign-in form (as the factories' users: TEST_PASSWORD). */
export async function signIn(
  page: Page,
  serverUrl: string,
  org: string,
  username: string,
  opts: { deviceName?: string; until?: "welcome" | "signed-in"; live?: boolean } = {},
): Promise<void> {
  await page.goto(serverUrl);
  await page.getByLabel("Organisation").fill(org);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  if (opts.deviceName) await page.getByLabel("This device").fill(opts.deviceName);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  if ((opts.until ?? "welcome") === "welcome") await page.getByText("Welcome to").waitFor();
  else await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
  if (opts.live) await page.locator('.sidebar .conn[data-state="live"]').waitFor();
}

/** The first device sets the recovery key up through the banner; returns the key. */
export async function setUpRecovery(page: Page): Promise<string> {
  const banner = page.getByTestId("recovery-banner");
  await banner.getByRole("button", { name: "Set up recovery key" }).click({ timeout: 30_000 });
  const dialog = page.getByRole("dialog", { name: "Save your recovery key" });
  const key = (await dialog.getByTestId("recovery-key").innerText()).trim();
  await Promise.all([page.waitForEvent("download"), dialog.getByRole("button", { name: "Download" }).click()]);
  await dialog.getByLabel("Last four characters of the key").fill(key.slice(-4));
  await dialog.getByRole("button", { name: "I have saved my recovery key" }).click();
  await dialog.waitFor({ state: "detached" });
  return key;
}

/** `creator` creates a public channel `name` through the dialog and ends in it. */
export async function createChannel(creator: Page, name: string): Promise<void> {
  await creator.getByRole("button", { name: "Create channel" }).click();
  await creator.getByLabel("Name").fill(name);
  await creator.getByRole("button", { name: "Create", exact: true }).click();
  // Done when the dialog has gone: the page behind an open modal takes no typing.
  await creator.getByRole("dialog", { name: "Create a channel" }).waitFor({ state: "detached" });
  await creator.getByRole("heading", { name: `# ${name}` }).waitFor();
}

/** `creator` creates a public channel `name`; `joiner` browses and joins it. Both end in the channel. */
export async function createAndJoinChannel(creator: Page, joiner: Page, name: string): Promise<void> {
  await createChannel(creator, name);
  await joiner.getByRole("button", { name: "Browse channels" }).click();
  await joiner.getByRole("button", { name: `Join ${name}` }).click();
  // The dialog closes, and the channel opens, once the device has also joined the channel's MLS
  // group. Messages sent before that are from epochs this device never gets.
  await joiner.getByRole("dialog", { name: "Browse channels" }).waitFor({ state: "detached", timeout: 30_000 });
  await joiner.getByRole("heading", { name: `# ${name}` }).waitFor();
}
