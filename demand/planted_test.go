package demand_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/demand"
	"github.com/egresslab/egress/ipproto"
)

// plant is one source's demand towards one destination: peak connections
// all open from at through at+dur, built from every kind of connection the
// estimator reads, then background connections one at a time two hours
// later, on reused ports.
type plant struct {
	src   string
	mac   string
	dst   string
	proto int // IANA number
	peak  int
	at    time.Time
}

// genTuple is one tuple of the generated log.
type genTuple struct {
	t    int64
	text string
}

const (
	minute  = int64(60_000)
	planDur = 6 * minute // > the idle timeout, so never-closed connections can end inside it
)

// generate returns the tuples of p and the demand rows they must produce,
// without windows and with hourly windows.
func (p plant) generate(r *rand.Rand) (tuples []genTuple, whole, hourly []demand.Peak) {
	at := p.at.UnixMilli()
	add := func(t int64, port int, dir, state string) {
		tuples = append(tuples, genTuple{t, fmt.Sprintf("%d,%s,%s,%d,%s,%d,%s,%s,NX,1,100,1,100",
			t, p.src, strings.Split(p.dst, ":")[0], port, strings.Split(p.dst, ":")[1], p.proto, dir, state)})
	}
	counted := 0
	unclosed := 0
	for i := range p.peak {
		port := 10000 + i
		from, to := at-int64(i)*1000, at+planDur+int64(i)*1000
		switch i % 4 {
		case 0, 3: // begin, continuing every five minutes, end
			add(from, port, "O", "B")
			for c := from + 5*minute; c < to; c += 5 * minute {
				add(c, port, "O", "C")
				counted++
			}
			add(to, port, "O", "E")
			counted += 2
		case 1: // the log began mid-connection: its first tuple is a C
			add(from, port, "O", "C")
			add(to, port, "O", "E")
			counted += 2
		case 2: // never closed: open until the last C plus the idle timeout
			add(from, port, "O", "B")
			add(to-4*minute, port, "O", "C")
			counted += 2
			unclosed++
		}
		// What takes no SNAT port: the same ports inbound, and denied
		// outbound flows at the peak.
		add(at, port, "I", "B")
		add(at+1, 30000+i, "O", "D")
	}
	// Background: one connection at a time, two hours later, on the
	// ports of closed planted connections.
	bg := 2*int64(time.Hour/time.Millisecond) + at
	nbg := 0
	for j := 0; j < 20; j++ {
		port := 10000 + 4*(j%max(1, p.peak/4)) // i%4 == 0: closed
		add(bg+int64(j)*1000, port, "O", "B")
		add(bg+int64(j)*1000+500, port, "O", "E")
		counted += 2
		nbg++
	}
	src := netip.MustParseAddr(p.src)
	dst := netip.MustParseAddrPort(p.dst)
	row := demand.Peak{Src: src, MAC: p.mac, Dst: dst, Proto: ipproto.Proto(p.proto), Peak: p.peak,
		At: p.at.UTC(), Until: time.UnixMilli(at + planDur + 1).UTC(), Unclosed: unclosed, Connections: p.peak + nbg, Tuples: counted}
	whole = []demand.Peak{row}
	h := row
	h.Window, h.Connections = p.at.UTC().Truncate(time.Hour), p.peak
	b := demand.Peak{Src: src, MAC: p.mac, Dst: dst, Proto: ipproto.Proto(p.proto), Window: time.UnixMilli(bg).UTC().Truncate(time.Hour),
		Peak: 1, At: time.UnixMilli(bg).UTC(), Until: time.UnixMilli(bg + 501).UTC(), Connections: nbg, Tuples: counted}
	hourly = []demand.Peak{h, b}
	r.Shuffle(len(tuples), func(i, j int) { tuples[i], tuples[j] = tuples[j], tuples[i] })
	return tuples, whole, hourly
}

// writeLog writes tuples as VNet flow log v4 blobs in Azure's layout: one
// PT1H.json per hour of each MAC, records of up to 150 tuples in shuffled
// order (so that a connection's tuples arrive out of order, across records
// and files). withMAC false leaves macAddress out of the records: the blob
// path gives it.
func writeLog(t *testing.T, dir, mac string, tuples []genTuple, withMAC bool) {
	byHour := map[time.Time][]genTuple{}
	for _, tu := range tuples {
		h := time.UnixMilli(tu.t).UTC().Truncate(time.Hour)
		byHour[h] = append(byHour[h], tu)
	}
	for h, ts := range byHour {
		p := filepath.Join(dir, "insights-logs-flowlogflowevent", "flowLogResourceID=", "SUBSCRIPTIONS", "0000", "RESOURCEGROUPS", "NETWORKWATCHERRG",
			"PROVIDERS", "MICROSOFT.NETWORK", "NETWORKWATCHERS", "NETWORKWATCHER_EASTUS", "FLOWLOGS", "FL",
			fmt.Sprintf("y=%d", h.Year()), fmt.Sprintf("m=%02d", h.Month()), fmt.Sprintf("d=%02d", h.Day()), fmt.Sprintf("h=%02d", h.Hour()), "m=00",
			"macAddress="+mac, "PT1H.json")
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		f, err := os.Create(p)
		require.NoError(t, err)
		w := bufio.NewWriter(f)
		w.WriteString(`{"records": [`)
		for rec := 0; rec*150 < len(ts); rec++ {
			if rec > 0 {
				w.WriteString(",\n")
			}
			macField := ""
			if withMAC {
				macField = fmt.Sprintf(`"macAddress": %q, `, mac)
			}
			fmt.Fprintf(w, `{"time": %q, "flowLogVersion": 4, %s"category": "FlowLogFlowEvent", "flowRecords": {"flows": [{"aclID": "acl", "flowGroups": [{"rule": "DefaultRule_AllowInternetOutBound", "flowTuples": [`,
				h.Format(time.RFC3339), macField)
			for j, tu := range ts[rec*150 : min(len(ts), rec*150+150)] {
				if j > 0 {
					w.WriteByte(',')
				}
				fmt.Fprintf(w, "%q", tu.text)
			}
			w.WriteString(`]}]}]}}`)
		}
		w.WriteString("]}\n")
		require.NoError(t, w.Flush())
		require.NoError(t, f.Close())
	}
}

// A generated flow-log set with planted peaks: the estimator reads exactly
// the planted peaks back, with and without hourly windows, whatever the
// number of workers.
func TestPlantedPeaks(t *testing.T) {
	base := time.Date(2025, 5, 4, 10, 30, 0, 0, time.UTC)
	big := 1000
	if testing.Short() {
		big = 200
	}
	plants := []plant{
		{"10.1.1.4", "0022480A0001", "52.1.1.1:443", 6, 37, base},
		{"10.1.1.4", "0022480A0001", "52.1.1.2:443", 6, big, base.Add(time.Hour)},
		{"10.1.1.4", "0022480A0001", "52.1.1.1:53", 17, 5, base.Add(3 * time.Minute)},
		{"10.1.1.5", "0022480A0002", "52.1.1.1:443", 6, 120, base.Add(-2 * time.Minute)},
		// The same IP on another NIC (moved), its MAC only in the blob path.
		{"10.1.1.4", "0022480A0003", "52.1.1.1:443", 6, 64, base.Add(5 * time.Hour)},
	}
	r := rand.New(rand.NewPCG(4, 4))
	dir := t.TempDir()
	byMAC := map[string][]genTuple{}
	var whole, hourly []demand.Peak
	for _, p := range plants {
		ts, w, h := p.generate(r)
		byMAC[p.mac] = append(byMAC[p.mac], ts...)
		whole, hourly = append(whole, w...), append(hourly, h...)
	}
	for mac, ts := range byMAC {
		r.Shuffle(len(ts), func(i, j int) { ts[i], ts[j] = ts[j], ts[i] })
		writeLog(t, dir, mac, ts, mac != "0022480A0003")
	}
	sortPeaks(whole)
	sortPeaks(hourly)

	for _, workers := range []int{1, 3} {
		got, err := demand.FromFiles([]string{dir}, demand.Options{Workers: workers})
		require.NoError(t, err)
		assert.Equal(t, whole, got, "workers=%d", workers)
		got, err = demand.FromFiles([]string{dir}, demand.Options{Workers: workers, Window: time.Hour})
		require.NoError(t, err)
		assert.Equal(t, hourly, got, "hourly, workers=%d", workers)
	}
}

func sortPeaks(ps []demand.Peak) { slices.SortFunc(ps, comparePeaks) }

// A bad file stops the read with its position; the error is the first bad
// file in walk order whatever the workers.
func TestFromFilesErrors(t *testing.T) {
	dir := t.TempDir()
	good := `{"records": [{"time": "2025-05-04T10:00:00Z", "flowLogVersion": 4, "macAddress": "00AA", "category": "FlowLogFlowEvent", "flowRecords": {"flows": [{"aclID": "a", "flowGroups": [{"rule": "r", "flowTuples": ["1746352800000,10.1.1.4,52.1.1.1,1000,443,6,O,B,NX,0,0,0,0"]}]}]}}]}`
	bad := strings.Replace(good, ",O,B,", ",O,Q,", 1)
	for i := range 6 {
		body := good
		if i == 2 || i == 4 {
			body = bad
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.json", i)), []byte(body), 0o644))
	}
	for _, workers := range []int{1, 2, 6} {
		_, err := demand.FromFiles([]string{dir}, demand.Options{Workers: workers})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "f2.json:1:")
		assert.Contains(t, err.Error(), "want the flow state B, C, E or D")
	}
	_, err := demand.FromFiles([]string{filepath.Join(dir, "missing")}, demand.Options{})
	assert.ErrorContains(t, err, "demand: lstat")
	_, err = demand.FromFiles([]string{dir}, demand.Options{Idle: -1})
	assert.EqualError(t, err, "demand: Options.Idle -1ns is negative")
}
