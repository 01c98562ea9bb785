package session

import (
	"fmt"
	"testing"
)

func TestInternTable(t *testing.T) {
	it := newInternTable()
	a := it.intern([]byte("226 Transfer complete."))
	b := it.intern([]byte("226 Transfer complete."))
	if a != "226 Transfer complete." || b != a {
		t.Fatalf("intern: %q %q", a, b)
	}
	if n := testing.AllocsPerRun(100, func() { it.intern([]byte("226 Transfer complete.")) }); n != 0 {
		t.Errorf("interning a known line allocates %v times", n)
	}
	// Far more distinct lines than slots: every result is still right.
	for i := range 10 * internSlots {
		l := fmt.Sprintf("150 Opening data connection for file%d", i)
		if got := it.intern([]byte(l)); got != l {
			t.Fatalf("intern(%q) = %q", l, got)
		}
	}
	long := make([]byte, internMax+1)
	for i := range long {
		long[i] = 'x'
	}
	if got := it.intern(long); got != string(long) {
		t.Fatal("long line changed")
	}
	if got := it.intern(nil); got != "" {
		t.Fatalf("intern(nil) = %q", got)
	}
}
