package batch

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestRecordJSON checks the encoding of records, and that it reads back.
func TestRecordJSON(t *testing.T) {
	msg := "bad \"thing\"\n"
	tests := []struct {
		name string
		r    Record
		want string
	}{
		{"success", Record{File: "a.png", Pages: 1, Output: json.RawMessage(`"7"`), Energy: new(1.5), Confidence: new(0.25), Milliseconds: 3.25},
			`{"file":"a.png","page":0,"pages":1,"output":"7","energy":1.5,"confidence":0.25,"error":null,"milliseconds":3.25}`},
		{"error", Record{File: "b.tif", Page: 2, Pages: 3, Error: &msg},
			`{"file":"b.tif","page":2,"pages":3,"output":null,"energy":null,"confidence":null,"error":"bad \"thing\"\n","milliseconds":0}`},
		{"not finite", Record{File: "c", Energy: new(math.Inf(1)), Confidence: new(math.NaN())},
			`{"file":"c","page":0,"pages":0,"output":null,"energy":null,"confidence":null,"error":null,"milliseconds":0}`},
		{"extreme floats", Record{File: "d", Energy: new(1e-9), Confidence: new(-2e22), Milliseconds: 123456.789},
			`{"file":"d","page":0,"pages":0,"output":null,"energy":1e-09,"confidence":-2e+22,"error":null,"milliseconds":123456.789}`},
	}
	for _, tc := range tests {
		got, err := json.Marshal(&tc.r)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s:\n got %s, %v\nwant %s", tc.name, got, err, tc.want)
			continue
		}
		var back Record
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		again, _ := json.Marshal(&back)
		if string(again) != tc.want {
			t.Errorf("%s: read back as %s", tc.name, again)
		}
	}
}

// TestAppendString checks the JSON strings against encoding/json, which
// must read each back to the string (made valid UTF-8 as jsonName does).
func TestAppendString(t *testing.T) {
	tests := []string{
		"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f",
		"é ü 日本 😀", "\u2028\u2029", "bad \xff utf8 \xc3", "\xed\xa0\x80", "<&>",
	}
	for _, s := range tests {
		b := appendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("%q: %s does not parse: %v", s, b, err)
			continue
		}
		if back != jsonName(s) {
			t.Errorf("%q: read back as %q, want %q", s, back, jsonName(s))
		}
		std, _ := json.Marshal(s)
		var stdBack string
		json.Unmarshal(std, &stdBack)
		if stdBack != back {
			t.Errorf("%q: encoding/json reads back %q, we %q", s, stdBack, back)
		}
		if !utf8.Valid(b) {
			t.Errorf("%q: invalid UTF-8 in %q", s, b)
		}
	}
}

// TestJSONLResume checks what OpenJSONL reads of an earlier run: whole
// records, a partial last line cut off, and errors that name the line.
func TestJSONLResume(t *testing.T) {
	rec := func(file string, page, pages int) string {
		r := Record{File: file, Page: page, Pages: pages}
		b, _ := json.Marshal(&r)
		return string(b) + "\n"
	}
	long := strings.Repeat("x", 200000) // longer than the read buffer
	tests := []struct {
		name    string
		content string
		held    []Key
		dropped int
		wantErr string
	}{
		{"empty", "", nil, 0, ""},
		{"whole", rec("a", 0, 1) + rec("b", 1, 2), []Key{{"a", 0, 1}, {"b", 1, 2}}, 0, ""},
		{"partial last line", rec("a", 0, 1) + `{"file":"b","pa`, []Key{{"a", 0, 1}}, 15, ""},
		{"long lines", rec(long, 0, 1) + rec("b", 0, 1) + `{"file":"` + long, []Key{{long, 0, 1}, {"b", 0, 1}}, len(long) + 9, ""},
		{"blank line", rec("a", 0, 1) + "\n" + rec("b", 0, 1), []Key{{"a", 0, 1}, {"b", 0, 1}}, 0, ""},
		{"garbage line", rec("a", 0, 1) + "hello\n" + rec("b", 0, 1), nil, 0, ":2: not a record"},
		{"no file", rec("a", 0, 1) + `{"page":1}` + "\n", nil, 0, ":2: a record without a file"},
	}
	for _, tc := range tests {
		path := filepath.Join(t.TempDir(), "out.jsonl")
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		j, err := OpenJSONL(path, true)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), path+tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.name, err, path+tc.wantErr)
			}
			if j != nil {
				j.Close()
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(j.Held(), tc.held) || j.Dropped() != tc.dropped {
			t.Errorf("%s: held %d keys, dropped %d; want %d, %d", tc.name, len(j.Held()), j.Dropped(), len(tc.held), tc.dropped)
		}
		if err := j.Write(&Record{File: "new", Pages: 1}); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		want := tc.content[:len(tc.content)-tc.dropped] + rec("new", 0, 1)
		if string(got) != want {
			t.Errorf("%s: file after a write:\n%.200q\nwant\n%.200q", tc.name, got, want)
		}
	}
}

// TestJSONLForceAndLock checks that opening without resume truncates, and
// that a second opening fails while the first is open.
func TestJSONLForceAndLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	os.WriteFile(path, []byte("old line\n"), 0o644)
	j, err := OpenJSONL(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Size() != 0 || len(j.Held()) != 0 {
		t.Errorf("not truncated: %d bytes, %d held", info.Size(), len(j.Held()))
	}
	if _, err := OpenJSONL(path, true); !errors.Is(err, errLocked) || !strings.Contains(err.Error(), path) {
		t.Errorf("second open: %v, want a lock error naming the file", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := j.Write(&Record{}); err == nil {
		t.Error("Write after Close succeeded")
	}
	j2, err := OpenJSONL(path, true)
	if err != nil {
		t.Fatalf("reopening after Close: %v", err)
	}
	j2.Close()
	if _, err := OpenJSONL(filepath.Join(path, "sub"), true); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("bad path: %v", err)
	}
}

// TestJSONLWholeWrites checks that the records reach the file in writes of
// whole lines: after each Write and Flush the file ends with a newline.
func TestJSONLWholeWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	j, err := OpenJSONL(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	out := json.RawMessage(`"` + strings.Repeat("y", 1000) + `"`)
	for i := range 300 {
		if err := j.Write(&Record{File: "f", Page: i, Pages: 300, Output: out}); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if err := j.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		data, _ := os.ReadFile(path)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			t.Fatalf("after record %d the file ends inside a line", i)
		}
	}
}

// TestJSONLBackgroundSync checks that written records are synced within a
// second or so, once for many flushes, and at Close.
func TestJSONLBackgroundSync(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a sync")
	}
	j, err := OpenJSONL(filepath.Join(t.TempDir(), "out.jsonl"), true)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		j.Write(&Record{File: "a"})
		if err := j.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if n := j.syncs.Load(); n != 0 {
		t.Errorf("%d syncs at once, want them a second later", n)
	}
	deadline := time.Now().Add(3 * syncEvery)
	for j.syncs.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := j.syncs.Load(); n != 1 {
		t.Errorf("%d syncs after flushing, want 1", n)
	}
	j.Write(&Record{File: "b"})
	j.Flush() // schedules a sync that Close replaces
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if n := j.syncs.Load(); n != 2 {
		t.Errorf("%d syncs after Close, want 2", n)
	}
}
