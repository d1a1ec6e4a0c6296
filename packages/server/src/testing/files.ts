/**
 * Test helpers for attachments over real HTTP: chunked upload, download, and
 * where a server keeps its blobs (the plaintext-canary test scans it).
 */
import { blobDirOf } from "../platform/blobs/index.ts";
import type { ParleyServer } from "../server.ts";
import type { AnyBody, TestUser } from "./factories.ts";

/** Directory holding a server's attachment blobs (PARLEY_BLOB_DIR or <dataDir>/blobs). */
export function blobDirOfServer(server: Pick<ParleyServer, "deps">): string {
  return blobDirOf(server.deps.config);
}

type ServerLike = Pick<ParleyServer, "url">;

/** PATCH one chunk at `offset`; returns status and the JSON body. */
export async function patchChunk(
  server: ServerLike,
  user: TestUser,
  fileId: string,
  offset: number,
  bytes: Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: AnyBody }> {
  const res = await fetch(`${server.url}/api/v1/files/${fileId}`, {
    method: "PATCH",
    body: bytes as Uint8Array<ArrayBuffer>,
    headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/octet-stream", "upload-offset": String(offset), ...headers },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Create an upload and send `bytes` in chunks of `chunkSize`; returns the file id. Throws on any failure. */
export async function uploadFile(server: ServerLike, user: TestUser, channelId: string, bytes: Uint8Array, chunkSize = 64 * 1024): Promise<string> {
  const created = await user.api("POST", `/channels/${channelId}/files`, { size: bytes.length });
  if (created.status !== 201) throw new Error(`createFile: HTTP ${created.status} ${JSON.stringify(created.body)}`);
  const fileId = created.body.fileId as string;
  for (let off = 0; off < bytes.length; off += chunkSize) {
    const r = await patchChunk(server, user, fileId, off, bytes.subarray(off, off + chunkSize));
    if (r.status !== 200) throw new Error(`uploadFileChunk at ${off}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }
  return fileId;
}

/** GET a file (optionally a Range): status, headers and the raw bytes (or the error body). */
export async function fetchFile(
  server: ServerLike,
  user: TestUser,
  fileId: string,
  range?: string,
): Promise<{ status: number; headers: Headers; bytes: Buffer; error: AnyBody }> {
  const res = await fetch(`${server.url}/api/v1/files/${fileId}`, {
    headers: { authorization: `Bearer ${user.accessToken}`, ...(range ? { range } : {}) },
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const error = res.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(bytes.toString()) : undefined;
  return { status: res.status, headers: res.headers, bytes, error };
}
