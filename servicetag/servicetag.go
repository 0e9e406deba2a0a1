package servicetag

import (
	_ "embed" // for the default copy of the file
	"iter"
	"net/netip"
	"strings"
	"sync"
	"unicode/utf8"
)

// Set is the content of one service-tags file: every tag, its prefixes and
// its metadata, with lookup by name.
//
// Build a Set with [Parse], [ParseFile] or [Default]. The zero Set is empty
// and ready to use: it has no tags, [Set.ChangeNumber] 0 and [Set.Cloud] "".
//
// A Set never changes once built, so a *Set is safe for concurrent use by any
// number of goroutines without locking; share the pointer. A Set must not be
// copied by value (go vet reports copies).
//
// A Set holds every prefix of the file in one backing array; the real Public
// file (about 96,000 prefixes in 3,000 tags) takes about 3 MB.
type Set struct {
	_ [0]sync.Mutex // no copying: go vet's copylocks check

	changeNumber int
	cloud        string
	tags         []tagRec         // sorted by key; no two keys equal
	index        map[string]int32 // key -> index in tags
}

// tagRec is one tag of a Set.
type tagRec struct {
	name          string // as spelled in the file
	key           string // strings.ToLower(name)
	region        string // lower case; "" for a global tag
	systemService string
	regionID      int
	changeNumber  int
	features      Features
	// prefixes is a sub-slice of the Set's backing array, with its capacity
	// clipped to its length so that an append by a caller copies. It is
	// sorted by [netip.Prefix.Compare] (IPv4 first) and has no duplicates.
	prefixes []netip.Prefix
}

// ChangeNumber returns the file's top-level changeNumber, which Microsoft
// increases whenever any tag changes.
func (s *Set) ChangeNumber() int { return s.changeNumber }

// Cloud returns the file's cloud field, such as "Public" or
// "AzureGovernment".
func (s *Set) Cloud() string { return s.cloud }

// Len returns the number of tags in s.
func (s *Set) Len() int { return len(s.tags) }

// ServiceTag returns the address prefixes and the region of the tag called
// name. Names are compared case-insensitively: the file spells
// "Storage.EastUS" but "AzureCloud.eastus", and Azure accepts any case in
// rules and routes.
//
// The prefixes are sorted (IPv4 before IPv6, then by address and length),
// masked, and free of duplicates. The slice is shared by every caller and
// must not be modified; appending to it is safe. Use [Set.Tag] and
// [Tag.Prefixes] for a copy.
//
// region is the tag's region in lower case ("eastus"), or "" for a tag
// that covers the whole cloud. It comes from the file's region field, not
// from the name: "AzureFrontDoor.Frontend" is global.
//
// If s has no tag called name, ServiceTag returns nil, "" and false. That is
// always the case for the virtual tags (see [IsVirtual]), which are not in
// the file.
//
// ServiceTag does not allocate for names of up to 64 ASCII bytes. It is
// the method of the service-tag resolver interfaces that the route and nsg
// packages declare, so a *Set can be passed to them.
func (s *Set) ServiceTag(name string) (prefixes []netip.Prefix, region string, ok bool) {
	t := s.find(name)
	if t == nil {
		return nil, "", false
	}
	return t.prefixes, t.region, true
}

// Tag returns the tag called name, compared case-insensitively as in
// [Set.ServiceTag], and true; or the zero Tag and false if s has none.
func (s *Set) Tag(name string) (Tag, bool) {
	t := s.find(name)
	if t == nil {
		return Tag{}, false
	}
	return Tag{t}, true
}

// Names returns the names of all tags, as spelled in the file, in the
// order of [Set.All]. The slice is new on every call. It runs in O(n).
func (s *Set) Names() []string {
	names := make([]string, len(s.tags))
	for i := range s.tags {
		names[i] = s.tags[i].name
	}
	return names
}

// All returns an iterator over the tags of s, sorted by their lower-case
// names (so "AzureCloud" comes before "AzureCloud.eastus", which comes
// before "AzureCognitiveSearch"). The order is the same on every run.
func (s *Set) All() iter.Seq[Tag] {
	return func(yield func(Tag) bool) {
		for i := range s.tags {
			if !yield(Tag{&s.tags[i]}) {
				return
			}
		}
	}
}

// find returns the tag called name, case-insensitively, or nil.
func (s *Set) find(name string) *tagRec {
	var buf [64]byte
	var i int32
	var ok bool
	if b, ascii := appendLowerASCII(buf[:0], name); ascii {
		i, ok = s.index[string(b)] // no allocation: the compiler reuses b
	} else {
		i, ok = s.index[strings.ToLower(name)]
	}
	if !ok {
		return nil
	}
	return &s.tags[i]
}

// appendLowerASCII appends s in lower case to b and reports true, if s is
// all ASCII; otherwise it reports false.
func appendLowerASCII(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return b, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b, true
}

// Tag is one service tag of a [Set]: its name, region, owning service,
// network features and prefixes.
//
// The zero Tag has no name and no prefixes. A Tag is a small comparable value
// (a pointer into its Set); copy it freely. It is safe for concurrent use.
type Tag struct {
	t *tagRec
}

// Name returns the tag's name as spelled in the file ("Storage.EastUS").
func (t Tag) Name() string {
	if t.t == nil {
		return ""
	}
	return t.t.name
}

// Region returns the tag's region in lower case ("eastus"), or "" for a
// tag that covers the whole cloud.
func (t Tag) Region() string {
	if t.t == nil {
		return ""
	}
	return t.t.region
}

// RegionID returns the file's regionId: Azure's number for the region
// (32 for eastus), or 0 for a tag that covers the whole cloud.
func (t Tag) RegionID() int {
	if t.t == nil {
		return 0
	}
	return t.t.regionID
}

// SystemService returns the service that owns the tag's addresses
// ("AzureStorage" for Storage and Storage.EastUS), or "" if the file names
// none.
func (t Tag) SystemService() string {
	if t.t == nil {
		return ""
	}
	return t.t.systemService
}

// ChangeNumber returns the tag's own changeNumber, which Microsoft increases
// whenever the tag changes.
func (t Tag) ChangeNumber() int {
	if t.t == nil {
		return 0
	}
	return t.t.changeNumber
}

// Features returns the Azure features that accept the tag; it is empty
// where the file's networkFeatures is null.
func (t Tag) Features() Features {
	if t.t == nil {
		return 0
	}
	return t.t.features
}

// Prefixes returns a new slice holding the tag's prefixes, in the order
// described at [Set.ServiceTag]. [Set.ServiceTag] returns the same
// prefixes without copying; [Tag.AppendPrefixes] copies into a slice of
// the caller's.
func (t Tag) Prefixes() []netip.Prefix {
	return t.AppendPrefixes(nil)
}

// AppendPrefixes appends the tag's prefixes to dst, in the order described
// at [Set.ServiceTag], and returns the extended slice.
func (t Tag) AppendPrefixes(dst []netip.Prefix) []netip.Prefix {
	if t.t == nil {
		return dst
	}
	return append(dst, t.t.prefixes...)
}

// virtualTags are the tags that Azure expands per network, or to fixed
// platform addresses, and that are therefore not in the file, lower-cased.
var virtualTags = [...]string{
	"virtualnetwork",
	"internet",
	"azureloadbalancer",
	"azureplatformdns",
	"azureplatformimds",
	"azureplatformlkm",
}

// IsVirtual reports whether name, in any letter case, is one of the tags
// that Azure accepts in rules but that the service-tags file does not list:
// VirtualNetwork, Internet and AzureLoadBalancer, whose addresses depend on
// the network, and AzurePlatformDNS, AzurePlatformIMDS and AzurePlatformLKM,
// which stand for platform services. [Set.ServiceTag] reports false for
// them; a caller expands them from its own model of the network.
func IsVirtual(name string) bool {
	for _, v := range virtualTags {
		if strings.EqualFold(name, v) {
			return true
		}
	}
	return false
}

// defaultIndex is the Set of the embedded default copy,
// ServiceTags_Public_20251109.json, Microsoft's "Azure IP Ranges and
// Service Tags – Public Cloud" file (Download Center id 56519) as current on
// 2025-11-09, changeNumber 376, sha256
// 130224f9b44e2b99642719357c97cc4bfccde788a6bf7a19bb675d17e520d805. The
// file was copied from the project's shared/data folder into
// data/ServiceTags_Public_20251109.json.gz (gzip -9); the build and the
// tests never read shared/. go generate encodes its Set as an index (see
// index.go), which the tests check against the file, tag for tag.
//
//go:generate go test -run ^TestDefaultIndex$ -update-index .
//go:embed data/ServiceTags_Public_20251109.index
var defaultIndex string

var loadDefault = sync.OnceValues(func() (*Set, error) { return decodeIndex(defaultIndex) })

// Default returns the Set of the copy of the public cloud's file embedded in
// this package, ServiceTags_Public_20251109.json (changeNumber 376).
//
// The copy is embedded as an index generated from the file, which the first
// call decodes (about a millisecond: it parses no JSON); later calls return
// the same *Set at once. The Set is the one [Parse] makes of the file.
// Default is safe for concurrent use. It fails only if the embedded index is
// broken, which this package's tests rule out.
//
// The embedded copy ages: Microsoft publishes a new file every week. Use
// [ParseFile] with a current download for up-to-date addresses.
func Default() (*Set, error) { return loadDefault() }
