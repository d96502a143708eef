package promotion

import "fmt"

// Projection key prefixes; see the package documentation.
const (
	prefixRequest     = "pro/req/"
	prefixRequestList = "pro/reql/"
	prefixProgress    = "pro/obj/"
	prefixItem        = "pro/q/"
	prefixItemList    = "pro/ql/"
	prefixOpen        = "pro/open/"
)

// openKey indexes an unfinished promotion by the index of its request, so
// that the worker takes them up in log order after a restart.
func openKey(index uint64) []byte { return fmt.Appendf([]byte(prefixOpen), "%016x", index) }

func requestKey(id string) []byte { return []byte(prefixRequest + id) }

func requestListPrefix(tenant string) []byte { return []byte(prefixRequestList + tenant + "\x00") }

func requestListKey(tenant string, index uint64) []byte {
	return fmt.Appendf(requestListPrefix(tenant), "%016x", index)
}

func progressPrefix(id string) []byte { return []byte(prefixProgress + id + "\x00") }

func progressKey(id, sourceKey string) []byte { return append(progressPrefix(id), sourceKey...) }

func itemKey(id string) []byte { return []byte(prefixItem + id) }

func itemListPrefix(tenant string) []byte { return []byte(prefixItemList + tenant + "\x00") }

func itemListKey(tenant, key string, index uint64) []byte {
	return fmt.Appendf(append(itemListPrefix(tenant), key+"\x00"...), "%016x", index)
}
