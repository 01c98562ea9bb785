package session

import "time"

// heapSlot places an element in a timeHeap: the time it is ordered by, its
// index there (-1 when it is not in one) and the element (a *session or a
// *dataConn).
type heapSlot struct {
	at    time.Time
	idx   int
	owner any
}

// timeHeap is a container/heap of slots ordered by time, each knowing its
// index, so that heap.Fix and heap.Remove reach it directly. It holds the
// live sessions by when they may be idle and the decided data connections
// by when they may go quiet.
type timeHeap []*heapSlot

func (h timeHeap) Len() int           { return len(h) }
func (h timeHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}

func (h *timeHeap) Push(x any) {
	s := x.(*heapSlot)
	s.idx = len(*h)
	*h = append(*h, s)
}

func (h *timeHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	s.idx = -1
	return s
}
