package flowlog

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Blob is what a flow-log blob's path says: the container's category,
// the resource logged (its ID, upper case as Azure writes it), the hour
// it covers and the NIC's MAC address
// (https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview#log-format:
// insights-logs-flowlogflowevent/flowLogResourceID=/SUBSCRIPTIONS/…/y=/m=/d=/h=/m=00/macAddress=/PT1H.json;
// NSG flow logs: insights-logs-networksecuritygroupflowevent/resourceId=/…).
type Blob struct {
	Container string // "insights-logs-flowlogflowevent", ...; "" when the path does not say
	Resource  string // flowLogResourceID or resourceId, as written
	Hour      time.Time
	MAC       string
}

// ParsePath reads a blob path's layout. A path without the y=/m=/d=/h=
// segments is an error naming the first missing one.
func ParsePath(p string) (Blob, error) {
	var b Blob
	segs := strings.Split(filepath.ToSlash(p), "/")
	var y, mo, d, h = -1, -1, -1, -1
	seenMonth := false
	for i, s := range segs {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			if strings.HasPrefix(s, "insights-logs-") {
				b.Container = s
			}
			continue
		}
		n, err := strconv.Atoi(v)
		switch k {
		case "flowLogResourceID", "resourceId":
			// The ID's segments follow, up to the y= segment.
			j := i + 1
			for j < len(segs) && !strings.HasPrefix(segs[j], "y=") {
				j++
			}
			b.Resource = strings.Join(append([]string{v}, segs[i+1:j]...), "/")
			if !strings.HasPrefix(b.Resource, "/") {
				b.Resource = "/" + b.Resource
			}
			b.Resource = strings.TrimSuffix(b.Resource, "/")
		case "y":
			y = n
		case "m":
			if !seenMonth {
				mo, seenMonth = n, true
			} else if err == nil && n != 0 {
				return Blob{}, fmt.Errorf("%s: the minute segment m=%s: flow-log blobs are hourly (m=00)", p, v)
			}
		case "d":
			d = n
		case "h":
			h = n
		case "macAddress":
			b.MAC = strings.ToUpper(v)
		}
		if err != nil && (k == "y" || k == "m" || k == "d" || k == "h") {
			return Blob{}, fmt.Errorf("%s: segment %s: want a number", p, s)
		}
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"y=", y}, {"m=", mo}, {"d=", d}, {"h=", h}} {
		if c.v < 0 {
			return Blob{}, fmt.Errorf("%s: no %s segment: not a flow-log blob path (…/y=/m=/d=/h=/m=00/macAddress=/PT1H.json)", p, c.name)
		}
	}
	b.Hour = time.Date(y, time.Month(mo), d, h, 0, 0, 0, time.UTC)
	if b.Hour.Year() != y || int(b.Hour.Month()) != mo || b.Hour.Day() != d || b.Hour.Hour() != h {
		return Blob{}, fmt.Errorf("%s: y=%d/m=%d/d=%d/h=%d is not a date and hour", p, y, mo, d, h)
	}
	return b, nil
}

// Walk returns the flow-log files under each root (a file is itself),
// sorted: every .json file of the trees, in lexical path order, so that a
// replay reads them in the same order every time (within one resource and
// MAC, the hourly blobs sort by time).
func Walk(roots ...string) ([]string, error) {
	var out []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".json") {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
