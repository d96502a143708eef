// Package runlog is the domain of producers' run logs: structured lines
// (time, phase, level, message) a producer sends while a run goes on,
// which followers read live, and which closing the run seals as one
// object of zone raw.
//
// # Entries
//
//	run.log_appended  a chunk of lines: run_id, first (the first line's
//	                  number, from 1), lines (how many), chunk (the blob
//	                  holding them as NDJSON, one Line per line)
//	run.log_sealed    run_id, status (the run's final status), lines, and
//	                  object: the raw object runs/<run_id>/log.ndjson, the
//	                  chunks' bytes in order, which a job export's
//	                  logsPath names as cas://runs/<run_id>/log.ndjson
//
// Every chunk is a blob of the content store, written before its entry
// and referenced in the catalog (catalog.RefBlob) by the entry's Applier,
// so that the collection of unreferenced blobs keeps it. The Applier of
// run.log_appended takes chunks in order only (first is one past the
// lines so far) and none after the seal; the Service appends one chunk of
// a run at a time, so concurrent senders of one run queue, not fail.
//
// # Projections
//
//	rlog/run/<tenant>\x00<run_id>                      Run
//	rlog/chunk/<tenant>\x00<run_id>\x00<first:16 hex>  Chunk
//
// A run belongs to the tenant that sent its first line: another tenant
// sending lines for the same run id writes its own run, and never reads
// this one.
package runlog
