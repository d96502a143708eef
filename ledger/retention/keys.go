package retention

import "fmt"

// Projection key prefixes; see the package documentation.
const (
	prefixState = "ret/pkg/"
	prefixHold  = "ret/hold/"
	prefixEvent = "ret/ev/"
)

func stateKey(pkg string) []byte { return []byte(prefixState + pkg) }

func holdPrefix(pkg string) []byte { return []byte(prefixHold + pkg + "\x00") }

func holdKey(pkg, hold string) []byte { return append(holdPrefix(pkg), hold...) }

func eventPrefix(pkg string) []byte { return []byte(prefixEvent + pkg + "\x00") }

func eventKey(pkg string, index uint64) []byte { return fmt.Appendf(eventPrefix(pkg), "%016x", index) }
