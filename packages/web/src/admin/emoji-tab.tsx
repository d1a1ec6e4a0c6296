/**
 * Admin console → Emoji: the org's custom emoji with Delete, and the upload form (a shortcode
 * and an image, resized here). Custom emoji are org assets stored on the server in the clear,
 * not end-to-end encrypted: the form says so. Uploads and deletes are audited.
 */
import { useState } from "react";
import { EmojiShortcode } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { useCustomEmoji } from "../emoji/custom-emoji.ts";
import { EmojiGlyph } from "../emoji/emoji-glyph.tsx";
import { encodeEmoji } from "../emoji/emoji-image.ts";

export function EmojiTab() {
  const chat = useChat();
  const set = useCustomEmoji(chat);
  const [name, setName] = useState("");
  const [file, setFile] = useState<File>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function upload() {
    setError(undefined);
    const shortcode = name.trim().replace(/^:|:$/g, "").toLowerCase();
    if (!EmojiShortcode.safeParse(shortcode).success) return setError("A shortcode is 2 to 32 lowercase letters, digits, _, - or +.");
    if (!file) return setError("Choose an image.");
    setBusy(true);
    try {
      const body = await encodeEmoji(file);
      await chat.client.api.call("createCustomEmoji", { params: { name: shortcode }, body });
      setName("");
      setFile(undefined);
      await set.reload();
    } catch (err) {
      setError(err instanceof Error && !("code" in err) ? err.message : describeError(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove(n: string) {
    setError(undefined);
    try {
      await chat.client.api.call("deleteCustomEmoji", { params: { name: n } });
      await set.reload();
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <section aria-labelledby="emoji-h">
      <h3 id="emoji-h">Custom emoji</h3>
      <p className="muted">
        Members use them as <code>:shortcode:</code> in messages and reactions. The images are stored on the server for the whole org and are not end-to-end
        encrypted (like profile pictures); the messages that use them are.
      </p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void upload();
        }}
      >
        <label>
          Shortcode <input value={name} onChange={(e) => setName(e.target.value)} placeholder="party-parrot" disabled={busy} />
        </label>
        <label>
          Image <input type="file" accept="image/png,image/gif,image/webp,image/jpeg" onChange={(e) => setFile(e.target.files?.[0])} disabled={busy} />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? "Uploading…" : "Upload"}
        </button>
      </form>
      <FormError error={error} />
      <table aria-label="Custom emoji">
        <thead>
          <tr>
            <th>Emoji</th>
            <th>Shortcode</th>
            <th>Added by</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {set.list().map((e) => (
            <tr key={e.name}>
              <td>
                <EmojiGlyph emoji={`:${e.name}:`} />
              </td>
              <td>
                <code>:{e.name}:</code>
              </td>
              <td>{chat.userName(e.createdBy)}</td>
              <td>
                <button type="button" onClick={() => void remove(e.name)} aria-label={`Delete :${e.name}:`}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
