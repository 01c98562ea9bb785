package session

import "slices"

// flagSet is a small set of flag names: a transfer or session carries a
// handful at most, so a slice searched in order beats a map (and costs no
// allocation while empty).
type flagSet []string

// add puts f in the set.
func (fs *flagSet) add(f string) {
	if !slices.Contains(*fs, f) {
		*fs = append(*fs, f)
	}
}

// has reports whether f is in the set.
func (fs flagSet) has(f string) bool { return slices.Contains(fs, f) }

// appendSorted appends the set's names to dst in sorted order.
func (fs flagSet) appendSorted(dst []string) []string {
	n := len(dst)
	dst = append(dst, fs...)
	slices.Sort(dst[n:])
	return dst
}
