//go:build unix

package batch

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/tiff"
)

// The environment of the child process of TestKillResume.
const (
	childDirEnv     = "GOTN_BATCH_CHILD_DIR"
	childOutEnv     = "GOTN_BATCH_CHILD_OUT"
	childOrderedEnv = "GOTN_BATCH_CHILD_ORDERED"
)

// slowProc is testProc taking a millisecond a page.
func slowProc(ctx context.Context, p *Page) (Result, error) {
	time.Sleep(time.Millisecond)
	return testProc(ctx, p)
}

// TestKillResumeChild is the batch run that TestKillResume kills: it runs
// only in the child process.
func TestKillResumeChild(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("run by TestKillResume only")
	}
	ordered, _ := strconv.ParseBool(os.Getenv(childOrderedEnv))
	// SIGTERM cancels the run, as gtn batch's Ctrl-C and kill do.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if _, err := Run(ctx, DirSource(dir), os.Getenv(childOutEnv), slowProc, Options{Workers: 2, Ordered: ordered}); err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
}

// TestKillResume starts a batch run in a child process and stops it in
// the middle, twice, then resumes it to the end: every page of every input
// has exactly one record, and an ordered run's file is in input order.
// The first stop is a SIGTERM, which the run handles: the file then has
// only whole lines. The second is a SIGKILL, which cannot be handled: the
// kernel may cut the write under way at a page of the file, leaving a
// partial last line, which the resumed run cuts off; a partial line is
// also added at the end before that run, as a power loss might leave.
func TestKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	for _, ordered := range []bool{true, false} {
		t.Run(fmt.Sprint("ordered=", ordered), func(t *testing.T) {
			testKillResume(t, ordered)
		})
	}
}

func testKillResume(t *testing.T, ordered bool) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	var want []Key // every page, in input order
	for i := range 400 {
		name := fmt.Sprintf("img%04d.png", i)
		switch {
		case i%97 == 5:
			name = fmt.Sprintf("img%04d.tif", i)
			one := tiffBytes(t, digitImage(uint8(i), 6, 4), tiff.Deflate)
			writeFile(t, in, name, joinTIFF(t, one, one, one))
			for p := range 3 {
				want = append(want, Key{File: filepath.Join(in, name), Page: p, Pages: 3})
			}
			continue
		case i%53 == 7:
			writeFile(t, in, name, []byte("not a PNG"))
			want = append(want, Key{File: filepath.Join(in, name)})
			continue
		}
		writeFile(t, in, name, pngBytes(t, digitImage(uint8(i), 8, 6)))
		want = append(want, Key{File: filepath.Join(in, name), Pages: 1})
	}
	out := filepath.Join(dir, "out.jsonl")

	for round, killAt := range []int{60, 220} {
		sig := []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}[round]
		// A stop lets the pages in flight finish, so the file may hold
		// more than the last round's killAt records: kill this round
		// once it has added some of its own, well before the end.
		if data, err := os.ReadFile(out); err == nil {
			killAt = max(killAt, bytes.Count(data, []byte("\n"))+20)
		}
		if killAt >= len(want)-40 {
			t.Fatalf("round %d: the last stop left too few pages (%d of %d) to stop the run again", round, killAt, len(want))
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillResumeChild$")
		cmd.Env = append(os.Environ(), childDirEnv+"="+in, childOutEnv+"="+out, childOrderedEnv+"="+strconv.FormatBool(ordered))
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for killAt lines, then kill.
		deadline := time.Now().Add(30 * time.Second)
		for {
			data, _ := os.ReadFile(out)
			if bytes.Count(data, []byte("\n")) >= killAt {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("round %d: the child wrote %d lines in 30 s: %s", round, bytes.Count(data, []byte("\n")), stderr.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var recs []Record
		if sig == syscall.SIGTERM {
			if err != nil {
				t.Fatalf("round %d: the child did not end cleanly on SIGTERM: %v\n%s", round, err, stderr.String())
			}
			recs = readRecords(t, out) // fails on a partial line
		} else {
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
				t.Fatalf("round %d: the child was not killed but ended: %v\n%s", round, err, stderr.String())
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			recs = parseRecords(t, out, data[:bytes.LastIndexByte(data, '\n')+1])
		}
		countKeys(t, recs)
		if len(recs) < killAt || len(recs) >= len(want) {
			t.Fatalf("round %d: %d records after the kill", round, len(recs))
		}
		t.Logf("round %d: killed after %d records", round, len(recs))
		if round == 1 { // as after a power loss
			f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(`{"file":"` + want[len(recs)].File + `","page":0,"pa`)
			f.Close()
		}
	}

	s, err := Run(context.Background(), DirSource(in), out, testProc, Options{Ordered: ordered})
	if err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, out)
	seen := countKeys(t, recs)
	if len(recs) != len(want) {
		t.Errorf("%d records, want %d", len(recs), len(want))
	}
	for _, k := range want {
		if !seen[Key{File: k.File, Page: k.Page}] {
			t.Errorf("no record of %s page %d", k.File, k.Page)
		}
	}
	if s.Skipped+s.Done+s.Failed != len(want) {
		t.Errorf("summary %+v does not add up to %d pages", s, len(want))
	}
	if ordered {
		for i, r := range recs {
			if k := want[i]; r.File != k.File || r.Page != k.Page {
				t.Fatalf("record %d is %s page %d, want %s page %d", i, r.File, r.Page, k.File, k.Page)
			}
		}
	}
	for _, r := range recs {
		if r.Failed() != (filepath.Ext(r.File) == ".png" && r.Pages == 0) {
			t.Errorf("%s: error %v", r.File, deref(r.Error))
		}
	}
}
