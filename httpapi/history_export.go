package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
)

// exportRowGroup is how many rows a Parquet export buffers before it
// writes them as one row group: the export's memory is bounded by it, not
// by the number of rows.
const exportRowGroup = 16_384

// rowWriter writes export rows in one format.
type rowWriter interface {
	write(wire.HistoryRow) error
	close() error
}

// exportFormats are the export's formats by format= value, with their
// media types.
var exportFormats = map[string]struct {
	contentType string
	open        func(io.Writer) rowWriter
}{
	"ndjson":  {"application/x-ndjson", func(w io.Writer) rowWriter { return ndjsonRows{json.NewEncoder(w)} }},
	"csv":     {"text/csv; charset=utf-8", newCSVRows},
	"parquet": {"application/vnd.apache.parquet", newParquetRows},
}

// historyExport answers GET /v1/history/export?format=ndjson|csv|parquet:
// every entry the filters select that the caller may read, one flattened
// row each (wire.HistoryRow), streamed a page of the index at a time. It
// checks the query and runs its first page before it answers, so a bad
// query is a problem and not a truncated file.
func (s *Server) historyExport(w http.ResponseWriter, r *http.Request) {
	p, err := parseHistoryQuery(r.URL.RawQuery, exportParams)
	if err == nil {
		err = p.scope(r)
	}
	f, ok := exportFormats[p.format]
	if err == nil && !ok {
		err = invalidParam("format %q: expected ndjson, csv or parquet", echo(p.format))
	}
	var recs []*ledger.Record
	var next *uint64
	if err == nil {
		p.q.Limit = ledger.MaxHistoryLimit
		recs, next, err = s.cfg.Log.History(r.Context(), p.q)
	}
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="assay-history.`+p.format+`"`)
	rows := f.open(w)
	for {
		for _, rec := range recs {
			if err := rows.write(flatten(rec)); err != nil {
				s.log.WarnContext(r.Context(), "history export cut short", "err", err)
				return
			}
		}
		if next == nil {
			break
		}
		p.q.After = next
		if recs, next, err = s.cfg.Log.History(r.Context(), p.q); err != nil {
			// The status is sent: the reader sees a truncated file (a
			// Parquet file without its footer does not open).
			s.log.WarnContext(r.Context(), "history export cut short", "err", err)
			return
		}
	}
	if err := rows.close(); err != nil {
		s.log.WarnContext(r.Context(), "history export cut short", "err", err)
	}
}

type ndjsonRows struct{ enc *json.Encoder }

func (n ndjsonRows) write(row wire.HistoryRow) error { return n.enc.Encode(row) }
func (ndjsonRows) close() error                      { return nil }

type csvRows struct {
	w      *csv.Writer
	header bool
}

func newCSVRows(w io.Writer) rowWriter { return &csvRows{w: csv.NewWriter(w)} }

func (c *csvRows) write(row wire.HistoryRow) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(wire.HistoryColumns); err != nil {
			return err
		}
	}
	return c.w.Write([]string{row.EventTime.UTC().Format(time.RFC3339Nano), row.Type, row.Actor, row.Tenant, row.Zone, row.Key,
		row.Digest, strconv.FormatInt(row.Size, 10), strconv.FormatUint(row.LedgerIndex, 10)})
}

func (c *csvRows) close() error {
	if !c.header { // an empty result is still a CSV with its header
		c.header = true
		if err := c.w.Write(wire.HistoryColumns); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

type parquetRows struct {
	w   *parquet.GenericWriter[wire.HistoryRow]
	buf []wire.HistoryRow
}

func newParquetRows(w io.Writer) rowWriter {
	return &parquetRows{w: parquet.NewGenericWriter[wire.HistoryRow](w, parquet.MaxRowsPerRowGroup(exportRowGroup))}
}

func (p *parquetRows) write(row wire.HistoryRow) error {
	p.buf = append(p.buf, row)
	if len(p.buf) < 1024 {
		return nil
	}
	return p.flush()
}

func (p *parquetRows) flush() error {
	_, err := p.w.Write(p.buf)
	p.buf = p.buf[:0]
	return err
}

func (p *parquetRows) close() error {
	if err := p.flush(); err != nil {
		return err
	}
	return p.w.Close()
}
