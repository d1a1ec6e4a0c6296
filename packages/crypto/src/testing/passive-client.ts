// A passive MLS client for the RFC 9420 passive-client vectors and the interop suite's
// passive cases (same format): join from the Welcome, process every proposal and
// commit, and reach each epoch's authenticator.
//
// It runs the join and message-processing core every Parley device runs —
// group.ts `joinWithKeyPackage` and messages.ts `applyMessage` (the ts-mls calls, error
// translation, zeroing of consumed keys) — on bytes decoded by wire.ts, with one
// deliberate difference: the vectors' members carry foreign credentials, which Parley's
// authentication service (group-state.ts `mlsContext`: only the org's device and server
// credentials, then the caller's leaf policy) refuses by design. So the MLS context here
// has ts-mls's accept-everything `unsafeTestingAuthenticationService` and the vector's
// external PSKs. This module lives in testing/ (test code: lint forbids production code
// to import it) and is not exported by any package entry.
//
// For the suites Parley offers, every handshake message also goes through what the
// server does with it (verify-public.ts and inspect.ts, key-less): the commit or
// proposal signature against a GroupInfo of the epoch, the transcript hash and
// confirmation tag a commit leads to, the ProposalRefs the server matches its Remove
// proposals by, and the Welcome's routing by KeyPackageRef.
import assert from "node:assert/strict";
import {
  bytesToBase64,
  makeKeyPackageRef,
  unsafeTestingAuthenticationService,
  wireformats,
  type ClientState,
  type KeyPackage,
  type MlsContext,
  type MlsFramedMessage,
} from "ts-mls";
import { toHex } from "../bytes.ts";
import { isE2eeError } from "../errors.ts";
import { encodeGroupInfo, joinWithKeyPackage } from "../group.ts";
import type { PolicyProbe } from "../group-state.ts";
import { inspectMlsMessage, keyPackageSignatureValid, privateMessageHeader } from "../inspect.ts";
import { applyMessage } from "../messages.ts";
import { suiteFromId } from "../suites.ts";
import { verifyGroupInfo, verifyPublicMessage, type VerifiedGroupInfo } from "../verify-public.ts";
import { decodeMlsMessage } from "../wire.ts";
import { hex } from "./mls-vectors.ts";
import { ratchetTreeDecoder } from "./ts-mls-vectors.ts";
import type { VectorSuite } from "./vector-suites.ts";

/** One case of passive-client-*.json and interop-passive/*.json (mls-implementations test-vectors.md). */
export interface PassiveCase {
  cipher_suite: number;
  external_psks: { psk_id: string; psk: string }[];
  key_package: string;
  signature_priv: string;
  encryption_priv: string;
  init_priv: string;
  welcome: string;
  ratchet_tree: string | null;
  initial_epoch_authenticator: string;
  epochs: { proposals: string[]; commit: string; epoch_authenticator: string }[];
}

/** Runs one passive-client case; throws at the first step that does not conform. */
export async function runPassiveClient(c: PassiveCase, suite: VectorSuite): Promise<void> {
  const { impl } = suite;
  const kpMsg = decodeMlsMessage(hex(c.key_package));
  const welcomeMsg = decodeMlsMessage(hex(c.welcome));
  assert.equal(kpMsg.wireformat, wireformats.mls_key_package, "key_package is not a KeyPackage");
  assert.equal(welcomeMsg.wireformat, wireformats.mls_welcome, "welcome is not a Welcome");
  if (kpMsg.wireformat !== wireformats.mls_key_package || welcomeMsg.wireformat !== wireformats.mls_welcome) return;
  const keyPackage = kpMsg.keyPackage;
  // The server accepts only the suites Parley offers: only there does its view apply.
  const server = suite.source === "parley" ? new ServerView() : undefined;
  await server?.checkJoin(keyPackage, hex(c.welcome), suite);

  const context: MlsContext = {
    cipherSuite: impl,
    authService: unsafeTestingAuthenticationService,
    externalPsks: Object.fromEntries(c.external_psks.map((p) => [bytesToBase64(hex(p.psk_id)), hex(p.psk)])),
  };
  const probe: PolicyProbe = {};
  const ratchetTree = c.ratchet_tree ? ratchetTreeDecoder(hex(c.ratchet_tree), 0)?.[0] : undefined;
  if (c.ratchet_tree) assert.ok(ratchetTree, "ratchet_tree does not decode");
  let state = await joinWithKeyPackage(context, probe, {
    welcome: welcomeMsg.welcome,
    keyPackage,
    privateKeys: { initPrivateKey: hex(c.init_priv), hpkePrivateKey: hex(c.encryption_priv), signaturePrivateKey: hex(c.signature_priv) },
    ratchetTree,
  });
  assert.equal(toHex(state.keySchedule.epochAuthenticator), c.initial_epoch_authenticator, "epoch authenticator after joining");

  for (const [e, epoch] of c.epochs.entries()) {
    await server?.startEpoch(state, suite);
    for (const [m, bytes] of [...epoch.proposals, epoch.commit].entries()) {
      const kind = m < epoch.proposals.length ? "proposal" : "commit";
      const step = kind === "proposal" ? `epoch ${e} proposal ${m}` : `epoch ${e} commit`;
      const msg = decodeMlsMessage(hex(bytes));
      if (msg.wireformat !== wireformats.mls_public_message && msg.wireformat !== wireformats.mls_private_message)
        assert.fail(`${step} is not a framed message`);
      const before = state;
      try {
        state = (await applyMessage(context, probe, state, msg as MlsFramedMessage)).newState;
      } catch (err) {
        throw new Error(`${step}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      await server?.check(step, kind, hex(bytes), before, state);
    }
    assert.equal(toHex(state.keySchedule.epochAuthenticator), epoch.epoch_authenticator, `epoch authenticator after epoch ${e}`);
  }
}

/** The server's key-less view of each handshake message (suites Parley offers only). */
class ServerView {
  /** The epoch's GroupInfo: verified as the server does for the first epoch, then passed as bytes (verify-public.ts takes either). */
  groupInfo?: VerifiedGroupInfo | Uint8Array;
  /** ProposalRefs (hex) of this epoch's proposals, as the server computes them. */
  refs = new Set<string>();
  /** False once a proposal has no ref the server can compute (a PrivateMessage, a foreign credential in an Add): by-reference checks are off. */
  refsComplete = true;

  /** The KeyPackage upload check (its signature, parseKeyPackage's TBS) and the Welcome's routing by KeyPackageRef. */
  async checkJoin(keyPackage: KeyPackage, welcome: Uint8Array, suite: VectorSuite): Promise<void> {
    assert.ok(await keyPackageSignatureValid(keyPackage, suite.impl.signature), "the KeyPackage signature does not verify (inspect.ts)");
    const ref = toHex(await makeKeyPackageRef(keyPackage, suite.impl.hash));
    const routed = await inspectMlsMessage(welcome);
    assert.ok(routed.welcomeFor?.includes(ref), "the server would not route the Welcome to this KeyPackage (inspect.ts welcomeFor)");
  }

  async startEpoch(state: ClientState, suite: VectorSuite): Promise<void> {
    // The GroupInfo a member would post with its commit for this epoch (group.ts). The
    // server verifies each one it stores; here the first one is enough to cover that code
    // (re-hashing the whole tree every epoch costs seconds over passive-client-random.json).
    const groupInfo = await encodeGroupInfo(state, suite.impl);
    this.groupInfo = this.groupInfo ? groupInfo : await verifyGroupInfo(groupInfo);
    this.refs.clear();
    this.refsComplete = true;
  }

  async check(step: string, kind: "proposal" | "commit", bytes: Uint8Array, before: ClientState, after: ClientState): Promise<void> {
    const suite = suiteFromId(before.groupContext.cipherSuite);
    const header = privateMessageHeader(bytes);
    if (header) {
      // The server sees only the header of a PrivateMessage handshake (and no ProposalRef).
      assert.deepEqual(
        [toHex(header.groupId), header.epoch, header.contentType],
        [toHex(before.groupContext.groupId), before.groupContext.epoch, kind],
        `${step}: PrivateMessage header`,
      );
      if (kind === "proposal") this.refsComplete = false;
      return;
    }
    const verified = await verifyPublicMessage(bytes, this.groupInfo!, { suite });
    assert.equal(verified.contentType, kind, `${step}: content type as the server reads it`);
    let info;
    try {
      info = await inspectMlsMessage(bytes, { suite });
    } catch (err) {
      // A foreign credential in an Add: the server refuses it (Parley devices only); nothing else may fail.
      if (!isE2eeError(err) || err.code !== "bad_input" || !/credential/i.test(err.message)) throw err;
      this.refsComplete = false;
      return;
    }
    if (verified.contentType === "proposal") {
      const stored = Object.keys(after.unappliedProposals).filter((k) => !(k in before.unappliedProposals));
      assert.deepEqual(stored, [bytesToBase64(hex(info.proposalRefHex!))], `${step}: the server's ProposalRef (inspect.ts) differs from the member's`);
      this.refs.add(info.proposalRefHex!);
      return;
    }
    if (this.refsComplete) for (const r of info.proposalRefs) assert.ok(this.refs.has(r), `${step}: commit names a proposal ref the server never saw`);
    const next = verified.next!;
    assert.equal(next.epoch, after.groupContext.epoch, `${step}: epoch the commit leads to`);
    assert.equal(
      toHex(next.confirmedTranscriptHash),
      toHex(after.groupContext.confirmedTranscriptHash),
      `${step}: transcript hash the server predicts (verify-public.ts)`,
    );
    assert.equal(toHex(next.confirmationTag), toHex(after.confirmationTag), `${step}: confirmation tag`);
  }
}
