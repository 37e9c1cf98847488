// Package batch runs a processing function over many document images and
// writes one JSON Lines record per page: the engine behind gtn batch.
//
// A run is a stream built on github.com/reugn/go-streams:
//
//	Source ─▶ group ─▶ read & sniff (N workers) ─▶ decode, grey, process (N workers) ─▶ Sink
//
// A Source names the inputs (DirSource walks a directory, GlobSource
// expands a pattern, ListSource reads one path a line, Files takes a slice,
// ChanSource takes a channel). Inputs go down the stream in groups of at
// most Options.BatchSize: a group holds the inputs the source had given
// when a worker became free, so that a fast source fills the groups and a
// slow one is never waited for. The first stage reads each input of a
// group and splits it into pages (a multi-page TIFF gives one per image
// directory), in groups of pages as large as take a few milliseconds to
// process at the pace of the run so far and of about 64 KiB of files at
// most, so that slow pages and large images are shared out among the
// workers one by one; the second
// decodes the pages of a group (PNG, JPEG, TIFF, BMP, GIF or WebP, sniffed
// from the content, not the name), converts them to 8-bit grey images (see
// Page) and hands them to the processor: a Processor page by page, or a
// BatchProcessor all at once, so that a network can run them as one batch.
// Options.Workers goroutines run each stage, each goroutine for the whole
// run. The Sink receives a Record per page; JSONL writes them to a .jsonl
// file.
//
// Decoding uses the standard library and golang.org/x/image, save for the
// common kinds of PNG, which a decoder of this package takes straight to
// grey with reused buffers (small files are mostly decompressor set-up
// otherwise); it gives the pixels image/png gives and leaves any other or
// doubtful file to image/png. A GIF gives its first frame.
//
// # Nothing lost, nothing doubled
//
// An input that cannot be read or decoded (missing, empty, truncated, not
// an image, too large) gives a record with an error, and so does a
// processor that fails or panics, the other pages of its group going on
// (after a panic, the pages of the group are processed again one by one);
// the run goes on. The JSONL sink writes
// whole records only (never a part of a line in one write), within 10 ms
// of their completion, and syncs the file within a second of a write and
// at the end, so that a run cancelled (gtn batch cancels on Ctrl-C and
// SIGTERM) or failing leaves whole lines. A SIGKILL or a power loss may
// leave a partial last line (the kernel may cut a write under way at a
// page of the file), which the next run drops. Rerunning with
// the same output resumes: pages that already have a record, failed ones
// included, are skipped (Options.Force truncates the output and redoes
// everything). An input named twice by the source is processed once.
//
// When the context is cancelled the run stops taking inputs, and the pages
// still in flight are not written unless their processor finished: the
// next run does them. Run then returns the summary and the context's error.
//
// # Records
//
// One JSON object a line, with all the keys always present:
//
//	{"file":"scans/a.tif","page":1,"pages":3,"output":"42","energy":1.25,"confidence":0.9,"error":null,"milliseconds":3.141}
//
// page counts from 0; pages is the number of pages of the file (1 for all
// formats but TIFF), or 0 when the file could not be read or split into
// pages at all. output is the processor's Output as JSON; energy and
// confidence are null when the processor gave none (or gave NaN or an
// infinity, which JSON cannot hold); error is null on success, otherwise a
// message, and output, energy and confidence are null. milliseconds is the
// time spent on the page: decoding, conversion to grey and processing (or
// the failed attempt), a page of a group processed at once counting its
// share of the processor's time.
//
// # Order
//
// Records come in completion order, or with Options.Ordered in input order
// (pages of a file in page order). An ordered run that is interrupted has
// written a prefix of the input order, so an ordered resume continues the
// file in order.
//
// # Other sources and sinks
//
// Source and Sink are small interfaces: a message-broker source (go-streams
// has NATS and Kafka connectors) implements Source, giving each message as
// an Input whose Read returns its bytes, and a sink that publishes records
// implements Sink; the processing stages do not change. A sink that keeps
// earlier records implements Resumable to let a run skip them.
package batch
