// Package witness is a transparency-log witness and its client, after the
// C2SP specifications tlog-checkpoint, signed-note, tlog-cosignature and
// tlog-witness.
//
// A witness is an independent party that remembers, for every log it is
// configured with, the last checkpoint (origin, tree size, root hash) it
// cosigned, and cosigns a new checkpoint only when the log's signature
// verifies and a consistency proof shows the new tree to extend the one it
// cosigned before. Once a quorum of witnesses has cosigned a checkpoint,
// even the holder of the log's signing key cannot show two histories: no
// honest witness signs a tree that does not extend the last one it saw.
//
// The server side is [Witness] (the state and the checks, kept durably in
// a directory of its own) and [Witness.Handler] (the HTTP call
// POST /add-checkpoint). The log's side is [Submit], which sends a
// checkpoint and its proof to a witness, [VerifyCosignature] and
// [Quorum]. Checkpoints are parsed generally ([ParseCheckpoint]): any C2SP
// checkpoint note, whatever log made it.
//
// Cosignatures are the Ed25519 cosignature/v1 of C2SP tlog-cosignature: a
// note signature whose key hash is SHA-256(name || "\n" || 0x04 ||
// public key)[:4] and whose signature bytes are an 8-byte big-endian
// timestamp followed by an Ed25519 signature over
// "cosignature/v1\ntime <timestamp>\n" and the checkpoint's note text.
// docs/WITNESS.md describes the protocol and how to run a witness.
package witness
