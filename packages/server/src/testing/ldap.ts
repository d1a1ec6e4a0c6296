/**
 * A real OpenLDAP server (Debian `slapd`) on 127.0.0.1 for tests: its own slapd.conf, an
 * mdb database in a temp dir loaded from an LDIF of users and groups (slapadd, before it
 * starts), a free port below 32768, optionally StartTLS with a fresh self-signed
 * certificate for 127.0.0.1. Stopped by its PID. Installs slapd with apt-get when it is
 * missing and we are root; otherwise fails with one line saying what to install.
 *
 * The tree: `dc=example,dc=org` with `ou=people` (inetOrgPerson entries, plain-text
 * passwords: the test directory stores them as given) and `ou=groups` (groupOfNames).
 * A read-only service account `cn=parley,ou=services,dc=example,dc=org` may search
 * everything but passwords; users may bind; anonymous may only bind.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import type { LdapSettingsInput } from "@parley/protocol";
import { selfSignedCertificate, type SelfSigned } from "./certs.ts";
import { freePort, waitForListening } from "./ports.ts";

const SLAPD = "/usr/sbin/slapd";
const SLAPADD = "/usr/sbin/slapadd";
const LDAPMODIFY = "/usr/bin/ldapmodify";
const APT_GET = "/usr/bin/apt-get";

export const LDAP_BASE = "dc=example,dc=org";
export const LDAP_PEOPLE = `ou=people,${LDAP_BASE}`;
export const LDAP_GROUPS = `ou=groups,${LDAP_BASE}`;
/** The service account Parley binds as to search. */
export const LDAP_SERVICE_DN = `cn=parley,ou=services,${LDAP_BASE}`;
export const LDAP_SERVICE_PASSWORD = "service-secret-0123";
const ROOT_DN = `cn=admin,${LDAP_BASE}`;
const ROOT_PASSWORD = "root-secret-0123";

/** A person in the test directory. */
export interface LdapPerson {
  uid: string;
  cn: string;
  mail?: string;
  password: string;
}

/** A groupOfNames of people (by uid). */
export interface LdapGroup {
  cn: string;
  members: string[];
}

export interface TestLdap {
  /** `ldap://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** With `tls`: the server certificate (PEM), to trust as the CA. */
  caPem: string | undefined;
  /** The DN of a person by uid. */
  dnOf(uid: string): string;
  /** Add entries (people or groups) to the running directory. */
  add(entries: { people?: LdapPerson[]; groups?: LdapGroup[] }): Promise<void>;
  /** Delete a person (and their group memberships stay dangling, as in a real directory). */
  removePerson(uid: string): Promise<void>;
  /** Replace attributes of a person (e.g. `{ cn: "New Name", mail: "new@example.org" }`). */
  setAttributes(uid: string, attrs: Record<string, string>): Promise<void>;
  /** Replace a group's members. */
  setMembers(group: string, uids: string[]): Promise<void>;
  /** Stop the process (the directory is "down"); `start()` brings it back on the same port with the same data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and remove everything. */
  destroy(): Promise<void>;
}

/** Make sure slapd is installed: apt-get when root, else one clear line. */
export function ensureSlapd(): void {
  if (fs.existsSync(SLAPD) && fs.existsSync(SLAPADD) && fs.existsSync(LDAPMODIFY)) return;
  if (process.getuid?.() !== 0) {
    throw new Error("LDAP tests need Debian's OpenLDAP server: run 'sudo apt-get install -y slapd ldap-utils'");
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => execFileSync(APT_GET, ["install", "-y", "-qq", "--no-install-recommends", "slapd", "ldap-utils"], { env, stdio: "ignore" });
  try {
    install();
  } catch {
    try {
      execFileSync(APT_GET, ["update", "-qq"], { env, stdio: "ignore" });
      install();
    } catch {
      throw new Error("LDAP tests need Debian's OpenLDAP server and it could not be installed: apt-get install -y slapd ldap-utils");
    }
  }
}

const person = (p: LdapPerson) =>
  [
    `dn: uid=${p.uid},${LDAP_PEOPLE}`,
    "objectClass: inetOrgPerson",
    `uid: ${p.uid}`,
    `cn: ${p.cn}`,
    `sn: ${p.cn.split(" ").at(-1) ?? p.cn}`,
    ...(p.mail ? [`mail: ${p.mail}`] : []),
    `userPassword: ${p.password}`,
    "",
  ].join("\n");

const group = (g: LdapGroup) =>
  [
    `dn: cn=${g.cn},${LDAP_GROUPS}`,
    "objectClass: groupOfNames",
    `cn: ${g.cn}`,
    // groupOfNames needs a member: an empty group names the base entry (as directories often do).
    ...(g.members.length ? g.members.map((m) => `member: uid=${m},${LDAP_PEOPLE}`) : [`member: ${LDAP_BASE}`]),
    "",
  ].join("\n");

function baseLdif(): string {
  return [
    `dn: ${LDAP_BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n`,
    `dn: ou=people,${LDAP_BASE}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=groups,${LDAP_BASE}\nobjectClass: organizationalUnit\nou: groups\n`,
    `dn: ou=services,${LDAP_BASE}\nobjectClass: organizationalUnit\nou: services\n`,
    `dn: ${LDAP_SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: parley\nuserPassword: ${LDAP_SERVICE_PASSWORD}\n`,
  ].join("\n");
}

function slapdConf(dir: string, tls: SelfSigned | undefined): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
# Like Active Directory, accept a name with an empty password as an anonymous ("unauthenticated")
# bind that succeeds, so the tests show Parley never takes such a bind as a sign-in.
allow bind_anon_dn
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
${tls ? `TLSCertificateFile ${tls.certFile}\nTLSCertificateKeyFile ${tls.keyFile}\n` : ""}
database mdb
maxsize 67108864
suffix "${LDAP_BASE}"
rootdn "${ROOT_DN}"
rootpw ${ROOT_PASSWORD}
directory ${dir}/data
index objectClass eq
index uid eq
index member eq
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by dn.exact="${LDAP_SERVICE_DN}" read
  by self read
  by * none
`;
}

/** Start a throwaway slapd loaded with `people` and `groups`. */
export async function startTestLdap(opts: { people?: LdapPerson[]; groups?: LdapGroup[]; tls?: boolean } = {}): Promise<TestLdap> {
  ensureSlapd();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-ldap-"));
  fs.mkdirSync(path.join(dir, "data"));
  const tls = opts.tls ? selfSignedCertificate(dir) : undefined;
  const conf = path.join(dir, "slapd.conf");
  fs.writeFileSync(conf, slapdConf(dir, tls));
  const ldif = path.join(dir, "init.ldif");
  fs.writeFileSync(ldif, [baseLdif(), ...(opts.people ?? []).map(person), ...(opts.groups ?? []).map(group)].join("\n"));
  execFileSync(SLAPADD, ["-q", "-f", conf, "-l", ldif], { stdio: "pipe" });
  let port = await freePort();
  let url = `ldap://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  let output = "";

  const start = async () => {
    output = "";
    // -d 0: stay in the foreground (so the PID is ours and it dies with a kill), log nothing.
    const p = spawn(SLAPD, ["-f", conf, "-h", `${url}/`, "-d", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    p.stdout.on("data", (c: Buffer) => (output += c.toString()));
    p.stderr.on("data", (c: Buffer) => (output += c.toString()));
    proc = p;
    // Should the test process end without destroy() (an uncaught error), slapd ends with it.
    const killOnExit = () => p.exitCode === null && p.pid !== undefined && process.kill(p.pid, "SIGTERM");
    process.once("exit", killOnExit);
    p.once("exit", () => process.off("exit", killOnExit));
    try {
      await waitForListening(port, { child: p, what: "slapd", output: () => output });
    } catch (err) {
      await stop();
      throw err;
    }
  };
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.pid === undefined) return;
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    process.kill(p.pid, "SIGTERM");
    const timer = setTimeout(() => p.pid !== undefined && p.exitCode === null && process.kill(p.pid, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const modify = (text: string) => {
    execFileSync(LDAPMODIFY, ["-x", "-H", url, "-D", ROOT_DN, "-w", ROOT_PASSWORD], { input: text, stdio: ["pipe", "ignore", "pipe"] });
  };

  // Another process may take the port between freePort() and slapd's bind: then try another.
  for (let attempt = 0; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      if (attempt >= 3) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await freePort();
      url = `ldap://127.0.0.1:${port}`;
    }
  }
  return {
    url,
    port,
    caPem: tls?.cert,
    dnOf: (uid) => `uid=${uid},${LDAP_PEOPLE}`,
    async add(entries) {
      const text = [...(entries.people ?? []).map(person), ...(entries.groups ?? []).map(group)].map((e) => e.replace(/^(dn: .*)$/m, "$1\nchangetype: add"));
      if (text.length) modify(text.join("\n"));
    },
    async removePerson(uid) {
      modify(`dn: uid=${uid},${LDAP_PEOPLE}\nchangetype: delete\n`);
    },
    async setAttributes(uid, attrs) {
      const changes = Object.entries(attrs).map(([k, v]) => `replace: ${k}\n${k}: ${v}`);
      modify(`dn: uid=${uid},${LDAP_PEOPLE}\nchangetype: modify\n${changes.join("\n-\n")}\n`);
    },
    async setMembers(name, uids) {
      const values = uids.length ? uids.map((u) => `member: uid=${u},${LDAP_PEOPLE}`) : [`member: ${LDAP_BASE}`];
      modify(`dn: cn=${name},${LDAP_GROUPS}\nchangetype: modify\nreplace: member\n${values.join("\n")}\n`);
    },
    stop,
    start,
    async destroy() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parley's LDAP settings for a test directory (groups under ou=groups), with `over` on top. */
export function ldapSettingsFor(l: Pick<TestLdap, "url">, over: Partial<LdapSettingsInput> = {}): LdapSettingsInput {
  return {
    enabled: true,
    url: l.url,
    bindDn: LDAP_SERVICE_DN,
    bindPassword: LDAP_SERVICE_PASSWORD,
    userBase: LDAP_PEOPLE,
    userFilter: "(&(objectClass=inetOrgPerson)(uid={username}))",
    attributes: { id: "entryUUID", username: "uid", displayName: "cn", email: "mail" },
    groups: { base: LDAP_GROUPS, filter: "(objectClass=groupOfNames)", memberAttribute: "member", memberValue: "dn", nameAttribute: "cn" },
    timeoutSeconds: 3,
    ...over,
  };
}
