/**
 * The SAML SP's signing key pair: an RSA-2048 key and a self-signed X.509 certificate for it
 * (SAML metadata carries keys as certificates; nobody checks its chain, IdPs pin it). Built
 * with node:crypto and a few lines of DER, so the server needs no openssl binary.
 */
import crypto from "node:crypto";

/** How long the SP certificate is valid: IdPs pin it, so a long life saves a re-import at every IdP. */
const VALIDITY_MS = 10 * 365 * 24 * 60 * 60 * 1000;

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...c: Buffer[]) => der(0x30, ...c);
const set = (...c: Buffer[]) => der(0x31, ...c);
const oid = (bytes: number[]) => der(0x06, Buffer.from(bytes));
const utf8 = (s: string) => der(0x0c, Buffer.from(s, "utf8"));
const NULL = Buffer.from([0x05, 0x00]);
/** 1.2.840.113549.1.1.11 sha256WithRSAEncryption */
const SHA256_RSA = seq(oid([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]), NULL);
/** 2.5.4.3 commonName */
const CN = [0x55, 0x04, 0x03];

function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, "");
  const year = new Date(ms).getUTCFullYear();
  // UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
  return year < 2050 ? der(0x17, Buffer.from(`${digits.slice(2)}Z`)) : der(0x18, Buffer.from(`${digits}Z`));
}

/** DER as PEM with the given label, in 64-character lines. */
export function pem(label: string, body: Buffer): string {
  const b64 = body.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

/**
 * A certificate serial number from 16 random bytes: a positive DER INTEGER in its one minimal
 * encoding (RFC 5280 4.1.2.2). The first byte is kept in 0x40..0x7f — below 0x80 so the number
 * is positive, not zero so there is no leading zero octet, which DER forbids and OpenSSL refuses
 * ("illegal padding"); 126 random bits remain.
 */
export function certificateSerial(random: Buffer): Buffer {
  const serial = Buffer.from(random);
  serial[0] = 0x40 | (serial[0]! & 0x3f);
  return serial;
}

interface CertificateOptions {
  notBefore?: number;
  notAfter?: number;
  /** 16 bytes for the serial, random by default (tests of its encoding set them). */
  serialRandom?: Buffer;
}

/** A new key pair: the private key (PKCS#8 PEM) and its self-signed certificate (PEM) for `commonName`. */
export function makeSigningKeyPair(commonName: string, opts: CertificateOptions = {}): { privateKey: string; certificate: string } {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return { privateKey: pkcs8, certificate: selfSignedCertificate(pkcs8, commonName, opts) };
}

/** A self-signed certificate (PEM) for an RSA private key (PEM), valid from a minute ago for ten years unless told. */
export function selfSignedCertificate(privateKeyPem: string, commonName: string, opts: CertificateOptions = {}): string {
  const privateKey = crypto.createPrivateKey(privateKeyPem);
  const publicKey = crypto.createPublicKey(privateKey);
  const now = Date.now();
  const name = seq(set(seq(oid(CN), utf8(commonName.slice(0, 64)))));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // version v3
    der(0x02, certificateSerial(opts.serialRandom ?? crypto.randomBytes(16))),
    SHA256_RSA,
    name,
    seq(time(opts.notBefore ?? now - 60_000), time(opts.notAfter ?? now + VALIDITY_MS)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
  );
  const signature = crypto.sign("sha256", tbs, privateKey);
  const cert = seq(tbs, SHA256_RSA, der(0x03, Buffer.from([0]), signature));
  return pem("CERTIFICATE", cert);
}
