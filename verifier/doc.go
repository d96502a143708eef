// Package verifier holds Assay's pure verification code: Merkle leaf hashing,
// inclusion and consistency proof checks, signed checkpoints, and (for job
// exports) DSSE envelopes over canonical JSON.
//
// # No I/O
//
// Nothing here reads files, opens sockets, keeps state between calls or
// imports another Assay package, and its only Ed25519 code is the standard
// library's crypto/ed25519. Auditors, the offline bundle verifier and the
// server itself all call the same functions, so a proof that the server
// hands out is checked by exactly the code an auditor runs.
//
// # Hashing
//
// Trees use RFC 6962 hashing: a leaf is SHA-256(0x00 || entry bytes) and an
// interior node is SHA-256(0x01 || left || right). This is the hashing of
// golang.org/x/mod/sumdb/tlog and of C2SP tlog-checkpoint, so those tools
// verify Assay's proofs unchanged.
package verifier
