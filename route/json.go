package route

import (
	"encoding/json"
	"net/netip"
)

// EffectiveRoute is one record of `az network nic show-effective-route-table
// -o json` (REST: NetworkInterfaces_GetEffectiveRouteTable), field for field.
// Records of a [Table] are made by [Table.Records]; the type also decodes
// Azure's own output so that the two can be compared.
type EffectiveRoute struct {
	Name                       *string             `json:"name"`
	Source                     Source              `json:"source"`
	State                      State               `json:"state"`
	AddressPrefix              []netip.Prefix      `json:"addressPrefix"`
	NextHopType                NextHopType         `json:"nextHopType"`
	NextHopIPAddress           []netip.Addr        `json:"nextHopIpAddress"`
	DisableBgpRoutePropagation bool                `json:"disableBgpRoutePropagation"`
	HasBgpOverride             bool                `json:"hasBgpOverride"`
	DestinationServiceTags     []string            `json:"destinationServiceTags"`
	TagMap                     map[string][]string `json:"tagMap"`
}

// EffectiveRouteList is the top level of `az network nic
// show-effective-route-table -o json`: {"nextLink": null, "value": [...]}.
type EffectiveRouteList struct {
	NextLink *string          `json:"nextLink"`
	Value    []EffectiveRoute `json:"value"`
}

// Records returns the listing as Azure's effective-route records: one record
// per configured item and state, holding all its prefixes (a service-endpoint
// or service-tag route is one record with many prefixes). Choice: when only
// some prefixes of a multi-prefix route are Invalid, the route is listed as two
// records, the Active prefixes and the Invalid ones.
func (t *Table) Records() []EffectiveRoute {
	var out []EffectiveRoute
	for i := 0; i < len(t.entries); {
		j := i
		for j < len(t.entries) && t.entries[j].def == t.entries[i].def {
			j++
		}
		d := &t.defs[t.entries[i].def]
		for _, state := range [...]State{Active, Invalid} {
			var prefixes []netip.Prefix
			for _, e := range t.entries[i:j] {
				if e.state == state {
					prefixes = append(prefixes, e.prefix)
				}
			}
			if len(prefixes) > 0 {
				out = append(out, t.record(d, state, prefixes))
			}
		}
		i = j
	}
	return out
}

func (t *Table) record(d *def, state State, prefixes []netip.Prefix) EffectiveRoute {
	rec := EffectiveRoute{
		Source:                     d.source,
		State:                      state,
		AddressPrefix:              prefixes,
		NextHopType:                d.typ,
		NextHopIPAddress:           append([]netip.Addr{}, d.nextHops...),
		DisableBgpRoutePropagation: t.disableBgp,
		HasBgpOverride:             d.hasBgpOverride,
		DestinationServiceTags:     []string{},
		TagMap:                     map[string][]string{},
	}
	if d.name != "" {
		name := d.name
		rec.Name = &name
	}
	if d.kind == kindUserTag {
		rec.DestinationServiceTags = []string{d.tag}
	}
	return rec
}

// MarshalJSON renders the table exactly as `az network nic
// show-effective-route-table -o json` does: {"nextLink":null,"value":[...]}.
func (t *Table) MarshalJSON() ([]byte, error) {
	return json.Marshal(EffectiveRouteList{Value: t.Records()})
}
