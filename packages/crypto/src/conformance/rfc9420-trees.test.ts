// RFC 9420 conformance, the ratchet tree: tree-math, tree-operations, tree-validation and
// treekem (../shared/mls-vectors/test-vectors/). No known failures.
//
// Parley's own code under test: its ratchet-tree reader (tree.ts; the server maps
// devices to leaves with it), the tree hash the server's GroupInfo check uses
// (ts-mls-internal.ts, verify-public.ts), and the commit-secret derivation of Parley's
// ts-mls patch (patches/ts-mls+2.0.0-rc.10.patch: the committer walks from its last
// path secret up to the root, getCommitSecret). Tree math, tree mutation, parent
// hashes, leaf signatures and TreeKEM are ts-mls internals, called directly
// (testing/ts-mls-vectors.ts); tree-math.json tests nothing else.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encode, nodeTypes, protocolVersions, type CiphersuiteId, type CiphersuiteImpl, type GroupContext, type RatchetTree } from "ts-mls";
import { toHex } from "../bytes.ts";
import { treeLeaves } from "../tree.ts";
import { treeHashRoot } from "../ts-mls-internal.ts";
import { hex, runVectorFile } from "../testing/mls-vectors.ts";
import {
  addLeafNodeMutable,
  applyUpdatePath,
  applyUpdatePathSecret,
  createUpdatePath,
  deriveSecret,
  getCommitSecret,
  getHpkePublicKey,
  leafToNodeIndex,
  left,
  nodeToLeafIndex,
  nodeWidth,
  parent,
  proposalDecoder,
  ratchetTreeDecoder,
  ratchetTreeEncoder,
  removeLeafNodeMutable,
  resolution,
  right,
  root,
  sibling,
  toLeafIndex,
  toNodeIndex,
  treeHash,
  updateLeafNodeMutable,
  updatePathDecoder,
  verifyLeafNodeSignature,
  verifyParentHashes,
  type PrivateKeyPath,
} from "../testing/ts-mls-vectors.ts";

const eqHex = (actual: Uint8Array, expected: string, what: string) => assert.equal(toHex(actual), expected, what);

function decodeTree(bytes: string, what: string): RatchetTree {
  const tree = ratchetTreeDecoder(hex(bytes), 0)?.[0];
  assert.ok(tree, `${what} decodes`);
  return tree;
}

/** Parley's tree reader lists exactly the non-blank leaves ts-mls decodes, with their keys and credentials. */
function sameLeavesAsParley(bytes: string, tree: RatchetTree, what: string) {
  const parley = treeLeaves(hex(bytes)).map((l) => [l.leafIndex, toHex(l.signaturePublicKey), l.credentialType, toHex(l.credentialData)]);
  const library = tree.flatMap((n, i) => {
    if (n?.nodeType !== nodeTypes.leaf) return [];
    const c = n.leaf.credential;
    const data = "identity" in c ? c.identity : undefined;
    return [[i / 2, toHex(n.leaf.signaturePublicKey), c.credentialType, data ? toHex(data) : undefined]];
  });
  assert.deepEqual(
    parley.map((l, i) => (library[i]?.[3] === undefined ? l.slice(0, 3) : l)),
    library.map((l) => (l[3] === undefined ? l.slice(0, 3) : l)),
    `${what}: leaves as Parley's reader (tree.ts) lists them`,
  );
}

interface TreeMath {
  n_leaves: number;
  n_nodes: number;
  root: number;
  left: (number | null)[];
  right: (number | null)[];
  parent: (number | null)[];
  sibling: (number | null)[];
}

test("RFC 9420 vectors: tree-math.json", async (t) => {
  await runVectorFile<TreeMath>(t, {
    file: "test-vectors/tree-math.json",
    async run(c) {
      assert.equal(nodeWidth(c.n_leaves), c.n_nodes, "n_nodes");
      assert.equal(root(c.n_leaves), c.root, "root");
      const rel = {
        left: (i: number) => left(toNodeIndex(i)),
        right: (i: number) => right(toNodeIndex(i)),
        parent: (i: number) => parent(toNodeIndex(i), c.n_leaves),
        sibling: (i: number) => sibling(toNodeIndex(i), c.n_leaves),
      };
      for (const [name, f] of Object.entries(rel)) {
        for (const [i, expected] of c[name as keyof typeof rel].entries()) {
          // null: the node has no such relative, and ts-mls refuses to compute one.
          if (expected === null) assert.throws(() => f(i), `${name}(${i}) has none`);
          else assert.equal(f(i), expected, `${name}(${i})`);
        }
      }
    },
  });
});

interface TreeOperation {
  cipher_suite: number;
  tree_before: string;
  tree_hash_before: string;
  proposal: string;
  proposal_sender: number;
  tree_after: string;
  tree_hash_after: string;
}

test("RFC 9420 vectors: tree-operations.json", async (t) => {
  await runVectorFile<TreeOperation>(t, {
    file: "test-vectors/tree-operations.json",
    suiteOf: (c) => c.cipher_suite,
    async run(c, suite) {
      const { impl } = suite!;
      const tree = decodeTree(c.tree_before, "tree_before");
      sameLeavesAsParley(c.tree_before, tree, "tree_before");
      eqHex(await treeHashRoot(tree, impl.hash), c.tree_hash_before, "tree_hash_before (the hash verify-public.ts checks)");
      const proposal = proposalDecoder(hex(c.proposal), 0)?.[0];
      assert.ok(proposal, "proposal decodes");
      const after = tree.slice();
      if ("add" in proposal) addLeafNodeMutable(after, proposal.add.keyPackage.leafNode);
      else if ("update" in proposal) updateLeafNodeMutable(after, proposal.update.leafNode, toLeafIndex(c.proposal_sender));
      else if ("remove" in proposal) removeLeafNodeMutable(after, toLeafIndex(proposal.remove.removed));
      else assert.fail(`proposal type ${proposal.proposalType} does not change the tree`);
      eqHex(encode(ratchetTreeEncoder, after), c.tree_after, "tree_after");
      sameLeavesAsParley(c.tree_after, after, "tree_after");
      eqHex(await treeHashRoot(after, impl.hash), c.tree_hash_after, "tree_hash_after");
    },
  });
});

interface TreeValidation {
  cipher_suite: number;
  tree: string;
  group_id: string;
  tree_hashes: string[];
  resolutions: number[][];
}

test("RFC 9420 vectors: tree-validation.json", async (t) => {
  await runVectorFile<TreeValidation>(t, {
    file: "test-vectors/tree-validation.json",
    suiteOf: (c) => c.cipher_suite,
    async run(c, suite) {
      const { impl } = suite!;
      const tree = decodeTree(c.tree, "tree");
      sameLeavesAsParley(c.tree, tree, "tree");
      for (const [i, h] of c.tree_hashes.entries()) eqHex(await treeHash(tree, toNodeIndex(i), impl.hash), h, `tree hash of node ${i}`);
      eqHex(await treeHashRoot(tree, impl.hash), c.tree_hashes[root((tree.length + 1) / 2)]!, "root tree hash (the hash verify-public.ts checks)");
      for (const [i, r] of c.resolutions.entries()) assert.deepEqual(resolution(tree, toNodeIndex(i)), r, `resolution of node ${i}`);
      assert.ok(await verifyParentHashes(tree, impl.hash), "parent hashes");
      for (const [i, n] of tree.entries()) {
        if (n?.nodeType === nodeTypes.leaf)
          assert.ok(await verifyLeafNodeSignature(n.leaf, hex(c.group_id), nodeToLeafIndex(toNodeIndex(i)), impl.signature), `leaf ${i / 2} signature`);
      }
    },
  });
});

interface TreeKem {
  cipher_suite: number;
  group_id: string;
  epoch: number;
  confirmed_transcript_hash: string;
  ratchet_tree: string;
  leaves_private: { index: number; encryption_priv: string; signature_priv: string; path_secrets: { node: number; path_secret: string }[] }[];
  update_paths: { sender: number; update_path: string; path_secrets: (string | null)[]; commit_secret: string; tree_hash_after: string }[];
}

test("RFC 9420 vectors: treekem.json", async (t) => {
  await runVectorFile<TreeKem>(t, {
    file: "test-vectors/treekem.json",
    suiteOf: (c) => c.cipher_suite,
    async run(c, suite) {
      const { impl } = suite!;
      const tree = decodeTree(c.ratchet_tree, "ratchet_tree");
      sameLeavesAsParley(c.ratchet_tree, tree, "ratchet_tree");
      const gc: GroupContext = {
        version: protocolVersions.mls10,
        cipherSuite: c.cipher_suite as CiphersuiteId,
        groupId: hex(c.group_id),
        epoch: BigInt(c.epoch),
        treeHash: await treeHashRoot(tree, impl.hash),
        confirmedTranscriptHash: hex(c.confirmed_transcript_hash),
        extensions: [],
      };
      const members = await privatePaths(c, tree, impl);
      for (const [u, up] of c.update_paths.entries()) {
        const path = updatePathDecoder(hex(up.update_path), 0)?.[0];
        assert.ok(path, `update path ${u} decodes`);
        const applied = tree.slice();
        await applyUpdatePath(applied, toLeafIndex(up.sender), path, impl.hash);
        const hashAfter = await treeHashRoot(applied, impl.hash);
        eqHex(hashAfter, up.tree_hash_after, `update path ${u}: tree_hash_after`);
        const context = { ...gc, treeHash: hashAfter };
        // Every other member decrypts the vector's path and derives its commit secret.
        for (const m of members) {
          if (m.leafIndex === up.sender) {
            assert.equal(up.path_secrets[m.leafIndex], null, `update path ${u}: the sender has no path secret of its own`);
            continue;
          }
          const got = await applyUpdatePathSecret(tree, m, toLeafIndex(up.sender), context, path, [], impl);
          eqHex(got.pathSecret, up.path_secrets[m.leafIndex]!, `update path ${u}: path secret of leaf ${m.leafIndex}`);
          eqHex(
            await getCommitSecret(tree, got.nodeIndex, got.pathSecret, impl.kdf),
            up.commit_secret,
            `update path ${u}: commit secret of leaf ${m.leafIndex}`,
          );
        }
        // A fresh path from the same sender: the others reach the commit secret the committer
        // derives the way Parley's patched createCommit does (walking up to the root). For
        // the suites Parley offers only: the derivation is the same in every suite, and
        // encrypting a path is slow in the P-256/384/521 suites of ts-mls's default provider.
        if (suite!.source !== "parley") continue;
        const sender = c.leaves_private.find((l) => l.index === up.sender);
        assert.ok(sender, `update path ${u}: the sender's private keys`);
        const [newTree, newPath, secrets] = await createUpdatePath(tree, applied.slice(), toLeafIndex(up.sender), context, hex(sender.signature_priv), impl);
        const last = secrets.at(-1)!;
        const commitSecret = await getCommitSecret(newTree, toNodeIndex(last.nodeIndex), last.secret, impl.kdf);
        const next = { ...gc, epoch: gc.epoch + 1n, treeHash: await treeHashRoot(newTree, impl.hash) };
        for (const m of members) {
          if (m.leafIndex === up.sender) continue;
          const got = await applyUpdatePathSecret(tree, m, toLeafIndex(up.sender), next, newPath, [], impl);
          eqHex(
            await getCommitSecret(tree, got.nodeIndex, got.pathSecret, impl.kdf),
            toHex(commitSecret),
            `update path ${u}: commit secret of leaf ${m.leafIndex} for a new path`,
          );
        }
      }
    },
  });
});

/**
 * Each leaf's private keys: its encryption key, and the node keys its path secrets
 * derive (RFC 9420 §7.4: node_secret = DeriveSecret(path_secret, "node"), then
 * KEM.DeriveKeyPair), each checked against the tree's public key for that node.
 */
async function privatePaths(c: TreeKem, tree: RatchetTree, impl: CiphersuiteImpl): Promise<PrivateKeyPath[]> {
  const out: PrivateKeyPath[] = [];
  for (const leaf of c.leaves_private) {
    const privateKeys: Record<number, Uint8Array> = { [leafToNodeIndex(toLeafIndex(leaf.index))]: hex(leaf.encryption_priv) };
    for (const { node, path_secret } of leaf.path_secrets) {
      const { publicKey, privateKey } = await impl.hpke.deriveKeyPair(await deriveSecret(hex(path_secret), "node", impl.kdf));
      eqHex(await impl.hpke.exportPublicKey(publicKey), toHex(getHpkePublicKey(tree[node]!)), `leaf ${leaf.index}: key of node ${node} from its path secret`);
      privateKeys[node] = await impl.hpke.exportPrivateKey(privateKey);
    }
    out.push({ leafIndex: leaf.index, privateKeys });
  }
  return out;
}
