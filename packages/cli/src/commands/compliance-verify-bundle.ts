/**
 * `parley compliance verify-bundle DIR`: checks an eDiscovery bundle offline — the manifest's
 * signature, who signed it (against `--fingerprint` when given), and every file's size and
 * SHA-256 — and lists every problem found (exit 4), not only the first.
 */
import { str, type Command } from "../command.ts";
import { EXIT } from "../errors.ts";
import { verifyEdiscoveryBundle } from "../ediscovery/verify.ts";

export const verifyBundleCommand: Command = {
  name: ["compliance", "verify-bundle"],
  usage: "DIR [--fingerprint F]",
  summary: "Check an eDiscovery bundle: the manifest's signature and every file's SHA-256 (offline)",
  details: `Flags:
  --fingerprint F    the exporting officer's key fingerprint you expect (as they published it)

Needs no server and no sign-in. Exit 4 lists every problem: a changed, missing or extra file, a
manifest that was edited or signed by another key. Without Parley, README.txt in the bundle says
how to check it with OpenSSL and sha256sum.`,
  options: { fingerprint: { type: "string" } },
  min: 1,
  async run(ctx) {
    const dir = ctx.args[0]!;
    let last = -1;
    const r = await verifyEdiscoveryBundle(dir, {
      ...(str(ctx.opts, "fingerprint") !== undefined ? { expectedFingerprint: str(ctx.opts, "fingerprint")! } : {}),
      onProgress: ({ done, total }) => {
        const tenth = Math.floor((done / total) * 10);
        if (tenth !== last) ctx.out.note(`verify: ${done}/${total} files hashed`);
        last = tenth;
      },
    });
    const summary = {
      ok: r.ok,
      checked: r.checked,
      signer: r.signer,
      problems: r.problems,
      counts: r.manifest?.counts ?? null,
      createdAt: r.manifest?.createdAt ?? null,
    };
    ctx.out.result(
      summary,
      r.ok
        ? [
            `OK: the manifest is signed by ${r.signer!.fingerprint} and all ${r.checked} file(s) match it.`,
            `Made ${r.manifest!.createdAt}: ${r.manifest!.counts.items} item(s), ${r.manifest!.counts.attachments} attachment(s).`,
            "Compare the fingerprint with the one the exporting officer published (or pass --fingerprint).",
          ]
        : [
            ...r.problems.map((p) => `${p.code}${p.path ? ` ${p.path}` : ""}: ${p.message}`),
            `FAILED: ${r.problems.length} problem(s): the bundle was changed after it was signed, is incomplete, or is not signed by the expected officer.`,
          ],
    );
    return r.ok ? EXIT.ok : EXIT.mismatch;
  },
};
