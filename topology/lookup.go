package topology

import (
	"errors"
	"strconv"
	"strings"
)

// Categories of a failed lookup by name ([Network.FindNIC], [Model.FindNIC]).
// The error is a *[LookupError] wrapping one of them; test with [errors.Is],
// and get the candidates with [errors.As].
var (
	// ErrUnknownNIC: no NIC has the name or ID.
	ErrUnknownNIC = errors.New("unknown NIC")
	// ErrAmbiguousNIC: the name is that of more than one NIC; an ID picks one.
	ErrAmbiguousNIC = errors.New("ambiguous NIC name")
)

// maxCandidates is how many candidates a LookupError's message lists.
const maxCandidates = 20

// LookupError is a lookup by name or ID that found no resource, or more than
// one. Candidates holds, sorted, the names of every resource of the kind
// when none matched (for "did you mean"), or the IDs of those that matched
// an ambiguous name; the message lists the first 20.
type LookupError struct {
	Kind       error  // ErrUnknownNIC or ErrAmbiguousNIC
	Name       string // the name or ID looked up
	ByID       bool   // Name was a resource ID
	Candidates []string
}

// Error says what was looked up and lists candidates.
func (e *LookupError) Error() string {
	var b strings.Builder
	switch {
	case e.Kind == ErrAmbiguousNIC:
		b.WriteString("NIC name " + strconv.Quote(e.Name) + " is ambiguous; use one of the IDs: ")
	case e.ByID:
		return "no NIC with ID " + strconv.Quote(e.Name)
	default:
		b.WriteString("no NIC named " + strconv.Quote(e.Name) + "; the model has: ")
	}
	n := min(len(e.Candidates), maxCandidates)
	b.WriteString(strings.Join(e.Candidates[:n], ", "))
	if more := len(e.Candidates) - n; more > 0 {
		b.WriteString(" (and " + strconv.Itoa(more) + " more)")
	}
	return b.String()
}

// Unwrap returns the category.
func (e *LookupError) Unwrap() error { return e.Kind }
