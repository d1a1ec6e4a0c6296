/**
 * A message's attachments. Everything is decrypted in this browser: images
 * are previewed from a blob: URL of the decrypted bytes (the CSP allows
 * img-src blob:), other files show as a card with name and size. A download
 * verifies the digest the sender put inside the encrypted message before the
 * file is saved through an <a download> link.
 */
import { useEffect, useState } from "react";
import { useChat } from "../client/use-chat.ts";
import { describeDownloadError, downloadFile, type FileDescriptor } from "../client/extras.ts";
import { Icon } from "../components/icon.tsx";
import { formatBytes, isPreviewableImage, PREVIEW_MAX_BYTES } from "./format.ts";
import { saveBlob } from "../components/save-blob.ts";

function ImagePreview(props: { file: FileDescriptor; onError: (msg: string) => void }) {
  const chat = useChat();
  const [url, setUrl] = useState<string>();
  const [load, setLoad] = useState(props.file.size <= PREVIEW_MAX_BYTES);
  const { file, onError } = props;
  useEffect(() => {
    if (!load) return;
    let revoked = false;
    let made: string | undefined;
    downloadFile(chat, file).then(
      (blob) => {
        if (revoked) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      },
      (err: unknown) => {
        if (!revoked) onError(describeDownloadError(err));
      },
    );
    return () => {
      revoked = true;
      if (made) URL.revokeObjectURL(made);
    };
  }, [chat, file, load, onError]);
  if (!load)
    return (
      <button type="button" className="preview-load" onClick={() => setLoad(true)}>
        Show image preview ({formatBytes(file.size)})
      </button>
    );
  return url ? (
    <img className="attachment-image" src={url} alt={file.name} loading="lazy" />
  ) : (
    <div className="attachment-image loading muted" role="status">
      Decrypting {file.name}…
    </div>
  );
}

function Attachment(props: { file: FileDescriptor }) {
  const chat = useChat();
  const { file } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const image = isPreviewableImage(file.mime);
  async function download() {
    setBusy(true);
    setError(undefined);
    try {
      saveBlob(await downloadFile(chat, file), file.name);
    } catch (err) {
      setError(describeDownloadError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <figure className={`attachment${image ? " image" : ""}`} data-file-id={file.fileId}>
      {image ? <ImagePreview file={file} onError={setError} /> : null}
      <figcaption className="attachment-card">
        <span className="attachment-name" title={file.name}>
          {file.name}
        </span>
        <span className="muted">{formatBytes(file.size)}</span>
        <button
          type="button"
          className="icon"
          aria-label={`Download ${file.name}`}
          title="Download (decrypted and verified on this device)"
          disabled={busy}
          onClick={() => void download()}
        >
          <Icon name="download" />
        </button>
        {busy ? (
          <span className="muted" role="status">
            Decrypting…
          </span>
        ) : null}
      </figcaption>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </figure>
  );
}

/** The attachments of one message. */
export function Attachments(props: { files: FileDescriptor[] }) {
  return (
    <div className="attachments" role="group" aria-label="Attachments">
      {props.files.map((f) => (
        <Attachment key={f.fileId} file={f} />
      ))}
    </div>
  );
}
