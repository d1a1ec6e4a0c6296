/**
 * The directory seen through ldapts: connect (ldap:// with optional StartTLS, or ldaps://)
 * with the org's CA and timeouts, bind as the service account, find users and groups, and
 * check a user's password by binding as them on a connection of its own.
 *
 * Values from a sign-in never become filter syntax: they are escaped per RFC 4515
 * (`Filter.escape`: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`) before
 * they replace `{username}`, and DNs are only ever the ones the directory returned.
 *
 * Failures of the directory itself (unreachable, TLS, the service account refused, a base
 * that does not exist) are {@link DirectoryUnavailable}; a wrong user password is not a
 * failure but `false`.
 */
import net from "node:net";
import { Client, Filter, FilterParser, NoSuchObjectError, ResultCodeError, SizeLimitExceededError, type Entry } from "ldapts";
import type { LdapSettings, LdapTestResult } from "@parley/protocol";

/** The settings with the service account's password (opened from its seal). */
export interface DirectorySettings extends LdapSettings {
  bindPassword: string;
}

/** Where talking to the directory failed. */
export type DirectoryStage = Exclude<LdapTestResult["stage"], "done">;

/** The directory cannot be used: unreachable, TLS failed, refused the service account, or a base is wrong. */
export class DirectoryUnavailable extends Error {
  override name = "DirectoryUnavailable";
  readonly stage: DirectoryStage;
  constructor(stage: DirectoryStage, message: string) {
    super(message);
    this.stage = stage;
  }
}

/** A user entry as Parley reads it. */
export interface DirectoryEntry {
  dn: string;
  /** The entry's stable id: `id:` and the id attribute as text, `hex:` and its bytes when binary (AD's objectGUID), or `dn:` and the normalised DN when it has none. */
  externalId: string;
  /** The username attribute, lowercased (not yet checked against Parley's username rules). */
  username: string | null;
  displayName: string | null;
  email: string | null;
}

/** A group as Parley reads it. */
export interface DirectoryGroup {
  dn: string;
  name: string | null;
  /** Member values, lowercased (DNs normalised by {@link normalizeDn}, or usernames). */
  members: string[];
}

/** An open, service-bound connection. Close it when done. */
export interface DirectorySession {
  /** The one entry the user filter finds for `loginName`; null when none (or more than one: never guess). */
  findUser(loginName: string): Promise<DirectoryEntry | null>;
  /** Whether `password` binds as `dn`. Empty passwords are refused without asking (an unauthenticated bind is no proof). */
  verifyPassword(dn: string, password: string): Promise<boolean>;
  /** The groups `entry` is a member of (none without group settings). */
  groupsOf(entry: DirectoryEntry): Promise<DirectoryGroup[]>;
  /** Every user entry the user filter finds. */
  listUsers(): Promise<DirectoryEntry[]>;
  /** Every group the group filter finds, with members. */
  listGroups(): Promise<DirectoryGroup[]>;
  close(): Promise<void>;
}

const PAGE = 500;

/** Lowercase, no spaces around separators: how members and mapping DNs are compared. */
export function normalizeDn(dn: string): string {
  return dn
    .trim()
    .toLowerCase()
    .replace(/\s*([,=+])\s*/g, "$1");
}

/** The user filter for a sign-in name: the template with the escaped name in place of `{username}`. */
export function userFilterFor(template: string, loginName: string): string {
  return template.split("{username}").join(Filter.escape(loginName));
}

/** The user filter that matches every user (`{username}` becomes a wildcard). */
function allUsersFilter(template: string): string {
  return template.split("{username}").join("*");
}

/** A message naming the problem when `filter` is not valid RFC 4515 syntax (undefined when it is). */
export function checkFilterSyntax(filter: string): string | undefined {
  // Parentheses inside values are escaped (\28, \29), so every raw one is syntax: they must
  // balance and close only at the end (ldapts's parser forgives a missing last one).
  let depth = 0;
  const chars = [...filter];
  for (const [i, c] of chars.entries()) {
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (depth < 0 || (depth === 0 && i < chars.length - 1)) return "unbalanced parentheses";
  }
  if (depth !== 0) return "unbalanced parentheses";
  try {
    FilterParser.parseString(filter);
    return undefined;
  } catch (err) {
    return (err as Error).message || "not a valid LDAP filter";
  }
}

function tlsOptions(s: DirectorySettings) {
  return { minVersion: "TLSv1.2" as const, ...(s.caPem ? { ca: [s.caPem] } : {}) };
}

function clientOptions(s: DirectorySettings) {
  const ms = s.timeoutSeconds * 1000;
  // ldapts speaks TLS from the first byte whenever it is given TLS options: only for ldaps://.
  return { url: s.url, timeout: ms, connectTimeout: ms, ...(s.url.startsWith("ldaps:") ? { tlsOptions: tlsOptions(s) } : {}) };
}

function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, "");
}

/** Why a connection failed, in a few words (never the directory's own text, which may echo input). */
function networkReason(err: unknown): { stage: DirectoryStage; message: string } {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? "";
  if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/i.test(code) || /certificate|TLS|SSL/i.test(e.message ?? "")) {
    return { stage: "tls", message: `TLS failed (${code || "handshake"}): check the URL's host name and the CA certificate` };
  }
  if (code === "ECONNREFUSED") return { stage: "connect", message: "the directory refused the connection (is the host and port right, is it running?)" };
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { stage: "connect", message: "the directory's host name does not resolve" };
  if (/timed? ?out/i.test(e.message ?? "") || code === "ETIMEDOUT") return { stage: "connect", message: "the directory did not answer in time" };
  return { stage: "connect", message: `the connection failed (${code || "network error"})` };
}

async function connect(s: DirectorySettings): Promise<Client> {
  const client = new Client(clientOptions(s));
  if (s.startTls) {
    const host = hostOf(s.url);
    try {
      // servername only for names (SNI does not take IP addresses); the identity check uses `host` either way.
      await client.startTLS({ ...tlsOptions(s), host, ...(net.isIP(host) ? {} : { servername: host }) });
    } catch (err) {
      await client.unbind().catch(() => undefined);
      if (err instanceof ResultCodeError) throw new DirectoryUnavailable("tls", "the directory does not offer StartTLS");
      const r = networkReason(err);
      throw new DirectoryUnavailable(r.stage === "connect" ? "connect" : "tls", r.message);
    }
  }
  return client;
}

function values(entry: Entry, attribute: string): Array<string | Buffer> {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  if (!key) return [];
  const v = entry[key];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function text(entry: Entry, attribute: string | null): string | null {
  if (!attribute) return null;
  const v = values(entry, attribute)[0];
  if (v === undefined) return null;
  const s = (Buffer.isBuffer(v) ? v.toString("utf8") : v).trim();
  return s === "" ? null : s;
}

function toEntry(s: LdapSettings, e: Entry): DirectoryEntry {
  const id = values(e, s.attributes.id)[0];
  const idBytes = id === undefined ? undefined : Buffer.isBuffer(id) ? id : Buffer.from(id, "utf8");
  const idText = idBytes?.toString("latin1");
  return {
    dn: e.dn,
    // Text ids (entryUUID) as they are; binary ones (AD's objectGUID) in hex; none: the DN.
    externalId: !idBytes?.length ? `dn:${normalizeDn(e.dn)}` : /^[\x20-\x7e]+$/.test(idText ?? "") ? `id:${idText}` : `hex:${idBytes.toString("hex")}`,
    username: text(e, s.attributes.username)?.toLowerCase() ?? null,
    displayName: text(e, s.attributes.displayName),
    email: text(e, s.attributes.email),
  };
}

function userAttributes(s: LdapSettings): string[] {
  return [s.attributes.id, s.attributes.username, s.attributes.displayName, ...(s.attributes.email ? [s.attributes.email] : [])];
}

/** Connect and bind as the service account. */
export async function openDirectory(s: DirectorySettings): Promise<DirectorySession> {
  let client: Client | undefined;
  try {
    client = await connect(s);
    await client.bind(s.bindDn, s.bindPassword);
  } catch (err) {
    await client?.unbind().catch(() => undefined);
    if (err instanceof DirectoryUnavailable) throw err;
    if (err instanceof ResultCodeError) throw new DirectoryUnavailable("bind", "the directory refused the service account: check the bind DN and password");
    const r = networkReason(err);
    throw new DirectoryUnavailable(r.stage, r.message);
  }
  const service: Client = client;

  async function search(stage: DirectoryStage, base: string, filter: string, attributes: string[], paged: boolean): Promise<Entry[]> {
    try {
      const r = await service.search(base, {
        scope: "sub",
        filter,
        attributes,
        explicitBufferAttributes: stage === "search_user" ? [s.attributes.id] : [],
        timeLimit: s.timeoutSeconds,
        ...(paged ? { paged: { pageSize: PAGE } } : { sizeLimit: 2 }),
      });
      return r.searchEntries;
    } catch (err) {
      // More than one entry for a sign-in name: treated like none (never guess which).
      if (err instanceof SizeLimitExceededError && !paged) return [];
      if (err instanceof NoSuchObjectError) throw new DirectoryUnavailable(stage, `the search base does not exist: ${base}`);
      if (err instanceof ResultCodeError) throw new DirectoryUnavailable(stage, `the directory refused the search (${err.name})`);
      const r = networkReason(err);
      throw new DirectoryUnavailable(r.stage, r.message);
    }
  }

  const groupAttributes = () => (s.groups ? [s.groups.nameAttribute, s.groups.memberAttribute] : []);
  const toGroup = (e: Entry): DirectoryGroup => ({
    dn: e.dn,
    name: s.groups ? text(e, s.groups.nameAttribute) : null,
    members: s.groups
      ? values(e, s.groups.memberAttribute).map((v) => {
          const m = Buffer.isBuffer(v) ? v.toString("utf8") : v;
          return s.groups?.memberValue === "dn" ? normalizeDn(m) : m.trim().toLowerCase();
        })
      : [],
  });

  return {
    async findUser(loginName) {
      const found = await search("search_user", s.userBase, userFilterFor(s.userFilter, loginName), userAttributes(s), false);
      // Two entries for one name: refuse rather than pick one.
      return found.length === 1 && found[0] ? toEntry(s, found[0]) : null;
    },
    async verifyPassword(dn, password) {
      // RFC 4513 §5.1.2: a name with an empty password is an "unauthenticated bind", which some
      // servers (Active Directory among them) answer with success. It proves nothing.
      if (password.length === 0) return false;
      let user: Client | undefined;
      try {
        user = await connect(s);
        await user.bind(dn, password);
        return true;
      } catch (err) {
        if (err instanceof DirectoryUnavailable) throw err;
        if (err instanceof ResultCodeError) return false; // invalid credentials, locked, expired: not signed in
        const r = networkReason(err);
        throw new DirectoryUnavailable(r.stage, r.message);
      } finally {
        await user?.unbind().catch(() => undefined);
      }
    },
    async groupsOf(entry) {
      const g = s.groups;
      if (!g) return [];
      const member = g.memberValue === "dn" ? entry.dn : (entry.username ?? "");
      if (!member) return [];
      const filter = `(&${g.filter}(${g.memberAttribute}=${Filter.escape(member)}))`;
      const found = await search("search_groups", g.base, filter, [g.nameAttribute], true);
      return found.map((e) => ({ ...toGroup(e), members: [] }));
    },
    async listUsers() {
      return (await search("search_user", s.userBase, allUsersFilter(s.userFilter), userAttributes(s), true)).map((e) => toEntry(s, e));
    },
    async listGroups() {
      if (!s.groups) return [];
      return (await search("search_groups", s.groups.base, s.groups.filter, groupAttributes(), true)).map(toGroup);
    },
    async close() {
      await service.unbind().catch(() => undefined);
    },
  };
}

/** Open a session, run `fn`, always close. */
export async function withDirectory<T>(s: DirectorySettings, fn: (d: DirectorySession) => Promise<T>): Promise<T> {
  const d = await openDirectory(s);
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}
