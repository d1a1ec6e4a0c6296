/** The SSRF guard's address classes (IPv4, IPv6, v4 inside v6) and its URL checks, with real DNS for names. */
import test from "node:test";
import assert from "node:assert/strict";
import { blockedReason, checkTarget } from "./ssrf.ts";

test("refused address classes, in IPv4, IPv6 and IPv4 embedded in IPv6", () => {
  const cases: Array<[string, string | undefined]> = [
    ["127.0.0.1", "loopback"],
    ["127.255.1.2", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["169.254.169.254", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "link-local"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["::7f00:1", "loopback"],
    // Public addresses pass.
    ["8.8.8.8", undefined],
    ["172.32.0.1", undefined],
    ["100.128.0.1", undefined],
    ["2606:4700::1111", undefined],
    ["::ffff:1.1.1.1", undefined],
  ];
  for (const [ip, why] of cases) assert.equal(blockedReason(ip), why, ip);
});

test("target URLs: scheme, credentials, names that resolve to loopback, literal addresses, and the allowlist", async () => {
  const refused = async (url: string, reason: string, allow: string[] = []) => {
    await assert.rejects(checkTarget(url, allow), (err: Error & { reason?: string }) => {
      assert.equal(err.reason, reason, `${url}: ${err.message}`);
      return true;
    });
  };
  await refused("not a url", "bad_url");
  await refused("ftp://example.com/x", "not_http");
  await refused("file:///etc/passwd", "not_http");
  await refused("https://user:pw@example.com/", "credentials");
  await refused("http://localhost:8080/hook", "blocked_address");
  await refused("http://127.0.0.1:8080/hook", "blocked_address");
  await refused("http://[::1]:8080/hook", "blocked_address");
  await refused("http://[::ffff:127.0.0.1]/", "blocked_address");
  await refused("http://169.254.169.254/latest/meta-data", "blocked_address");
  await refused("http://2130706433/", "blocked_address"); // 127.0.0.1 as one decimal number (the URL parser normalises it)
  await refused("http://0x7f.1/", "blocked_address");
  await refused("http://no-such-host.invalid/", "unresolvable");
  // The allowlist names host:port exactly: another port of the same host stays refused.
  const ok = await checkTarget("http://127.0.0.1:8080/hook", ["127.0.0.1:8080"]);
  assert.deepEqual([ok.address, ok.port, ok.family], ["127.0.0.1", 8080, 4]);
  await refused("http://127.0.0.1:8081/hook", "blocked_address", ["127.0.0.1:8080"]);
  await refused("http://127.0.0.1/hook", "blocked_address", ["127.0.0.1:8080"]);
  assert.equal((await checkTarget("https://[::1]:9443/", ["[::1]:9443"])).address, "::1");
});
