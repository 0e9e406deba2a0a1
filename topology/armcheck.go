package topology

import (
	"github.com/egresslab/egress/topology/arm"
)

// trackedResource is a resource with duplicate keys and the log of the ones
// the builder read (arm.TrackReads).
type trackedResource struct {
	r   arm.Resource
	log *arm.ReadLog
}

// duplicateKeys reports the duplicate keys of the tracked resources: an
// error when the builder read the key (which of the two values is meant
// cannot be known, and the model would depend on the guess), a warning when
// it did not (tags, etags, properties egress does not model).
func (b *armBuilder) duplicateKeys(tracked []trackedResource) {
	for _, t := range tracked {
		for _, d := range t.r.Duplicates {
			if t.log.Read(d) {
				b.p.add(d.Pos, t.r.ID, d.Path, "", ErrDuplicateKey,
					"the key is also at %s; egress reads it, and which of the two values is meant cannot be known", posString(d.First))
			} else {
				b.w.warn(d.Pos, t.r.ID, d.Path, "", ErrDuplicateKey,
					"the key is also at %s; egress does not read it (JSON readers keep the last value)", posString(d.First))
			}
		}
	}
}

// shortID warns about a resource whose ID is in a short form
// (arm.ParseLooseID): it names the same resource as a reference only when
// the two are spelled alike.
func (b *armBuilder) shortID(r arm.Resource) {
	if id, err := arm.ParseLooseID(r.ID); err == nil && id.IsShort() {
		b.w.warn(r.Pos, r.ID, "id", "", ErrShortID,
			"no /subscriptions/{id} prefix: matched as a case-insensitive string to references spelled the same way")
	}
}
