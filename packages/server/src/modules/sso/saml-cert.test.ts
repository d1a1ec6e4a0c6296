/**
 * The SP's self-signed certificate: its serial number is a DER INTEGER in minimal form for every
 * value of the random bytes. Before this was so, a serial whose random first byte came out as 0x00
 * followed by a byte below 0x80 was padded illegally, and OpenSSL refused the certificate — one SP
 * certificate (and one test IdP certificate) in 256.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { certificateSerial, makeSigningKeyPair } from "./saml-cert.ts";
import { certificateProblem } from "./saml.ts";

describe("SP certificate serial numbers", () => {
  it("every value of the first two random bytes gives a positive serial with no leading zero octet; the rest is the random bytes", () => {
    const random = crypto.randomBytes(16);
    let checked = 0;
    for (let first = 0; first < 256; first++) {
      for (let second = 0; second < 256; second++) {
        random[0] = first;
        random[1] = second;
        const serial = certificateSerial(random);
        assert.equal(serial.length, 16);
        assert.ok(serial[0]! >= 0x01 && serial[0]! <= 0x7f, `first byte ${serial[0]} for input ${first}`);
        assert.ok(serial.subarray(1).equals(random.subarray(1)));
        checked++;
      }
    }
    assert.equal(checked, 65_536);
    assert.equal(random[0], 255, "the input is not changed");
  });

  it("certificates from the random bytes that used to be padded illegally parse, in date, with that serial", () => {
    for (const head of [
      [0x00, 0x05],
      [0x80, 0x05],
      [0x00, 0x85],
      [0xff, 0xff],
    ]) {
      const random = Buffer.concat([Buffer.from(head), crypto.randomBytes(14)]);
      const { certificate } = makeSigningKeyPair("Parley SP test", { serialRandom: random });
      const cert = new crypto.X509Certificate(certificate);
      assert.equal(cert.serialNumber.toLowerCase(), certificateSerial(random).toString("hex"));
      assert.equal(certificateProblem(certificate, Date.now()), null);
    }
  });
});
