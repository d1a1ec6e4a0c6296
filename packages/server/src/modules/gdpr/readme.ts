/**
 * The texts inside a data-subject export: README.txt (what each file holds, and why message
 * content is not there) and processing.json (the purposes, categories, recipients and
 * retention of the processing — GDPR Art. 15(1)(a)-(h); docs/gdpr.md has the same table).
 */

/** The org's retention periods in days (null: kept until deleted), from its retention policy. */
interface RetentionDays {
  events: number | null;
  files: number | null;
  audit: number | null;
}

const PURPOSES = [
  {
    activity: "Account and sign-in",
    data: "username, display name, email address, role, password (stored only as an argon2id hash), second factors, sessions and devices",
    purpose: "let you sign in and keep your account secure",
    typicalLegalBasis: "Art. 6(1)(b) contract (employment or service) or 6(1)(f) legitimate interest of the organisation",
  },
  {
    activity: "Messaging",
    data: "channel memberships, read positions, the metadata of events you send (time, channel, kind, size); the content is end-to-end encrypted and unreadable to the server",
    purpose: "deliver and synchronise your conversations",
    typicalLegalBasis: "Art. 6(1)(b) or 6(1)(f)",
  },
  {
    activity: "Identity providers",
    data: "links to the organisation's single sign-on, SCIM and LDAP directories and what they send about you (names, ids, groups)",
    purpose: "provision and sign in accounts from the organisation's directory",
    typicalLegalBasis: "Art. 6(1)(f) legitimate interest (central identity management)",
  },
  {
    activity: "Security audit log",
    data: "who did what and when; usernames and client addresses sealed under a per-person key that erasure destroys",
    purpose: "security, accountability and proof of integrity",
    typicalLegalBasis: "Art. 6(1)(c) legal obligation (where the organisation is regulated) or 6(1)(f)",
  },
  {
    activity: "Compliance (retention, legal hold)",
    data: "the records above, kept for the periods the organisation set, or longer under a legal hold for a named matter",
    purpose: "meet record-keeping duties and preserve evidence",
    typicalLegalBasis: "Art. 6(1)(c) legal obligation, Art. 17(3)(b) and (e)",
  },
];

/** processing.json. */
export function processingInfo(org: { name: string; slug: string }, retention: RetentionDays) {
  return {
    controller: {
      organisation: org.name,
      slug: org.slug,
      note: "the organisation that runs this Parley server is the controller; ask its administrators or data protection officer",
    },
    processing: PURPOSES,
    consent:
      "Parley asks for no consent and keeps no consent records: the organisation relies on the bases above. What you add yourself (profile picture, status line, display name) you can change or remove at any time.",
    recipients:
      "the organisation's administrators and compliance officers; other members see your name, picture, status and memberships; the server's operator",
    retention: {
      messagesDays: retention.events,
      attachmentsDays: retention.files,
      auditLogDays: retention.audit,
      note: "null means kept until deleted; a legal hold keeps what it covers past these periods",
    },
    sources: "you, the organisation's administrators, and its identity providers (single sign-on, SCIM, LDAP) where it uses them",
    automatedDecisions: "none",
    yourRights:
      "access (this export), rectification (your profile, or an administrator), erasure (ask the compliance officers: `parley me erase-request` or the web app), restriction and objection (the organisation's data protection officer)",
  };
}

/** README.txt. */
export function readmeText(a: { org: string; username: string; generatedAt: number; by: "self" | "officer" }): string {
  return `Parley data-subject export
==========================

Organisation: ${a.org}
Account:      ${a.username}
Made:         ${new Date(a.generatedAt).toISOString()} ${a.by === "self" ? "by you" : "by a compliance officer of the organisation"}

This archive holds everything the Parley server stores about this account, as JSON.
Times are milliseconds since 1970-01-01 UTC; ids are the server's.

  manifest.json        the files below with their SHA-256, and who made the export when
  profile.json         username, display name, email address, role, custom roles, status line
  avatar.*             your profile picture, if you set one
  security.json        password (whether set, when changed), authenticator app, recovery
                       codes (how many, when used), passkeys, API keys, email and
                       password-reset links, second-factor sign-ins
  devices.json         your devices, their encryption registration and approval
  sessions.json        your sign-in sessions (when, from which device, how they ended)
  identity-providers.json  single sign-on, SCIM and LDAP links and what they sent about you
  key-locker.json      whether you have a key locker and how many sealed entries it holds
  channels.json        channel memberships with names, your role, join time and read position
  events-sent.jsonl    one line per message, reaction, edit or deletion you sent: channel,
                       time, kind, thread, mentions and attachment ids - no content
  uploads.json         attachments you uploaded (sizes; names and keys are end-to-end encrypted)
  mentions-invites.json  where you were mentioned; invites you created
  notifications.jsonl  your account's notification stream (membership and device changes)
  audit.jsonl          security audit entries about you, with your personal data opened;
                       personal data of other people in them is withheld
  requests.json        your data-subject requests and earlier exports
  processing.json      why and on which basis the organisation processes this data, who sees
                       it, how long it is kept

What is NOT in this archive, and why
------------------------------------
Message content. Parley is end-to-end encrypted: the texts, reactions, edits and files
you and others sent are encrypted on the sending device and the server has no key to
read them. Your own devices can: the command-line client adds your decrypted history
to this archive (\`parley me export --out FILE.zip\`, which writes messages/<channel>.jsonl),
and so does the web app's export button.

Secrets. The password hash, authenticator secret, recovery-code and token hashes, API
keys, your key locker's recovery blob and the server's keys are never exported: they
would add nothing you can use and could be misused if this file leaked.

Records kept for the organisation's legal duties (a legal hold's matter) are not part
of this export; ask the organisation's data protection officer.
`;
}
