package catalog

import "fmt"

// Projection key prefixes; see the package documentation.
const (
	prefixPackage     = "cat/pkg/"
	prefixPackageList = "cat/pkgl/"
	prefixFile        = "cat/pf/"
	prefixFileID      = "cat/fid/"
	prefixObject      = "cat/obj/"
	prefixBlob        = "cat/blob/"
	prefixHistory     = "cat/objh/"
)

func packageKey(id string) []byte { return []byte(prefixPackage + id) }

func packageListPrefix(tenant string) []byte { return []byte(prefixPackageList + tenant + "\x00") }

func packageListKey(tenant string, index uint64) []byte {
	return fmt.Appendf(packageListPrefix(tenant), "%016x", index)
}

func filePrefix(pkg string) []byte { return []byte(prefixFile + pkg + "\x00") }

func fileKey(pkg, path string) []byte { return append(filePrefix(pkg), path...) }

func fileIDKey(id string) []byte { return []byte(prefixFileID + id) }

func objectPrefix(tenant, zone string) []byte {
	return []byte(prefixObject + tenant + "\x00" + zone + "\x00")
}

func objectKey(tenant, zone, key string) []byte { return append(objectPrefix(tenant, zone), key...) }

func historyPrefix(tenant, zone, key string) []byte {
	return []byte(prefixHistory + tenant + "\x00" + zone + "\x00" + key + "\x00")
}

func historyKey(tenant, zone, key string, version uint64) []byte {
	return fmt.Appendf(historyPrefix(tenant, zone, key), "%016x", version)
}

func blobKey(hex string) []byte { return []byte(prefixBlob + hex) }

// PackageKey is the raw-zone key of a package file: packages/<id>/<path>.
func PackageKey(pkg, path string) string { return "packages/" + pkg + "/" + path }
