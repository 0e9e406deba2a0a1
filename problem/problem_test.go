package problem_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/problem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errPort = errors.New("invalid port")

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    problem.Error
		want string
	}{
		{problem.Error{Kind: errPort}, "invalid port"},
		{problem.Error{}, "invalid input"},
		{problem.Error{Pos: problem.Pos{File: "d.yaml", Line: 3, Col: 9}, Resource: `nsg "n"`,
			Items: []problem.Item{{List: "securityRules", Kind: "rule", Name: "web", Index: 2}},
			Field: "destinationPortRange", Value: "0", Kind: errPort, Detail: "0 is outside 1..65535"},
			`d.yaml:3:9: nsg "n": rule "web" (#2): destinationPortRange "0": invalid port: 0 is outside 1..65535`},
		{problem.Error{Pos: problem.Pos{File: "d.yaml", Line: 3}, Items: []problem.Item{{Kind: "addressSpace", Index: -1}, {Kind: "route", Name: "", Index: 0}},
			Field: "f", Kind: errPort}, `d.yaml:3: addressSpace: route "" (#0): f: invalid port`},
		{problem.Error{Pos: problem.Pos{File: "gone.json"}, Field: "f", Value: strings.Repeat("é", 300), Kind: errPort},
			`gone.json: f "` + strings.Repeat("é", 248) + `...": invalid port`},
	} {
		assert.Equal(t, tc.want, tc.e.Error())
	}
}

func TestPos(t *testing.T) {
	assert.Equal(t, "-", problem.Pos{}.String())
	assert.Equal(t, "f", problem.Pos{File: "f"}.String())
	assert.Equal(t, "f:2", problem.Pos{File: "f", Line: 2}.String())
	assert.Equal(t, "f:2:5", problem.Pos{File: "f", Line: 2, Col: 5}.String())
	assert.Equal(t, "2:5", problem.Pos{Line: 2, Col: 5}.String())
	assert.False(t, problem.Pos{File: "f"}.IsValid())
	assert.True(t, problem.Pos{File: "f", Line: 1}.IsValid())
}

func TestShortenKeepsUTF8(t *testing.T) {
	for n := 3; n < 20; n++ {
		s := problem.Shorten(strings.Repeat("日本", 10), n)
		assert.LessOrEqual(t, len(s), n)
		assert.True(t, strings.HasSuffix(s, "..."))
		assert.True(t, strings.ToValidUTF8(s, "?") == s, "%q", s)
	}
	assert.Equal(t, "abc", problem.Shorten("abc", 3))
}

// errors.Is finds the category and the cause; errors.As finds the cause's
// type; code that flattens errors.Join lists does not take one problem apart.
func TestUnwrap(t *testing.T) {
	_, cause := netip.ParsePrefix("10.0.0.300/8")
	require.Error(t, cause)
	e := &problem.Error{Kind: errPort, Cause: cause, Detail: "x"}
	assert.ErrorIs(t, e, errPort)
	assert.ErrorIs(t, e, cause)
	_, isList := any(e).(interface{ Unwrap() []error })
	assert.False(t, isList)
	assert.ErrorIs(t, &problem.Error{Kind: errPort}, errPort)
	assert.NoError(t, (&problem.Error{}).Unwrap())
	var got *problem.Error
	require.ErrorAs(t, fmt.Errorf("load: %w", e), &got)
	assert.Same(t, e, got)
}

func TestIndex(t *testing.T) {
	e := &problem.Error{Items: []problem.Item{{List: "ruleCollectionGroups", Index: 1}, {List: "ruleCollections", Index: 0}, {List: "rules", Index: 4}}}
	assert.Equal(t, 1, e.Index("ruleCollectionGroups"))
	assert.Equal(t, 0, e.Index("ruleCollections"))
	assert.Equal(t, 4, e.Index("rules"))
	assert.Equal(t, -1, e.Index("routes"))
}

// A List keeps Max problems, counts the rest, and its error says how many
// more there are; Merge folds in another call's errors with their counts.
func TestListCap(t *testing.T) {
	var l problem.List
	assert.NoError(t, l.Err())
	for i := range problem.Max + 5 {
		l.Add(&problem.Error{Field: fmt.Sprint(i), Kind: errPort})
	}
	assert.True(t, l.Full())
	assert.Equal(t, problem.Max+5, l.Len())
	err := l.Err()
	var es *problem.Errors
	require.ErrorAs(t, err, &es)
	assert.Len(t, es.List, problem.Max)
	assert.Equal(t, problem.Max+5, es.Total)
	assert.True(t, strings.HasSuffix(err.Error(), "\n... and 5 more problems"), err.Error()[len(err.Error())-40:])
	assert.ErrorIs(t, err, errPort)
	assert.Len(t, problem.All(err), problem.Max)

	var m problem.List
	m.Add(&problem.Error{Kind: errPort})
	m.Merge(err)
	m.Merge(errors.Join(&problem.Error{Kind: errPort}, errors.New("open x: no such file")))
	m.Merge(nil)
	assert.Equal(t, 1+problem.Max+5+2, m.Len())
	require.ErrorAs(t, m.Err(), &es)
	assert.Len(t, es.List, problem.Max)
}

func TestAll(t *testing.T) {
	a, b := &problem.Error{Kind: errPort}, &problem.Error{Kind: errPort}
	got := problem.All(errors.Join(a, fmt.Errorf("wrapped: %w", b), errors.New("plain")))
	assert.Equal(t, []*problem.Error{a, b}, got)
	assert.Nil(t, problem.All(nil))
}

func ExampleError() {
	err := &problem.Error{
		Pos:      problem.Pos{File: "hub.json", Line: 42, Col: 17},
		Resource: `nsg "nsg-app"`,
		Items:    []problem.Item{{List: "securityRules", Kind: "rule", Name: "deny-smb", Index: 3}},
		Field:    "destinationPortRange",
		Value:    "0",
		Kind:     errPort,
		Detail:   "0 is outside 1..65535",
	}
	fmt.Println(err)
	fmt.Println(errors.Is(err, errPort), err.Index("securityRules"))
	// Output:
	// hub.json:42:17: nsg "nsg-app": rule "deny-smb" (#3): destinationPortRange "0": invalid port: 0 is outside 1..65535
	// true 3
}
