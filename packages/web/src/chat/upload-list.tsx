/** Files being uploaded to the channel: name, progress bar and a cancel button each. */
import { Icon } from "../components/icon.tsx";
import { formatBytes } from "./format.ts";
import { dismissUpload, useUploads } from "./uploads.ts";

export function UploadList(props: { channelId: string }) {
  const list = useUploads(props.channelId);
  if (!list.length) return null;
  return (
    <ul className="uploads" aria-label="Uploads">
      {list.map((u) => {
        const pct = u.size ? Math.floor((u.sent / u.size) * 100) : 100;
        return (
          <li key={u.id} className={`upload ${u.state}`}>
            <span className="upload-name">{u.name}</span>
            {u.state === "uploading" ? (
              <>
                <progress max={100} value={pct} aria-label={`Uploading ${u.name}`}>
                  {pct}%
                </progress>
                <span className="muted">
                  {formatBytes(u.sent)} / {formatBytes(u.size)}
                </span>
                <button type="button" className="icon" aria-label={`Cancel upload of ${u.name}`} onClick={u.cancel}>
                  <Icon name="close" />
                </button>
              </>
            ) : (
              <>
                <span className="form-error" role="alert">
                  Upload failed: {u.error}
                </span>
                <button type="button" className="icon" aria-label={`Dismiss ${u.name}`} onClick={() => dismissUpload(u.id)}>
                  <Icon name="close" />
                </button>
              </>
            )}
          </li>
        );
      })}
    </ul>
  );
}
