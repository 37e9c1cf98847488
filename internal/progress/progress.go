// Package progress draws a one-line progress bar for long loops such as a
// training epoch:
//
//	epoch 3 [=====>        ] 12,345/60,000  loss 0.123  8,400 img/s  ETA 0:05
//
// On a terminal the line is redrawn in place (with \r) at most ten times a
// second; on anything else (a file, a pipe, a CI log) nothing is drawn until
// Finish writes one summary line.
package progress

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// Options configures a Bar. The zero value is usable.
type Options struct {
	// Label starts the line, for example "epoch 3".
	Label string
	// Unit names the items, for the rate ("img" gives "img/s"); default
	// "it".
	Unit string
	// Width is the number of cells of the bar; default 24.
	Width int
	// Live forces in-place redrawing even when the writer is not a
	// terminal; Quiet suppresses everything but the summary line even on a
	// terminal. Without either, Live is IsTerminal(w).
	Live, Quiet bool
}

// Bar is the progress of a task of a known number of items. A Bar is used
// from one goroutine.
type Bar struct {
	w       io.Writer
	total   int
	opt     Options
	live    bool
	now     func() time.Time
	start   time.Time
	drawn   time.Time // last redraw
	done    int
	loss    float64 // NaN: none
	lastLen int     // length of the last line drawn, to erase it
	closed  bool
}

// redrawEvery is the minimum time between two redraws.
const redrawEvery = 100 * time.Millisecond

// New returns a bar for total items written to w.
func New(w io.Writer, total int, opt Options) *Bar {
	if opt.Unit == "" {
		opt.Unit = "it"
	}
	if opt.Width <= 0 {
		opt.Width = 24
	}
	live := !opt.Quiet && (opt.Live || IsTerminal(w))
	b := &Bar{w: w, total: total, opt: opt, live: live, now: time.Now, loss: math.NaN()}
	b.start = b.now()
	return b
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Update records that done items are finished and the running loss (NaN
// for none), and redraws the line if it is live and the last redraw is at
// least a tenth of a second old.
func (b *Bar) Update(done int, loss float64) {
	b.done, b.loss = done, loss
	if !b.live || b.closed {
		return
	}
	if now := b.now(); b.drawn.IsZero() || now.Sub(b.drawn) >= redrawEvery {
		b.drawn = now
		b.draw(b.line(now, false), false)
	}
}

// Finish ends the bar: a live bar is redrawn a last time, with the elapsed
// time instead of the ETA, and the line ended; otherwise one summary line
// is written. Later calls do nothing.
func (b *Bar) Finish() {
	if b.closed {
		return
	}
	b.closed = true
	now := b.now()
	if b.live {
		b.draw(b.line(now, true), true)
		return
	}
	fmt.Fprintln(b.w, b.summary(now))
}

func (b *Bar) draw(line string, end bool) {
	pad := ""
	if n := b.lastLen - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	b.lastLen = len(line)
	nl := ""
	if end {
		nl = "\n"
	}
	fmt.Fprintf(b.w, "\r%s%s%s", line, pad, nl)
}

// line formats the live line.
func (b *Bar) line(now time.Time, final bool) string {
	var sb strings.Builder
	if b.opt.Label != "" {
		sb.WriteString(b.opt.Label)
		sb.WriteByte(' ')
	}
	sb.WriteString(b.bar())
	fmt.Fprintf(&sb, " %s/%s", Commas(b.done), Commas(b.total))
	b.stats(&sb, now)
	elapsed := now.Sub(b.start)
	if final {
		sb.WriteString("  " + Duration(elapsed))
	} else if b.done > 0 && b.done < b.total && elapsed > 0 {
		eta := time.Duration(float64(elapsed) * float64(b.total-b.done) / float64(b.done))
		sb.WriteString("  ETA " + Duration(eta))
	}
	return sb.String()
}

// summary formats the line written at the end when the bar is not live.
func (b *Bar) summary(now time.Time) string {
	var sb strings.Builder
	if b.opt.Label != "" {
		sb.WriteString(b.opt.Label + ": ")
	}
	sb.WriteString(Commas(b.done))
	if b.done != b.total {
		sb.WriteString("/" + Commas(b.total))
	}
	sb.WriteString(" " + b.opt.Unit)
	b.stats(&sb, now)
	sb.WriteString("  " + Duration(now.Sub(b.start)))
	return sb.String()
}

func (b *Bar) stats(sb *strings.Builder, now time.Time) {
	if !math.IsNaN(b.loss) {
		fmt.Fprintf(sb, "  loss %.4g", b.loss)
	}
	if s := now.Sub(b.start).Seconds(); s > 0 && b.done > 0 {
		fmt.Fprintf(sb, "  %s %s/s", Rate(float64(b.done)/s), b.opt.Unit)
	}
}

// bar draws [=====>    ].
func (b *Bar) bar() string {
	w := b.opt.Width
	full := w
	if b.total > 0 {
		full = int(float64(w) * float64(min(max(b.done, 0), b.total)) / float64(b.total))
	}
	var sb strings.Builder
	sb.WriteByte('[')
	sb.WriteString(strings.Repeat("=", full))
	if full < w {
		sb.WriteByte('>')
		sb.WriteString(strings.Repeat(" ", w-full-1))
	}
	sb.WriteByte(']')
	return sb.String()
}

// Commas formats n with thousands separators: 12345 → "12,345".
func Commas(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var sb strings.Builder
	if neg {
		sb.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

// Rate formats a rate: with thousands separators from 100 up, with
// decimals below.
func Rate(r float64) string {
	switch {
	case r >= 100:
		return Commas(int(math.Round(r)))
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	default:
		return fmt.Sprintf("%.2f", r)
	}
}

// Duration formats d as m:ss or h:mm:ss, rounded to the second.
func Duration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s < 3600 {
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
