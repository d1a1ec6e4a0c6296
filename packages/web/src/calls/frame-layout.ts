// Which bytes of an encoded frame stay in clear (ADR 0010). RTP packetizers and SFUs read the
// start of some codecs' frames: for VP8 the 3-byte frame tag (key-frame flag, version, size
// of the first partition; RFC 6386 §9.1) and, on a key frame, the 7 more bytes of start code
// and dimensions: 3 and 10 bytes, as other E2EE WebRTC apps do. Those bytes go unencrypted but are
// authenticated as SFrame metadata, so a change to them fails decryption. Opus and VP9 frames
// are encrypted whole; H.264 and AV1, whose packetizers parse NAL units or OBUs inside the
// frame, are not supported for encrypted calls (the call negotiates VP8 or VP9).

/** The media kind of a frame. */
export type MediaKind = "audio" | "video";

/** Codecs an encrypted call may send. */
export const SFRAME_VIDEO_CODECS = ["video/VP8", "video/VP9"] as const;

/** Number of leading bytes of a frame left in clear for the packetizer. */
export function clearPrefixLength(kind: MediaKind, mimeType: string | undefined, keyFrame: boolean): number {
  if (kind === "audio") return 0;
  if (mimeType?.toLowerCase() === "video/vp8") return keyFrame ? 10 : 3;
  return 0;
}
