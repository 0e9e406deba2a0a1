package arm

import (
	"strconv"
	"sync"
)

// DuplicateKey is a key that one JSON object of a resource holds more than
// once, compared case-insensitively as lookups compare keys: {"priority": 100,
// "priority": 200}. JSON allows it (RFC 8259 §4 only says names "SHOULD be
// unique"); encoding/json and Json.NET, which Azure's tools use, keep the last
// value, and so do [Value.Get] and [Value.Prop].
//
// Whether it matters depends on who reads the key, so the parser does not
// decide: it lists the duplicates in [Resource.Duplicates], and the model
// builder tells an ignored key from one it reads with [TrackReads].
//
// DuplicateKey is a small comparable value; copy it freely.
type DuplicateKey struct {
	// Key is the key as spelled at its later occurrence.
	Key string
	// Path is the field path of the later occurrence from the resource
	// object, such as "properties.securityRules[0].properties.priority".
	Path string
	// First and Pos are where the first and the later occurrence's values
	// start.
	First, Pos Pos

	obj  uint32 // offset of the object holding the key
	fold uint64 // foldHash of the key
}

// duplicates lists the duplicate keys inside v, with paths from path.
func duplicates(v *Value, path []byte, out []DuplicateKey) []DuplicateKey {
	switch v.kind {
	case KindArray:
		for i := range v.kids {
			p := strconv.AppendInt(append(path, '['), int64(i), 10)
			out = duplicates(&v.kids[i], append(p, ']'), out)
		}
	case KindObject:
		for i, k := range v.keys {
			p := path
			if len(p) > 0 {
				p = append(p, '.')
			}
			p = append(p, k...)
			if v.dup {
				for j, x := range v.keys[:i] {
					if foldEqual(x, k) {
						out = append(out, DuplicateKey{Key: k, Path: string(p), First: v.kids[j].Pos(), Pos: v.kids[i].Pos(),
							obj: v.off, fold: foldHash(k)})
						break
					}
				}
			}
			out = duplicates(&v.kids[i], p, out)
		}
	}
	return out
}

// getDup is Get on an object with duplicate keys: the last member whose key
// matches case-insensitively, recorded in the read log of a TrackReads copy
// when the key is one of the duplicates.
func (v *Value) getDup(key string) *Value {
	var last *Value
	n := 0
	for i, k := range v.keys {
		if foldEqual(k, key) {
			last = &v.kids[i]
			n++
		}
	}
	if n > 1 && v.src != nil && v.src.log != nil {
		v.src.log.record(v.off, foldHash(key))
	}
	if last == nil || last.kind == KindNull {
		return nil
	}
	return last
}

// ReadLog records which duplicate keys of a resource were looked up through
// the copy [TrackReads] made. It is safe for concurrent use.
type ReadLog struct {
	mu   sync.Mutex
	read map[readKey]bool
}

type readKey struct {
	obj  uint32
	fold uint64
}

func (l *ReadLog) record(obj uint32, fold uint64) {
	l.mu.Lock()
	l.read[readKey{obj, fold}] = true
	l.mu.Unlock()
}

// Read reports whether d, one of the resource's Duplicates, has been looked
// up ([Value.Get], [Value.Prop], or anything built on them) through the
// tracked copy. It is false for a nil log.
func (l *ReadLog) Read(d DuplicateKey) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.read[readKey{d.obj, d.fold}]
}

// TrackReads returns a copy of r whose Body records, in the returned log,
// every lookup of one of r.Duplicates, so that a reader (the model builder)
// can tell the duplicates it reads from those it ignores. r itself is not
// changed and records nothing: values are never mutated by reading them. The
// copy shares r's input text; making it costs O(size of r.Body). A resource
// without duplicates is returned as is, with a log that reads nothing.
func TrackReads(r Resource) (Resource, *ReadLog) {
	log := &ReadLog{read: map[readKey]bool{}}
	if len(r.Duplicates) == 0 || r.Body == nil {
		return r, log
	}
	orig := r.Body.src
	src := &source{name: orig.name, text: orig.text, dups: orig.dups, log: log, orig: orig}
	if orig.orig != nil {
		src.orig = orig.orig
	}
	body := copyTree(r.Body, src)
	r.Body = &body
	return r, log
}

// copyTree copies v's tree onto src. Keys are immutable and shared.
func copyTree(v *Value, src *source) Value {
	c := *v
	c.src = src
	if len(v.kids) > 0 {
		c.kids = make([]Value, len(v.kids))
		for i := range v.kids {
			c.kids[i] = copyTree(&v.kids[i], src)
		}
	}
	return c
}
