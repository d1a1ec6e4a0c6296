/**
 * The readable transcript of one channel (`rendering/<channel>.html`): every item in seq
 * order with its sender, time, flags (edit, deletion, legal hold, failed signature) and
 * attachments linked to their files in the bundle. Text is shown as written (markdown is not
 * rendered) and escaped; a Content-Security-Policy that allows no script or remote load
 * backs the escaping up.
 */
import type { ExportChannel, ExportItem, ExportParameters, WrittenAttachment } from "./items.ts";

/** Escapes text for HTML element content and quoted attribute values. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A bundle-relative path as a link from rendering/ (each segment percent-encoded). */
function href(bundlePath: string): string {
  const rel = bundlePath.startsWith("rendering/") ? bundlePath.slice("rendering/".length) : `../${bundlePath}`;
  return rel
    .split("/")
    .map((seg) => (seg === ".." ? seg : encodeURIComponent(seg)))
    .join("/");
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#111}
header.channel{border-bottom:2px solid #333;margin-bottom:1em}
article{border-bottom:1px solid #ddd;padding:.5em 0}
article .meta{color:#555;font-size:90%}
article .text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0}
.badge{display:inline-block;border:1px solid #888;border-radius:3px;padding:0 .3em;margin-left:.3em;font-size:85%}
.held{border-color:#a60;color:#a60}.deleted{border-color:#a00;color:#a00}.bad{background:#fee;border-color:#a00;color:#a00}
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}dt{font-weight:bold}`;

/** The document's start: title, export parameters and members. */
export function htmlHead(channel: ExportChannel, parameters: ExportParameters, createdAt: string, generator: string): string {
  const members = channel.members.map((m) => `<li>${escapeHtml(m.displayName)} (@${escapeHtml(m.username)}, ${escapeHtml(m.userId)})</li>`).join("\n");
  const param = (v: string | null) => (v === null ? "—" : escapeHtml(v));
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self'">
<meta name="generator" content="${escapeHtml(generator)}">
<title>${escapeHtml(channel.name)} — eDiscovery transcript</title>
<style>${STYLE}</style></head>
<body>
<header class="channel"><h1>${escapeHtml(channel.name)}</h1>
<dl><dt>Channel id</dt><dd>${escapeHtml(channel.id)}</dd><dt>Kind</dt><dd>${escapeHtml(channel.kind)}</dd>
<dt>Organisation</dt><dd>${escapeHtml(parameters.orgId)}</dd>
<dt>Export scope</dt><dd>channel ${param(parameters.channel)}, user ${param(parameters.user)}, from ${param(parameters.from)} to ${param(parameters.to)}</dd>
<dt>Exported</dt><dd>${escapeHtml(createdAt)} (times are UTC)</dd></dl>
<h2>Members</h2><ul>
${members}
</ul></header>
<main>
`;
}

function badges(item: ExportItem): string {
  const out: string[] = [];
  if (item.kind === "edit") out.push(`edit of #${item.target ?? "?"}`);
  if (item.kind === "delete") out.push(`deletion of #${item.target ?? "?"}`);
  if (item.kind === "reaction") out.push(`reaction to #${item.target ?? "?"}`);
  if (item.threadRoot !== null) out.push(`in thread #${item.threadRoot}`);
  const html = out.map((b) => `<span class="badge">${escapeHtml(b)}</span>`);
  if (item.unavailable !== undefined) html.push(`<span class="badge bad">content unavailable: ${escapeHtml(item.unavailable)}</span>`);
  if (item.deletedLater) html.push(`<span class="badge deleted">deleted later</span>`);
  if (item.legalHold) html.push(`<span class="badge held">legal hold</span>`);
  if (item.signature.status === "failed") html.push(`<span class="badge bad">signature failed: ${escapeHtml(item.signature.reason)}</span>`);
  return html.join("");
}

/** One item of the transcript. */
export function htmlItem(item: ExportItem, sentAt: string, files: WrittenAttachment[], eml: string): string {
  const body = item.kind === "reaction" ? (item.emoji ?? "") : (item.text ?? "");
  const list = files.map((f) =>
    "path" in f
      ? `<li><a href="${escapeHtml(href(f.path))}">${escapeHtml(f.name)}</a> (${escapeHtml(f.contentType)}, ${f.size} bytes, SHA-256 ${f.sha256})</li>`
      : `<li>${escapeHtml(f.name)} (${escapeHtml(f.contentType)}): <strong>unavailable</strong>, ${escapeHtml(f.unavailable)}</li>`,
  );
  const anchor = `seq-${item.seq}`;
  return `<article id="${anchor}" class="kind-${item.kind}">
<div class="meta"><a href="#${anchor}">#${item.seq}</a> <time datetime="${sentAt}">${sentAt.replace("T", " ").replace(/\.\d+Z$/, "Z")}</time>
<strong>${escapeHtml(item.sender.displayName)}</strong> @${escapeHtml(item.sender.username)} (device ${escapeHtml(item.senderDeviceId)})${badges(item)}
<a href="${escapeHtml(href(eml))}">.eml</a></div>
${body ? `<div class="text">${escapeHtml(body)}</div>` : ""}${list.length ? `<ul class="files">${list.join("")}</ul>` : ""}
</article>
`;
}

/** The document's end. */
export function htmlFoot(items: number): string {
  return `</main>
<footer><p>${items} item(s). The signed manifest.json of this bundle lists the SHA-256 of this file and of every other.</p></footer>
</body></html>
`;
}
