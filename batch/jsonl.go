package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Sink receives the records of a run, from one goroutine.
type Sink interface {
	// Write takes one record. A sink may hold records back until Flush;
	// an error stops the run.
	Write(r *Record) error
	// Flush makes the records written so far durable, as far as the sink
	// does that; the run calls it when no record is waiting and at the end.
	Flush() error
}

// Resumable is implemented by a sink that holds the records of earlier
// runs, so that a run can skip their pages.
type Resumable interface {
	// Held returns the key of every record held.
	Held() []Key
}

// JSONL is a Sink that appends records to a JSON Lines file, one record a
// line, and a Resumable one: it reads the file's earlier records when it
// opens it.
//
// Records are written whole: a write to the file holds one or more whole
// lines, so a process killed at any point leaves whole lines. The file is
// synced in the background within a second of a write (at most once a
// second) and by Close. While open, the file
// is locked (flock, where the system has it) against a second run.
type JSONL struct {
	path    string
	f       *os.File
	buf     []byte
	held    []Key
	dropped int // bytes of a partial last line dropped on opening
	closed  bool

	// Syncs run in a goroutine of their own, so that writing goes on.
	mu        sync.Mutex
	lastSync  time.Time
	scheduled bool  // a sync is scheduled or running
	syncErr   error // of a sync, returned by the next Flush or Close
	timer     *time.Timer
	syncWG    sync.WaitGroup // the scheduled sync
	syncs     atomic.Int64   // syncs done, for tests
}

// flushSize is the size of the buffered records at which Write writes
// them out without waiting for Flush.
const flushSize = 64 << 10

// syncEvery is the least time between two syncs in the background.
const syncEvery = time.Second

// OpenJSONL opens (creating it if needed) the JSON Lines file at path to
// append records to. With resume, the records already in the file are read
// (Held returns their keys) and a partial last line, left by a crash, is
// cut off; a line that is not a record is an error naming the file and the
// line. Without resume, the file is truncated.
func OpenJSONL(path string, resume bool) (*JSONL, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("batch: output: %w", err)
	}
	j := &JSONL{path: path, f: f, lastSync: time.Now()}
	if err := lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("batch: output %s: %w", path, err)
	}
	if !resume {
		err = f.Truncate(0)
	} else {
		err = j.readHeld()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// readHeld reads the records in the file and cuts off a partial last line.
func (j *JSONL) readHeld() error {
	r := bufio.NewReaderSize(j.f, 1<<16)
	var (
		whole int64 // bytes in whole lines
		line  []byte
		n     int
	)
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			line = append(line, chunk...)
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("batch: reading output %s: %w", j.path, err)
		}
		if err != nil { // io.EOF: chunk (with line) is a partial last line
			j.dropped = len(line) + len(chunk)
			break
		}
		n++
		if len(line) > 0 {
			chunk = append(line, chunk...)
			line = nil
		}
		whole += int64(len(chunk))
		if len(bytes.TrimSpace(chunk)) == 0 {
			continue
		}
		var k struct {
			File  *string `json:"file"`
			Page  int     `json:"page"`
			Pages int     `json:"pages"`
		}
		if err := json.Unmarshal(chunk, &k); err != nil {
			return fmt.Errorf("batch: output %s:%d: not a record (%v); repair the file, or use another output or Force", j.path, n, err)
		}
		if k.File == nil {
			return fmt.Errorf("batch: output %s:%d: a record without a file; repair the file, or use another output or Force", j.path, n)
		}
		j.held = append(j.held, Key{File: *k.File, Page: k.Page, Pages: k.Pages})
	}
	if j.dropped > 0 {
		if err := j.f.Truncate(whole); err != nil {
			return fmt.Errorf("batch: output %s: cutting off a partial last line: %w", j.path, err)
		}
	}
	return nil
}

// Held returns the keys of the records that were in the file when it was
// opened.
func (j *JSONL) Held() []Key { return j.held }

// Dropped returns the length in bytes of the partial last line that
// OpenJSONL cut off, or 0.
func (j *JSONL) Dropped() int { return j.dropped }

// Write appends a record to the file: to a buffer that Flush writes out,
// or at once when the buffer is large.
func (j *JSONL) Write(r *Record) error {
	if j.closed {
		return fmt.Errorf("batch: output %s: write after Close", j.path)
	}
	j.buf = r.appendJSON(j.buf)
	j.buf = append(j.buf, '\n')
	if len(j.buf) >= flushSize {
		return j.writeOut()
	}
	return nil
}

// writeOut writes the buffered records in one write.
func (j *JSONL) writeOut() error {
	if len(j.buf) == 0 {
		return nil
	}
	_, err := j.f.Write(j.buf)
	j.buf = j.buf[:0]
	if err != nil {
		return fmt.Errorf("batch: writing output %s: %w", j.path, err)
	}
	return nil
}

// Flush writes out the buffered records and schedules a sync of the file
// in the background, a second after the last one (an error of a sync is
// returned by the next Flush, or by Close).
func (j *JSONL) Flush() error {
	if j.closed {
		return nil
	}
	if err := j.writeOut(); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.syncErr; err != nil {
		j.syncErr = nil
		return err
	}
	if !j.scheduled {
		j.scheduled = true
		j.syncWG.Add(1)
		j.timer = time.AfterFunc(syncEvery-time.Since(j.lastSync), func() {
			defer j.syncWG.Done()
			err := j.sync()
			j.mu.Lock()
			defer j.mu.Unlock()
			j.lastSync, j.scheduled = time.Now(), false
			if j.syncErr == nil {
				j.syncErr = err
			}
		})
	}
	return nil
}

// sync syncs the file.
func (j *JSONL) sync() error {
	j.syncs.Add(1)
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("batch: syncing output %s: %w", j.path, err)
	}
	return nil
}

// Close writes out the buffered records, syncs and closes the file.
// Closing again does nothing.
func (j *JSONL) Close() error {
	if j.closed {
		return nil
	}
	err := j.writeOut()
	j.mu.Lock()
	if j.scheduled && j.timer.Stop() {
		j.scheduled = false
		j.syncWG.Done()
	}
	j.mu.Unlock()
	j.syncWG.Wait()
	if err == nil {
		err = j.syncErr
	}
	if err == nil {
		err = j.sync()
	}
	j.closed = true
	if cerr := j.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("batch: closing output %s: %w", j.path, cerr)
	}
	return err
}
