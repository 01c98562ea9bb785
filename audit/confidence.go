package audit

// Confidence grades how firmly the evidence in the capture supports a
// finding, a firewall placement or a range inference.
type Confidence string

// Confidence grades, strongest first.
const (
	// Certain: the capture shows it directly (a RST or ICMP error and its
	// sender, the advertised address itself, a server reply naming it).
	Certain Confidence = "certain"
	// Likely: the capture shows it indirectly (unanswered SYNs, a 425 with
	// no SYN in sight, a boundary between ports that worked and failed).
	Likely Confidence = "likely"
	// Possible: the capture is consistent with it but does not show it;
	// rules are withheld and the finding says which capture would settle it.
	Possible Confidence = "possible"
)

// rank orders grades: certain 2, likely 1, possible 0.
func (c Confidence) rank() int {
	switch c {
	case Certain:
		return 2
	case Likely:
		return 1
	}
	return 0
}

// weakest returns the lower of two grades.
func weakest(a, b Confidence) Confidence {
	if a.rank() <= b.rank() {
		return a
	}
	return b
}
