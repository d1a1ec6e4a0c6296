/**
 * A software WebAuthn authenticator for server tests: it answers registration and
 * authentication options the way a platform authenticator does (packed "none"
 * attestation, an ES256 key, a signature counter, user presence and verification flags),
 * so the server's checks run against real signatures. Browser tests use Chromium's
 * virtual authenticator instead. Test tooling only.
 */
import crypto from "node:crypto";

/** Minimal CBOR encoding (RFC 8949) of the few types authenticator data uses. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") {
    const b = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, b.length), b]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  if (value instanceof Map) {
    const parts = [head(5, value.size)];
    for (const [k, v] of value) parts.push(cbor(k), cbor(v));
    return Buffer.concat(parts);
  }
  throw new Error(`cbor: unsupported ${typeof value}`);
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const sha256 = (b: Uint8Array | string) => crypto.createHash("sha256").update(b).digest();

interface Credential {
  id: Buffer;
  userHandle: string;
  key: crypto.KeyObject;
  counter: number;
}

export interface SoftAuthenticatorOptions {
  /** The origin the "browser" reports (default: the one passed per call). */
  userVerified?: boolean;
}

/** A software authenticator holding its credentials in memory. */
export class SoftAuthenticator {
  readonly credentials: Credential[] = [];
  userVerified: boolean;

  constructor(opts: SoftAuthenticatorOptions = {}) {
    this.userVerified = opts.userVerified ?? true;
  }

  private authData(rpId: string, counter: number, attested?: { id: Buffer; publicKey: crypto.KeyObject }): Buffer {
    const flags = 0x01 | (this.userVerified ? 0x04 : 0) | (attested ? 0x40 : 0);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    const parts: Buffer[] = [sha256(rpId), Buffer.from([flags]), count];
    if (attested) {
      const jwk = attested.publicKey.export({ format: "jwk" });
      const cose = new Map<number, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, "base64url")],
        [-3, Buffer.from(jwk.y!, "base64url")],
      ]);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(attested.id.length);
      parts.push(Buffer.alloc(16), len, attested.id, cbor(cose));
    }
    return Buffer.concat(parts);
  }

  /** Answer PublicKeyCredentialCreationOptionsJSON: a new credential. */
  register(options: Record<string, unknown>, origin: string): Record<string, unknown> {
    const rp = options.rp as { id: string };
    const user = options.user as { id: string };
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const id = crypto.randomBytes(16);
    this.credentials.push({ id, userHandle: user.id, key: privateKey, counter: 0 });
    const clientDataJSON = Buffer.from(JSON.stringify({ type: "webauthn.create", challenge: options.challenge, origin, crossOrigin: false }));
    const attestationObject = cbor(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", this.authData(rp.id, 0, { id, publicKey })],
      ]),
    );
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: "public-key",
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ["internal"] },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** Answer PublicKeyCredentialRequestOptionsJSON with a credential (the first allowed one, or `credential`). */
  authenticate(options: Record<string, unknown>, origin: string, credential?: Credential): Record<string, unknown> {
    const allowed = (options.allowCredentials as Array<{ id: string }> | undefined)?.map((c) => c.id);
    const cred = credential ?? this.credentials.find((c) => !allowed?.length || allowed.includes(b64url(c.id)));
    if (!cred) throw new Error("the authenticator holds no allowed credential");
    cred.counter += 1;
    const authenticatorData = this.authData(options.rpId as string, cred.counter);
    const clientDataJSON = Buffer.from(JSON.stringify({ type: "webauthn.get", challenge: options.challenge, origin, crossOrigin: false }));
    const signature = crypto.sign("sha256", Buffer.concat([authenticatorData, sha256(clientDataJSON)]), cred.key);
    return {
      id: b64url(cred.id),
      rawId: b64url(cred.id),
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        userHandle: cred.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }
}
