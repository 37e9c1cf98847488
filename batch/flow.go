package batch

import (
	"sync"

	"github.com/reugn/go-streams"
)

// pool is a go-streams flow that maps each element with fn in n
// long-lived goroutines, emitting the results in completion order (as
// flow.Map and flow.FlatMap do with a parallelism above 1), or (newFlatPool)
// the elements fn emits.
//
// flow.Map starts a goroutine per element, whose stack then grows to the
// depth of the processor's calls (convolution kernels, decompressors):
// on small images that copying cost a tenth of the run. The goroutines of
// a pool grow their stacks once.
type pool[T, R any] struct {
	in  chan any
	out chan any
}

var _ streams.Flow = (*pool[int, int])(nil)

// newPool returns a flow running fn in n goroutines. Its input and output
// hold n elements each, so that a worker rarely waits for the stages
// around it to be scheduled.
func newPool[T, R any](fn func(T) R, n int) *pool[T, R] {
	return newFlatPool(func(v T, emit func(R)) { emit(fn(v)) }, n)
}

// newFlatPool returns a flow running fn in n goroutines, emitting the
// elements fn gives to its emit function as fn goes.
func newFlatPool[T, R any](fn func(v T, emit func(R)), n int) *pool[T, R] {
	n = max(n, 1)
	p := &pool[T, R]{in: make(chan any, 4*n), out: make(chan any, 4*n)}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			emit := func(r R) { p.out <- r }
			for v := range p.in {
				fn(v.(T), emit)
			}
		})
	}
	go func() {
		wg.Wait()
		close(p.out)
	}()
	return p
}

// In implements streams.Inlet.
func (p *pool[T, R]) In() chan<- any { return p.in }

// Out implements streams.Outlet.
func (p *pool[T, R]) Out() <-chan any { return p.out }

// Via implements streams.Flow: it streams the results to next.
func (p *pool[T, R]) Via(next streams.Flow) streams.Flow {
	go p.transmit(next)
	return next
}

// To implements streams.Flow: it streams the results to sink and waits
// until the sink is done.
func (p *pool[T, R]) To(sink streams.Sink) {
	p.transmit(sink)
	sink.AwaitCompletion()
}

func (p *pool[T, R]) transmit(inlet streams.Inlet) {
	for v := range p.out {
		inlet.In() <- v
	}
	close(inlet.In())
}
