package output

import (
	"sync"

	"github.com/ftpsniff/ftpsniff/session"
)

// asyncQueue is how many records an Async writer holds before Transfer and
// Session wait for its goroutine.
const asyncQueue = 1024

// Async returns a Writer that renders and writes records on a goroutine of
// its own: Transfer and Session take a copy of the record (the tracker may
// still add a late reply to a decided transfer) and return at once, and
// records reach w in the order given. An error from w is returned by the
// calls after it and by Close. Close waits until w has every record, then
// closes w with the summary. w must not keep the records it is given after
// its call returns (none of this package's writers do): copies are reused.
func Async(w Writer) Writer {
	a := &asyncWriter{
		w:    w,
		ch:   make(chan asyncRecord, asyncQueue),
		free: make(chan *session.Transfer, asyncQueue+1),
		done: make(chan struct{}),
	}
	go a.run()
	return a
}

// asyncRecord is one record in an Async writer's queue.
type asyncRecord struct {
	t *session.Transfer
	s *session.Session
}

type asyncWriter struct {
	w    Writer
	ch   chan asyncRecord
	free chan *session.Transfer // copies w is done with
	done chan struct{}

	mu  sync.Mutex
	err error // first error from w
}

func (a *asyncWriter) run() {
	defer close(a.done)
	for r := range a.ch {
		if a.failed() != nil {
			continue // keep draining: the senders must not block
		}
		var err error
		if r.t != nil {
			err = a.w.Transfer(r.t)
			select {
			case a.free <- r.t:
			default:
			}
		} else {
			err = a.w.Session(r.s)
		}
		if err != nil {
			a.mu.Lock()
			a.err = err
			a.mu.Unlock()
		}
	}
}

func (a *asyncWriter) failed() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Transfer implements Writer: it queues a copy of t.
func (a *asyncWriter) Transfer(t *session.Transfer) error {
	if t == nil {
		return errNil
	}
	var c *session.Transfer
	select {
	case c = <-a.free:
	default:
		c = new(session.Transfer)
	}
	copyTransfer(c, t)
	a.ch <- asyncRecord{t: c}
	return a.failed()
}

// copyTransfer makes dst a copy of src that shares nothing the tracker may
// change later, reusing dst's storage.
func copyTransfer(dst, src *session.Transfer) {
	replies := dst.Replies
	negReply, data, wire := dst.NegotiationReply, dst.Data, dst.Wire
	*dst = *src
	dst.Replies = append(replies[:0], src.Replies...)
	dst.NegotiationReply = copyPtr(negReply, src.NegotiationReply)
	dst.Data = copyPtr(data, src.Data)
	dst.Wire = copyPtr(wire, src.Wire)
}

// copyPtr returns a pointer to a copy of *src (nil for nil), reusing dst.
func copyPtr[T any](dst, src *T) *T {
	if src == nil {
		return nil
	}
	if dst == nil {
		dst = new(T)
	}
	*dst = *src
	return dst
}

// Session implements Writer: it queues a copy of s. The tracker reports a
// session when it has ended and changes nothing of it afterwards, so the
// copy shares its slices and map.
func (a *asyncWriter) Session(s *session.Session) error {
	if s == nil {
		return errNil
	}
	c := *s
	a.ch <- asyncRecord{s: &c}
	return a.failed()
}

// Close implements Writer: it waits for the queue to drain, then closes w.
func (a *asyncWriter) Close(sum *session.Summary) error {
	close(a.ch)
	<-a.done
	if err := a.failed(); err != nil {
		return err
	}
	return a.w.Close(sum)
}
