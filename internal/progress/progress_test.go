package progress

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

// clock is a fake time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newBar(w *bytes.Buffer, total int, opt Options, c *clock) *Bar {
	b := New(w, total, opt)
	b.now = c.now
	b.start = c.now()
	return b
}

func TestLiveBar(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{time.Unix(1e9, 0)}
	b := newBar(&buf, 60000, Options{Label: "epoch 3", Unit: "img", Width: 10, Live: true}, c)
	c.advance(1470 * time.Millisecond)
	b.Update(12345, 0.1234)
	want := "\repoch 3 [==>       ] 12,345/60,000  loss 0.1234  8,398 img/s  ETA 0:06"
	if got := buf.String(); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	// Throttled: no redraw within a tenth of a second.
	c.advance(50 * time.Millisecond)
	b.Update(12400, 0.12)
	if got := buf.String(); got != want {
		t.Fatalf("redrawn too soon: %q", got)
	}
	c.advance(60 * time.Millisecond)
	b.Update(13000, 0.12)
	if n := strings.Count(buf.String(), "\r"); n != 2 {
		t.Fatalf("%d redraws, want 2: %q", n, buf.String())
	}
	c.advance(5 * time.Second)
	b.Update(60000, 0.1)
	b.Finish()
	b.Finish() // no effect
	lines := strings.Split(buf.String(), "\r")
	last := lines[len(lines)-1]
	if want := "epoch 3 [==========] 60,000/60,000  loss 0.1  9,119 img/s  0:07\n"; last != want {
		t.Errorf("final line %q, want %q", last, want)
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("want exactly one newline: %q", buf.String())
	}
}

// TestLiveBarErases checks that a shorter line overwrites all of a longer
// one.
func TestLiveBarErases(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{time.Unix(1e9, 0)}
	b := newBar(&buf, 100, Options{Live: true, Width: 4}, c)
	c.advance(time.Second)
	b.Update(50, 123456.789)
	first := strings.TrimPrefix(buf.String(), "\r")
	buf.Reset()
	c.advance(time.Second)
	b.Update(60, math.NaN())
	second := strings.TrimPrefix(buf.String(), "\r")
	if len(second) != len(first) || !strings.HasSuffix(second, " ") {
		t.Errorf("second line %q does not cover first %q", second, first)
	}
}

func TestQuietBar(t *testing.T) {
	for _, tc := range []struct {
		opt  Options
		done int
		loss float64
		want string
	}{
		{Options{Label: "epoch 1", Unit: "img"}, 60000, 0.25, "epoch 1: 60,000 img  loss 0.25  7,500 img/s  0:08\n"},
		{Options{}, 30, math.NaN(), "30/100 it  3.75 it/s  0:08\n"},
		{Options{Live: true, Quiet: true}, 100, math.NaN(), "100 it  12.5 it/s  0:08\n"},
	} {
		var buf bytes.Buffer
		c := &clock{time.Unix(1e9, 0)}
		total := 60000
		if tc.done <= 100 {
			total = 100
		}
		b := newBar(&buf, total, tc.opt, c)
		for i := 1; i <= 10; i++ {
			c.advance(800 * time.Millisecond)
			b.Update(tc.done*i/10, tc.loss)
		}
		if buf.Len() != 0 {
			t.Errorf("%+v: wrote %q before Finish", tc.opt, buf.String())
		}
		b.Finish()
		if buf.String() != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.opt, buf.String(), tc.want)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is a terminal")
	}
}

func TestFormats(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 123456: "123,456", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := Commas(n); got != want {
			t.Errorf("Commas(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{0: "0:00", 5 * time.Second: "0:05", 61500 * time.Millisecond: "1:02", 3725 * time.Second: "1:02:05"} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
	for r, want := range map[float64]string{8399.6: "8,400", 150: "150", 42.25: "42.2", 3.14159: "3.14"} {
		if got := Rate(r); got != want {
			t.Errorf("Rate(%v) = %q, want %q", r, got, want)
		}
	}
}
