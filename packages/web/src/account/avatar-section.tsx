/** The profile picture: choose a file (resized and encoded here, avatar-image.ts), or remove it. */
import { useRef, useState } from "react";
import type { User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeAccountError } from "./account-errors.ts";
import { Avatar } from "./avatar.tsx";
import { encodeAvatar } from "./avatar-image.ts";

export function AvatarSection(props: { me: User; onSaved: (u: User) => void }) {
  const chat = useChat();
  const { me, onSaved } = props;
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<User>, done: string) {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      onSaved(await action());
      setSaved(done);
    } catch (err) {
      setError(describeAccountError(err, "avatar"));
    } finally {
      setBusy(false);
    }
  }

  function chosen(file: File | undefined) {
    if (input.current) input.current.value = ""; // choosing the same file again fires onChange again
    if (!file) return;
    void run(async () => {
      const { contentType, data } = await encodeAvatar(file);
      return chat.client.api.call("setAvatar", { body: { contentType, data } });
    }, "Picture updated.");
  }

  return (
    <section aria-labelledby="profile-avatar-h">
      <h2 id="profile-avatar-h" className="section-title">
        Profile picture
      </h2>
      <div className="avatar-row">
        <Avatar user={me} size={96} />
        <div className="avatar-actions">
          <p className="muted">PNG, JPEG or WebP. It is resized to 256 × 256 pixels in your browser before it is uploaded.</p>
          <input
            ref={input}
            type="file"
            accept="image/png,image/jpeg,image/webp"
            aria-label="Profile picture file"
            hidden
            onChange={(e) => chosen(e.target.files?.[0])}
          />
          <div className="form-actions">
            <button type="button" disabled={busy} onClick={() => input.current?.click()}>
              {busy ? "Saving…" : me.avatar ? "Change picture…" : "Upload a picture…"}
            </button>
            {me.avatar ? (
              <button type="button" className="danger" disabled={busy} onClick={() => void run(() => chat.client.api.call("deleteAvatar"), "Picture removed.")}>
                Remove picture
              </button>
            ) : null}
            {saved ? (
              <span className="verified" role="status">
                {saved}
              </span>
            ) : null}
          </div>
          <FormError error={error} />
        </div>
      </div>
    </section>
  );
}
