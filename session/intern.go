package session

import "hash/maphash"

// internSlots is the size of an internTable.
const internSlots = 1024

// internMax is the longest line an internTable keeps.
const internMax = 160

// internTable turns byte strings into strings, handing back the string it
// made last time for the same bytes when that is still in its slot: FTP
// servers send the same reply lines over and over ("150 Here comes the
// directory listing.", "226 Transfer complete."), and each would otherwise
// be a fresh allocation. It is a direct-mapped cache: bounded (internSlots
// strings of at most internMax bytes), with a newer string replacing an
// older one in its slot.
type internTable struct {
	seed  maphash.Seed
	slots [internSlots]string
}

func newInternTable() *internTable { return &internTable{seed: maphash.MakeSeed()} }

// intern returns a string equal to b.
func (it *internTable) intern(b []byte) string {
	if len(b) > internMax || len(b) == 0 {
		return string(b)
	}
	i := maphash.Bytes(it.seed, b) % internSlots
	if s := it.slots[i]; s == string(b) {
		return s
	}
	s := string(b)
	it.slots[i] = s
	return s
}
