package session

// fifo is a first-in first-out queue on a slice; popped slots are reused
// once more than half of the slice is behind the head.
type fifo[T any] struct {
	items []T
	head  int
}

// len returns the number of queued items.
func (q *fifo[T]) len() int { return len(q.items) - q.head }

// push appends v at the tail.
func (q *fifo[T]) push(v T) { q.items = append(q.items, v) }

// peek returns the item at the head, if any.
func (q *fifo[T]) peek() (T, bool) {
	if q.head == len(q.items) {
		var zero T
		return zero, false
	}
	return q.items[q.head], true
}

// pop removes the item at the head (the queue must not be empty).
func (q *fifo[T]) pop() {
	var zero T
	q.items[q.head] = zero
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > len(q.items)/2 && q.head >= 64 {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}

// filter keeps, in order, the items for which keep returns true.
func (q *fifo[T]) filter(keep func(T) bool) {
	kept := q.items[:0]
	for _, v := range q.items[q.head:] {
		if keep(v) {
			kept = append(kept, v)
		}
	}
	clear(q.items[len(kept):])
	q.items, q.head = kept, 0
}
