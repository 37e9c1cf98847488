package batch

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/reugn/go-streams"

	"github.com/gotn/gotn/internal/progress"
)

// collector is the end of the stream: it puts the records in order if
// asked, hands them to the sink, flushes it when no record is waiting and
// draws the progress line.
type collector struct {
	r    *run
	in   chan any
	done chan struct{}
	err  error // of the sink: nothing more is written

	// Ordered runs.
	pending map[int]*group // by seq
	next    int            // seq of the next input to write
	stopped bool           // an input was dropped: nothing after it is written

	dirty     bool      // records written since the last flush
	lastFlush time.Time // of the sink
	live      bool      // progress on a terminal
	lastLine  int       // length of the progress line drawn
}

// group gathers the records of an input in an ordered run.
type group struct {
	recs    []*rec
	n       int // records expected
	dropped bool
}

var _ streams.Sink = (*collector)(nil)

// isTerminal reports whether w is a terminal, where the progress line is
// drawn; a variable for tests.
var isTerminal = progress.IsTerminal

// drawEvery is the time between two redraws of the progress line.
const drawEvery = 100 * time.Millisecond

// flushEvery is the least time between two flushes of the sink while
// records keep coming.
const flushEvery = 10 * time.Millisecond

// newCollector starts the collector of r.
func newCollector(r *run) *collector {
	c := &collector{r: r, in: make(chan any), done: make(chan struct{}), pending: map[int]*group{}}
	c.live = r.opt.Progress != nil && isTerminal(r.opt.Progress)
	go c.loop()
	return c
}

// In implements streams.Inlet.
func (c *collector) In() chan<- any { return c.in }

// AwaitCompletion implements streams.Sink: it returns when the stream is
// closed and the sink flushed.
func (c *collector) AwaitCompletion() { <-c.done }

func (c *collector) loop() {
	defer close(c.done)
	var tick <-chan time.Time
	if c.live {
		t := time.NewTicker(drawEvery)
		defer t.Stop()
		tick = t.C
	}
	// The sink is flushed when no record is waiting, but at most every
	// flushEvery: a timer flushes what was written since.
	timer := time.NewTimer(flushEvery)
	timer.Stop()
	defer timer.Stop()
	armed := false
	for open := true; open; {
		var v any
		var flushC <-chan time.Time
		if armed {
			flushC = timer.C
		}
		select {
		case v, open = <-c.in:
		case <-tick:
			c.draw()
			continue
		case <-flushC:
			armed = false
			c.flush()
			continue
		default:
			// Nothing waiting: make what was written durable, then wait.
			if c.dirty && !armed {
				if d := flushEvery - time.Since(c.lastFlush); d <= 0 {
					c.flush()
				} else {
					timer.Reset(d)
					armed, flushC = true, timer.C
				}
			}
			select {
			case v, open = <-c.in:
			case <-tick:
				c.draw()
				continue
			case <-flushC:
				armed = false
				c.flush()
				continue
			}
		}
		if open {
			for _, x := range v.([]*rec) {
				c.take(x)
			}
		}
	}
	c.flush()
}

// take handles the outcome of a job.
func (c *collector) take(x *rec) {
	if !c.r.opt.Ordered {
		if x.r != nil {
			c.write(x.r)
		}
		return
	}
	g := c.pending[x.seq]
	if g == nil {
		g = &group{recs: make([]*rec, 0, x.n), n: x.n}
		c.pending[x.seq] = g
	}
	g.recs = append(g.recs, x)
	g.dropped = g.dropped || x.dropped
	for !c.stopped {
		g := c.pending[c.next]
		if g == nil || len(g.recs) < g.n {
			return
		}
		delete(c.pending, c.next)
		c.next++
		if g.dropped {
			// An interrupted input: writing later ones would break the
			// order of the output when the run is resumed.
			c.stopped = true
			return
		}
		slices.SortFunc(g.recs, func(a, b *rec) int { return a.page - b.page })
		for _, x := range g.recs {
			if x.r != nil {
				c.write(x.r)
			}
		}
	}
}

// write hands a record to the sink.
func (c *collector) write(rd *Record) {
	if c.err != nil {
		return
	}
	if err := c.r.sink.Write(rd); err != nil {
		c.fail(err)
		return
	}
	c.dirty = true
	if rd.Failed() {
		c.r.failed.Add(1)
	} else {
		c.r.done.Add(1)
	}
}

// flush flushes the sink if records were written since the last time.
func (c *collector) flush() {
	if !c.dirty || c.err != nil {
		return
	}
	c.dirty = false
	c.lastFlush = time.Now()
	if err := c.r.sink.Flush(); err != nil {
		c.fail(err)
	}
}

// fail stops the run on an error of the sink.
func (c *collector) fail(err error) {
	c.err = err
	c.r.cancel(err)
}

// draw redraws the progress line.
func (c *collector) draw() {
	s := c.r.summary()
	line := fmt.Sprintf("batch: %s done, %s failed, %s skipped  %s images/s",
		progress.Commas(s.Done), progress.Commas(s.Failed), progress.Commas(s.Skipped), progress.Rate(s.Rate()))
	pad := max(c.lastLine-len(line), 0)
	io.WriteString(c.r.opt.Progress, "\r"+line+strings.Repeat(" ", pad))
	c.lastLine = len(line)
}

// clearLine erases the progress line, if one was drawn.
func (c *collector) clearLine() {
	if c.lastLine > 0 {
		io.WriteString(c.r.opt.Progress, "\r"+strings.Repeat(" ", c.lastLine)+"\r")
		c.lastLine = 0
	}
}
