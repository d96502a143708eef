package verifier

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// HashSize is the length in bytes of every leaf, node and root hash.
const HashSize = sha256.Size

// ErrProof reports a proof that does not verify against the given root(s).
var ErrProof = errors.New("proof does not verify")

// LeafHash returns the RFC 6962 leaf hash of an entry's bytes.
func LeafHash(entry []byte) []byte {
	return rfc6962.DefaultHasher.HashLeaf(entry)
}

// NodeHash returns the RFC 6962 hash of an interior node.
func NodeHash(left, right []byte) []byte {
	return rfc6962.DefaultHasher.HashChildren(left, right)
}

// EmptyRoot is the root hash of the tree of size zero (SHA-256 of nothing).
func EmptyRoot() []byte {
	return rfc6962.DefaultHasher.EmptyRoot()
}

// VerifyInclusion checks that leafHash is the leaf at index in the tree of the
// given size whose root is root. A wrong proof wraps ErrProof.
func VerifyInclusion(index, size uint64, leafHash []byte, hashes [][]byte, root []byte) error {
	if err := checkHashes(append([][]byte{leafHash, root}, hashes...)); err != nil {
		return err
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leafHash, hashes, root); err != nil {
		return fmt.Errorf("%w: inclusion of index %d in tree size %d: %w", ErrProof, index, size, err)
	}
	return nil
}

// VerifyConsistency checks that the tree of size1 with root1 is a prefix of
// the tree of size2 with root2. A wrong proof wraps ErrProof.
func VerifyConsistency(size1, size2 uint64, hashes [][]byte, root1, root2 []byte) error {
	if err := checkHashes(append([][]byte{root1, root2}, hashes...)); err != nil {
		return err
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, hashes, root1, root2); err != nil {
		return fmt.Errorf("%w: consistency from size %d to %d: %w", ErrProof, size1, size2, err)
	}
	return nil
}

func checkHashes(hs [][]byte) error {
	for i, h := range hs {
		if len(h) != HashSize {
			return fmt.Errorf("%w: hash %d has %d bytes, want %d", ErrProof, i, len(h), HashSize)
		}
	}
	return nil
}
