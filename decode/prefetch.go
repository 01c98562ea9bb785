package decode

import (
	"errors"
	"io"
	"sync"
)

// Prefetch sizes: a batch holds at most prefetchPackets packets or about
// prefetchBytes of frame data (one frame more at most); prefetchDepth
// batches may be ready ahead of the reader. So the frames in flight stay
// below a few MiB whatever the capture's record sizes.
const (
	prefetchPackets = 256
	prefetchBytes   = 512 << 10
	prefetchDepth   = 4
)

// Prefetch returns a Source that reads and decodes src's packets on a
// goroutine of its own, a few batches ahead of the caller, so that reading
// and decoding the next packets overlap with the caller's work on the
// current ones. Packets, their order, errors (in place: an *InputError
// comes between the same packets as from src) and the final Stats are
// src's. Each packet's Data and Payload stay valid until the following
// call to Next: for classic pcap inputs of OpenFiles they are the frames in
// the reader's buffers, which a reader then moves on from instead of
// overwriting (a buffer is reused once every batch pointing into it has
// been read); other frames are copied. Use it for sources that end by themselves
// (files): a packet waits until its batch is full or src has nothing more,
// so a live source or a slow pipe would be delayed. Close stops the
// goroutine and closes src.
func Prefetch(src Source) Source {
	p := &prefetcher{
		src:   src,
		ready: make(chan *batch, prefetchDepth),
		free:  make(chan *batch, prefetchDepth+2),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if fs, ok := src.(*fileSource); ok {
		// Classic pcap frames are not copied: the readers leave them in
		// place, and a buffer is reused once every batch pointing into it
		// has been read.
		p.chunks = &chunkPool{free: make(chan []byte, 2*prefetchDepth)}
		fs.useChunks(p.chunks)
	}
	go p.produce()
	return p
}

// batch is a run of packets read ahead, with copies of their frames (for
// those that need one), the error that ended it (nil if none), src's Stats
// after it, and the reader buffers retired while it was made: they are
// free once the batch has been read.
type batch struct {
	pkts    []Packet
	buf     []byte
	err     error
	stats   Stats
	retired [][]byte
}

// prefetcher is the Source returned by Prefetch.
type prefetcher struct {
	src    Source
	chunks *chunkPool    // nil when src's frames must be copied
	ready  chan *batch   // filled batches, in order
	free   chan *batch   // batches the reader is done with
	stop   chan struct{} // closed by Close
	done   chan struct{} // closed when produce returns

	cur     *batch // batch being read
	i       int    // next packet of cur
	errSent bool   // cur.err was returned
	stats   Stats  // of the last batch taken
	final   error  // a terminal error returned once; later calls repeat it
	closed  bool
	close   sync.Once
}

// produce fills batches until src ends with a terminal error or Close.
func (p *prefetcher) produce() {
	defer close(p.done)
	defer close(p.ready)
	for {
		var b *batch
		select {
		case b = <-p.free:
		default:
			// Room for one more frame past prefetchBytes: the last one
			// always fits.
			b = &batch{pkts: make([]Packet, 0, prefetchPackets), buf: make([]byte, 0, prefetchBytes+MaxCaptureLength)}
		}
		b.pkts, b.buf, b.err = b.pkts[:0], b.buf[:0], nil
		// frames counts the batch's frame bytes, copied or left in the
		// reader's buffers: it bounds the memory in flight either way.
		frames := 0
		for len(b.pkts) < prefetchPackets && frames < prefetchBytes {
			b.pkts = append(b.pkts, Packet{})
			pk := &b.pkts[len(b.pkts)-1]
			if err := p.src.Next(pk); err != nil {
				b.pkts = b.pkts[:len(b.pkts)-1]
				b.err = err
				break
			}
			b.buf = keepFrame(pk, b.buf)
			frames += len(pk.Data)
		}
		b.stats = p.src.Stats()
		if p.chunks != nil {
			b.retired = p.chunks.take()
		}
		select {
		case p.ready <- b:
		case <-p.stop:
			return
		}
		if b.err != nil && !isInputError(b.err) {
			return // io.EOF or a failure: nothing follows
		}
	}
}

// keepFrame copies p's frame to the end of buf (growing it when the frame
// does not fit, so earlier frames keep their place) and points p.Data and
// p.Payload at the copy. It returns the extended buf.
func keepFrame(p *Packet, buf []byte) []byte {
	if p.stable {
		return buf // the reader leaves it in place
	}
	if len(buf)+len(p.Data) > cap(buf) {
		// Only a frame longer than MaxCaptureLength gets here. A new
		// array: packets already in the batch point into the old one.
		buf = make([]byte, 0, len(p.Data))
	}
	off := len(buf)
	buf = append(buf, p.Data...)
	data := buf[off:len(buf):len(buf)]
	if len(p.Payload) > 0 {
		// Payload is a part of Data: find where, or copy it on its own.
		i := cap(p.Data) - cap(p.Payload)
		if i >= 0 && i+len(p.Payload) <= len(p.Data) && &p.Data[i] == &p.Payload[0] {
			p.Payload = data[i : i+len(p.Payload) : i+len(p.Payload)]
		} else {
			p.Payload = append([]byte(nil), p.Payload...)
		}
	}
	p.Data = data
	return buf
}

func isInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// Next implements Source.
func (p *prefetcher) Next(pk *Packet) error {
	if p.closed {
		return ErrClosed
	}
	for {
		if b := p.cur; b != nil {
			if p.i < len(b.pkts) {
				*pk = b.pkts[p.i]
				p.i++
				return nil
			}
			if b.err != nil && !p.errSent {
				p.errSent = true
				if !isInputError(b.err) {
					p.final = b.err
				}
				return b.err
			}
			p.cur = nil
			if p.chunks != nil {
				p.chunks.give(b.retired)
				b.retired = nil
			}
			select {
			case p.free <- b:
			default:
			}
		}
		if p.final != nil {
			return p.final
		}
		b, ok := <-p.ready
		if !ok {
			return io.EOF
		}
		p.cur, p.i, p.errSent, p.stats = b, 0, false, b.stats
	}
}

// Stats implements Source: src's counters as of the batch being read.
func (p *prefetcher) Stats() Stats { return p.stats }

// Close implements Source: it stops the reading goroutine and closes src.
func (p *prefetcher) Close() error {
	var err error
	p.close.Do(func() {
		p.closed = true
		close(p.stop)
		for range p.ready { // let produce finish a blocked send
		}
		<-p.done
		err = p.src.Close()
	})
	return err
}
