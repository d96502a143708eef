package ledger

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"
)

// Badger v4 keeps every table and value log file memory-mapped and writes
// them through the map: a new table is copied whole into its map, values
// into the value log's. Each page written or read stays in the process's
// page tables until Badger closes the file, so the resident set grows with
// the data on disk, although those pages are clean page cache the kernel
// could drop. Badger has no option to read its files without a map (its
// issue 2255 asks for one).
//
// mappedFiles gives such pages back to the kernel: madvise(MADV_DONTNEED)
// on a shared file map takes the pages out of the process but leaves them
// in the page cache, and the next read maps them again (a minor fault)
// without reading the disk. It reaches Badger's files through unexported
// fields, found by name and checked against their types when the log
// opens (mappedFilesOf fails, and the log runs without it, if a Badger
// upgrade changed them; TestReleaseMappedPages pins them). Each file is
// held the way Badger's own readers hold it while its pages are given
// back: a table by a reference, so that it cannot be unmapped meanwhile,
// and a value log file under its read lock, which Badger takes to truncate
// (remap) or delete it. The value log file being written is left alone:
// Badger may grow it without that lock.
type mappedFiles struct {
	levels   []mappedLevel
	vlogLock *sync.RWMutex
	vlog     reflect.Value // Badger's valueLog, to read filesMap and maxFid under vlogLock
	files    int           // field index of valueLog.filesMap
	maxFid   int           // field index of valueLog.maxFid
	lfLock   int           // field index of logFile.lock
	lfMap    int           // field index of logFile.MmapFile
}

// mappedLevel is one level of Badger's LSM tree: its lock and its tables.
type mappedLevel struct {
	mu     *sync.RWMutex
	tables *[]*table.Table
}

// mappedFilesOf finds the memory maps of db's tables and value log.
func mappedFilesOf(db *badger.DB) (*mappedFiles, error) {
	m := &mappedFiles{}
	dbv := reflect.ValueOf(db).Elem()
	lc, err := field(dbv, "lc", nil)
	if err != nil {
		return nil, err
	}
	if lc.Kind() != reflect.Pointer || lc.IsNil() {
		return nil, errors.New("badger.DB.lc is not a pointer to its levels")
	}
	levels, err := field(lc.Elem(), "levels", nil)
	if err != nil {
		return nil, err
	}
	if levels.Kind() != reflect.Slice || levels.Type().Elem().Kind() != reflect.Pointer {
		return nil, errors.New("badger's levels are not a slice of pointers")
	}
	for i := range levels.Len() {
		lh := levels.Index(i).Elem()
		mu, err := field(lh, "RWMutex", reflect.TypeFor[sync.RWMutex]())
		if err != nil {
			return nil, err
		}
		tables, err := field(lh, "tables", reflect.TypeFor[[]*table.Table]())
		if err != nil {
			return nil, err
		}
		m.levels = append(m.levels, mappedLevel{
			mu:     (*sync.RWMutex)(unsafe.Pointer(mu.UnsafeAddr())),
			tables: (*[]*table.Table)(unsafe.Pointer(tables.UnsafeAddr())),
		})
	}
	if m.vlog, err = field(dbv, "vlog", nil); err != nil {
		return nil, err
	}
	lock, err := field(m.vlog, "filesLock", reflect.TypeFor[sync.RWMutex]())
	if err != nil {
		return nil, err
	}
	m.vlogLock = (*sync.RWMutex)(unsafe.Pointer(lock.UnsafeAddr()))
	if m.files, err = fieldIndex(m.vlog.Type(), "filesMap", nil); err != nil {
		return nil, err
	}
	if m.maxFid, err = fieldIndex(m.vlog.Type(), "maxFid", reflect.TypeFor[uint32]()); err != nil {
		return nil, err
	}
	files := m.vlog.Type().Field(m.files).Type
	if files.Kind() != reflect.Map || files.Key() != reflect.TypeFor[uint32]() || files.Elem().Kind() != reflect.Pointer {
		return nil, fmt.Errorf("badger's value log files are a %s", files)
	}
	lf := files.Elem().Elem()
	if m.lfLock, err = fieldIndex(lf, "lock", reflect.TypeFor[sync.RWMutex]()); err != nil {
		return nil, err
	}
	if m.lfMap, err = fieldIndex(lf, "MmapFile", reflect.TypeFor[*z.MmapFile]()); err != nil {
		return nil, err
	}
	return m, nil
}

// field returns the addressable field name of struct v, of type want
// unless want is nil.
func field(v reflect.Value, name string, want reflect.Type) (reflect.Value, error) {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("badger: %s is not a struct", v.Type())
	}
	i, err := fieldIndex(v.Type(), name, want)
	if err != nil {
		return reflect.Value{}, err
	}
	return v.Field(i), nil
}

func fieldIndex(t reflect.Type, name string, want reflect.Type) (int, error) {
	f, ok := t.FieldByName(name)
	if !ok || len(f.Index) != 1 {
		return 0, fmt.Errorf("badger: %s has no field %s", t, name)
	}
	if want != nil && f.Type != want {
		return 0, fmt.Errorf("badger: %s.%s is a %s, not a %s", t, name, f.Type, want)
	}
	return f.Index[0], nil
}

// release gives back the resident pages of every table and of every value
// log file but the one being written.
func (m *mappedFiles) release() error {
	for _, lv := range m.levels {
		lv.mu.RLock()
		tables := append([]*table.Table(nil), *lv.tables...)
		for _, t := range tables {
			t.IncrRef()
		}
		lv.mu.RUnlock()
		var err error
		for _, t := range tables {
			if err == nil {
				err = dropPages(t.Data)
			}
			if derr := t.DecrRef(); err == nil {
				err = derr
			}
		}
		if err != nil {
			return err
		}
	}
	type vfile struct {
		mu *sync.RWMutex
		mf *z.MmapFile
	}
	var vfiles []vfile
	m.vlogLock.RLock()
	maxFid := m.vlog.Field(m.maxFid).Uint()
	for it := m.vlog.Field(m.files).MapRange(); it.Next(); {
		if it.Key().Uint() == maxFid {
			continue
		}
		lf := it.Value().Elem()
		vfiles = append(vfiles, vfile{
			mu: (*sync.RWMutex)(unsafe.Pointer(lf.Field(m.lfLock).UnsafeAddr())),
			mf: *(**z.MmapFile)(unsafe.Pointer(lf.Field(m.lfMap).UnsafeAddr())),
		})
	}
	m.vlogLock.RUnlock()
	for _, f := range vfiles {
		f.mu.RLock()
		var err error
		if f.mf != nil && f.mf.Data != nil { // nil once deleted
			err = dropPages(f.mf.Data)
		}
		f.mu.RUnlock()
		if err != nil {
			return err
		}
	}
	return nil
}
