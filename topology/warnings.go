package topology

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/egresslab/egress/problem"
)

// Categories of warnings: problems that do not stop a model from being used,
// reported by [Model.Warnings]. A warning is an [*Error] like any problem; what
// makes it a warning is the list it is in.
var (
	// ErrShortID: a resource ID in a short form other tools write
	// ("resourceGroups/rg/providers/...", without the subscription; see
	// arm.ParseLooseID). It is matched to references spelled the same,
	// compared case-insensitively.
	ErrShortID = errors.New("short resource ID")
	// ErrDuplicateKey: a JSON object holds a key twice (compared
	// case-insensitively). A warning when egress does not read the key; an
	// error, naming both positions, when it does.
	ErrDuplicateKey = errors.New("duplicate JSON key")
	// ErrAssumed: the input leaves out a value egress needs and egress
	// infers it (a firewall's private IP, a gateway's instance addresses).
	// The model says what it assumed ([Firewall.PrivateIPAssumed],
	// [Gateway.PrivateIPsAssumed]) so that results can state it.
	ErrAssumed = errors.New("assumed")
	// ErrMoreWarnings: the last warning when there are more than
	// [Model.Warnings] lists.
	ErrMoreWarnings = errors.New("more warnings")
)

// maxWarnings caps the warnings kept per load, as maxProblems caps errors.
const maxWarnings = problem.Max

// warnList collects the warnings of one load, capped like problems.
type warnList struct {
	list  []*Error
	extra int // warnings left out past the cap
}

// warn records a warning. Loaders use it as they use problems.add for
// errors, for what Azure accepts but egress can only partly use, and for
// what egress assumed.
func (w *warnList) warn(pos Pos, resource, field, value string, err error, detail string, args ...any) {
	if len(w.list) >= maxWarnings {
		w.extra++
		return
	}
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	w.list = append(w.list, &Error{Pos: pos, Resource: resource, Field: field, Value: value, Kind: err, Detail: detail})
}

// addWarnings keeps the warnings of a load with the model.
func (m *Model) addWarnings(w *warnList) {
	m.warnings.list = append(m.warnings.list, w.list...)
	m.warnings.extra += w.extra
}

// Warnings returns the warnings of the loaders that built the model:
// problems that do not stop the model from being used but that a careful
// user wants to see (short resource IDs, duplicate JSON keys egress does not
// read, mirrored associations naming resources the input does not hold,
// values egress assumed because the input leaves them out). Each names its
// position, resource and field like an error. They are sorted by file, line
// and column, then by message, and identical ones are listed once; past 200
// a final warning wrapping [ErrMoreWarnings] counts the rest. nil means
// none. [Model.Validate] neither adds to them nor clears them.
//
// A caller that wants no assumptions (the CLI's --strict) treats them as
// errors: see [Model.StrictError].
func (m *Model) Warnings() []*Error {
	if len(m.warnings.list) == 0 && m.warnings.extra == 0 {
		return nil
	}
	all := slices.Clone(m.warnings.list)
	slices.SortStableFunc(all, func(a, b *Error) int {
		return cmp.Or(strings.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col), strings.Compare(a.Error(), b.Error()))
	})
	all = slices.CompactFunc(all, func(a, b *Error) bool { return a.Error() == b.Error() })
	if m.warnings.extra > 0 {
		all = append(all, &Error{Kind: ErrMoreWarnings, Detail: fmt.Sprintf("%d more not listed", m.warnings.extra)})
	}
	return all
}

// StrictError returns the model's warnings joined into one error
// (errors.Join of [Model.Warnings]), or nil when there are none: what a
// caller that treats warnings as errors reports.
func (m *Model) StrictError() error {
	ws := m.Warnings()
	if len(ws) == 0 {
		return nil
	}
	errs := make([]error, len(ws))
	for i, w := range ws {
		errs[i] = w
	}
	return errors.Join(errs...)
}
