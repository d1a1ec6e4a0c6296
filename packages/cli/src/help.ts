/** Help text, generated from the command table so it never drifts. */
import type { Command } from "./command.ts";

const FOOTER = `
Global flags:
  --json              machine-readable output: one JSON document on stdout
                      (read --follow: one JSON line per event); notices go to stderr
  --profile NAME      session profile (default "default"; env PARLEY_PROFILE)
  --profile-dir DIR   profile directory (default ~/.config/parley/NAME; env PARLEY_PROFILE_DIR)
  -h, --help          help for any command: parley channel --help, parley send --help

Passwords are never taken from the command line: set PARLEY_PASSWORD or pipe
the password on stdin (you are prompted when stdin is a terminal). Codes from an
authenticator app (multi-factor authentication) likewise: PARLEY_MFA_CODE, or the
next line of stdin after the password. Scripts sign in with an API key: PARLEY_API_KEY and
PARLEY_SERVER; \`parley operator\` commands with PARLEY_OPERATOR_TOKEN and PARLEY_SERVER.

Exit codes:
  0  success
  1  error (server refused, not found, cannot connect, bad configuration)
  2  usage error (unknown command or flag, missing or extra argument)
  3  backup or restore refused, nothing changed (damaged or truncated file,
     wrong passphrase, newer schema, server still running)
  4  verification found a mismatch (restore, backup verify, compliance verify-bundle)
`;

function line(c: Command): string {
  const u = `parley ${c.name.join(" ")}${c.usage ? ` ${c.usage}` : ""}`;
  return u.length <= 46 ? `  ${u.padEnd(46)} ${c.summary}` : `  ${u}\n  ${"".padEnd(46)} ${c.summary}`;
}

/**
 * Online admin commands: `org ...`, service accounts, the identity providers (sso, scim,
 * ldap), custom roles and policies, and the subcommands of `users` and `invite` but accepting an invite.
 */
const orgAdmin = (c: Command) =>
  ["org", "service-accounts", "sso", "scim", "ldap", "roles", "policies", "compliance"].includes(c.name[0]!) ||
  (["users", "invite"].includes(c.name[0]!) && c.name.length > 1 && c.name[1] !== "accept");

export function mainHelp(commands: Command[]): string {
  const sections: Array<[string, (c: Command) => boolean]> = [
    ["Server", (c) => c.name[0] === "start"],
    ["Offline administration (directly on the database; same --data-dir/--database-url as start)", (c) => c.name[0] === "admin"],
    ["Server keys (KMS/HSM; offline, same --data-dir/--database-url and PARLEY_KMS settings as start)", (c) => c.name[0] === "keys"],
    ["Backup and restore (on the server's machine; same --data-dir/--database-url as start)", (c) => ["backup", "restore"].includes(c.name[0]!)],
    ["Server operator (over HTTP with PARLEY_OPERATOR_TOKEN and PARLEY_SERVER)", (c) => c.name[0] === "operator"],
    [
      "Account",
      (c) =>
        !orgAdmin(c) &&
        ["setup", "login", "logout", "invite", "whoami", "sessions", "api-keys", "account", "password-reset", "devices", "users", "me"].includes(c.name[0]!),
    ],
    ["Organisation administration (signed in as an org admin)", orgAdmin],
    ["Channels", (c) => ["channel", "dm"].includes(c.name[0]!)],
    ["Messages", (c) => ["send", "read", "thread", "react", "edit", "delete"].includes(c.name[0]!)],
  ];
  const parts = ["parley — self-hosted team messenger\n\nUsage: parley COMMAND [ARGS] [FLAGS]\n"];
  for (const [title, pick] of sections) {
    parts.push(`${title}:\n${commands.filter(pick).map(line).join("\n")}\n`);
  }
  return `${parts.join("\n")}${FOOTER}`;
}

export function groupHelp(group: Command[]): string {
  return `Usage:\n${group.map(line).join("\n")}\n${FOOTER}`;
}

export function commandHelp(c: Command): string {
  const flags = Object.entries(c.options ?? {}).map(([k, o]) => `  --${k}${o.type === "string" ? " VALUE" : ""}${o.short ? ` (-${o.short})` : ""}`);
  return `Usage: parley ${c.name.join(" ")} ${c.usage}\n\n${c.summary}\n${c.details ? `\n${c.details.replace(/^\n+/, "").trimEnd()}\n` : flags.length ? `\nFlags:\n${flags.join("\n")}\n` : ""}${FOOTER}`;
}
