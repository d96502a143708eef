package retention

import "fmt"

// Projection key prefixes; see the package documentation.
const (
	prefixState = "ret/pkg/"
	prefixHold  = "ret/hold/"
	prefixEvent = "ret/ev/"

	prefixDeletion = "ret/del/"
	prefixPending  = "ret/pend/"
	prefixEligible = "ret/elig/"
	prefixBlob     = "ret/blob/"
)

func deletionKey(pkg string) []byte { return []byte(prefixDeletion + pkg) }

func pendingKey(pkg string) []byte { return []byte(prefixPending + pkg) }

func eligibleKey(pkg string) []byte { return []byte(prefixEligible + pkg) }

func blobCountKey(hex string) []byte { return []byte(prefixBlob + hex) }

func stateKey(pkg string) []byte { return []byte(prefixState + pkg) }

func holdPrefix(pkg string) []byte { return []byte(prefixHold + pkg + "\x00") }

func holdKey(pkg, hold string) []byte { return append(holdPrefix(pkg), hold...) }

func eventPrefix(pkg string) []byte { return []byte(prefixEvent + pkg + "\x00") }

func eventKey(pkg string, index uint64) []byte { return fmt.Appendf(eventPrefix(pkg), "%016x", index) }
