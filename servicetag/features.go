package servicetag

import (
	"encoding"
	"fmt"
	"strings"
)

// Features is the set of Azure features that accept a service tag, as listed
// in the tag's networkFeatures field.
//
// The zero value is the empty set: the file's JSON null (about half of all
// tags, mostly regional ones) and an empty array both decode to it.
// Features is a small comparable value type; copy it freely.
type Features uint8

// The features named in networkFeatures. The file lists them in no fixed
// order; [Features.String] prints them in the order of these constants.
const (
	// API: the tag is returned by the Service Tag Discovery API
	// (Get-AzNetworkServiceTag, REST serviceTags list).
	API Features = 1 << iota
	// NSG: the tag can be used in network security group rules.
	NSG
	// UDR: the tag can be used as the address prefix of a user-defined route.
	UDR
	// FW: the tag can be used in Azure Firewall rules.
	FW
	// VSE: the service can be reached through a virtual network service
	// endpoint (Storage, Sql, AzureKeyVault, ...).
	VSE

	allFeatures = API | NSG | UDR | FW | VSE
)

// featureNames holds the file's spelling of each feature, in bit order.
var featureNames = [...]string{"API", "NSG", "UDR", "FW", "VSE"}

// Has reports whether f contains every feature in g. Has(0) is true.
func (f Features) Has(g Features) bool { return f&g == g }

// String returns the features as a comma-separated list in the order API,
// NSG, UDR, FW, VSE (for example "API,NSG,UDR,FW"), and "" for the empty
// set. Bits that name no feature print last, in hexadecimal.
func (f Features) String() string {
	b, _ := f.AppendText(nil)
	return string(b)
}

// AppendText implements [encoding.TextAppender], appending the form
// returned by [Features.String] to b. It never fails.
func (f Features) AppendText(b []byte) ([]byte, error) {
	first := true
	for i, name := range featureNames {
		if f&(1<<i) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		b = append(b, name...)
		first = false
	}
	if rest := f &^ allFeatures; rest != 0 {
		if !first {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%#x", uint8(rest))
	}
	return b, nil
}

// MarshalText implements [encoding.TextMarshaler] using [Features.String].
func (f Features) MarshalText() ([]byte, error) { return f.AppendText(nil) }

// UnmarshalText implements [encoding.TextUnmarshaler]. It accepts what
// [Features.String] prints for a set of the five features: their names
// separated by commas, in any order and letter case, with optional spaces
// around each name. The empty string is the empty set. Anything else is an
// error and leaves f unchanged.
func (f *Features) UnmarshalText(text []byte) error {
	var v Features
	s := strings.TrimSpace(string(text))
	if s != "" {
		for name := range strings.SplitSeq(s, ",") {
			g, ok := parseFeature(strings.TrimSpace(name))
			if !ok {
				return fmt.Errorf("servicetag: unknown network feature %q in %q (want API, NSG, UDR, FW or VSE)", name, text)
			}
			v |= g
		}
	}
	*f = v
	return nil
}

// parseFeature returns the feature named s, in any letter case.
func parseFeature(s string) (Features, bool) {
	for i, name := range featureNames {
		if strings.EqualFold(s, name) {
			return 1 << i, true
		}
	}
	return 0, false
}

var (
	_ encoding.TextAppender    = Features(0)
	_ encoding.TextUnmarshaler = (*Features)(nil)
)
