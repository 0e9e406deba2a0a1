package flowlog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/ipproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readAll(t testing.TB, name string, data []byte) ([]flowlog.Flow, error) {
	t.Helper()
	r := flowlog.NewReader(name, bytes.NewReader(data))
	var out []flowlog.Flow
	for r.Next() {
		out = append(out, *r.Flow())
	}
	return out, r.Err()
}

func readFile(t *testing.T, name string) []flowlog.Flow {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	flows, err := readAll(t, name, data)
	require.NoError(t, err)
	return flows
}

// TestVNetFlowLogV4 reads the documented layout
// (https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview#log-format):
// epoch milliseconds, protocol by IANA number, state D for denied, the
// encryption field, the group's rule and the flow's aclID.
func TestVNetFlowLogV4(t *testing.T) {
	flows := readFile(t, "vnet-v4.json")
	require.Len(t, flows, 4)
	f := flows[1]
	assert.Equal(t, flowlog.VNetV4, f.Format)
	assert.Equal(t, time.Date(2025, 5, 4, 10, 0, 53, 100e6, time.UTC), f.TimeUTC())
	assert.Equal(t, netip.MustParseAddr("10.20.1.4"), f.Src)
	assert.Equal(t, netip.MustParseAddr("198.51.100.7"), f.Dst)
	assert.Equal(t, uint16(50113), f.SrcPort)
	assert.Equal(t, uint16(443), f.DstPort)
	assert.Equal(t, ipproto.TCP, f.Proto)
	assert.Equal(t, flowlog.Outbound, f.Direction)
	assert.Equal(t, flowlog.End, f.State)
	assert.Equal(t, flowlog.Allowed, f.Decision)
	assert.Equal(t, "NX", f.Encryption)
	assert.True(t, f.HasCounters)
	assert.Equal(t, [4]uint64{12, 2210, 10, 9031}, [4]uint64{f.PacketsSent, f.BytesSent, f.PacketsReceived, f.BytesReceived})
	assert.Equal(t, "DefaultRule_AllowInternetOutBound", f.Rule)
	assert.Equal(t, "12345678-aaaa-bbbb-cccc-1234567890ab", f.ACL)
	assert.Equal(t, "0022480ABCDE", f.MAC)
	assert.Contains(t, f.Resource, "virtualNetworks/vnet-spoke")

	d := flows[2]
	assert.Equal(t, flowlog.Denied, d.Decision)
	assert.Equal(t, flowlog.DeniedState, d.State)
	assert.Equal(t, flowlog.Inbound, d.Direction)
	assert.Equal(t, "BlockHighRiskPorts", d.Rule)

	v6 := flows[3]
	assert.Equal(t, netip.MustParseAddr("2001:db8::1"), v6.Dst)
	assert.Equal(t, ipproto.UDP, v6.Proto)
	assert.Equal(t, "UserRule_allow-dns", v6.Rule, "the rule after the tuples")
	assert.Equal(t, "unspecified", v6.ACL, "the aclID after the groups")
	assert.Equal(t, 1, v6.Record)
	assert.Equal(t, "X", v6.Encryption)
}

// TestNSGFlowLogs reads versions 2 and 1
// (https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview#log-format):
// epoch seconds, T/U, the decision field, empty counters on begin tuples.
func TestNSGFlowLogs(t *testing.T) {
	flows := readFile(t, "nsg-v2.json")
	require.Len(t, flows, 2)
	deny := flows[0]
	assert.Equal(t, flowlog.NSGV2, deny.Format)
	assert.Equal(t, int64(1746352800000), deny.Time)
	assert.Equal(t, flowlog.Denied, deny.Decision)
	assert.Equal(t, flowlog.Begin, deny.State)
	assert.False(t, deny.HasCounters)
	assert.Equal(t, "UserRule_deny-smb-out", deny.Rule)
	assert.Equal(t, "0022480ABCDE", deny.MAC)
	assert.Contains(t, deny.Resource, "NETWORKSECURITYGROUPS/NSG-APP")
	assert.True(t, flows[1].HasCounters)
	assert.Equal(t, uint64(9031), flows[1].BytesReceived)

	v1 := readFile(t, "nsg-v1.json")
	require.Len(t, v1, 2)
	assert.Equal(t, flowlog.NSGV1, v1[0].Format)
	assert.Equal(t, ipproto.UDP, v1[0].Proto)
	assert.Equal(t, flowlog.Inbound, v1[0].Direction)
	assert.Equal(t, flowlog.StateNone, v1[0].State)
	assert.Equal(t, "000D3AF87856", v1[1].MAC, "the group's mac")
}

// TestNATGatewayFlowLogs reads the NatGatewayFlowlogsV1 columns
// (https://learn.microsoft.com/azure/azure-monitor/reference/tables/natgatewayflowlogsv1)
// from a diagnostic-setting record's properties and from a Log Analytics
// export's rows.
func TestNATGatewayFlowLogs(t *testing.T) {
	flows := readFile(t, "nat.json")
	require.Len(t, flows, 1)
	f := flows[0]
	assert.Equal(t, flowlog.NATGateway, f.Format)
	assert.Equal(t, netip.MustParseAddr("20.30.40.50"), f.NATGatewayIP)
	assert.Equal(t, netip.MustParseAddr("10.2.1.4"), f.Src)
	assert.Equal(t, uint64(1), f.DroppedReceived)
	assert.Equal(t, time.Date(2025, 5, 4, 10, 5, 0, 0, time.UTC), f.TimeUTC())
	la := readFile(t, "nat-la.json")
	require.Len(t, la, 1)
	assert.Equal(t, netip.MustParseAddr("20.30.40.51"), la[0].NATGatewayIP)
	assert.Contains(t, la[0].Resource, "natgw-batch")
}

func TestReaderErrors(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []string
	}{
		{"empty", ``, []string{"x.json", "empty input"}},
		{"not JSON", `hello`, []string{"x.json:1:1", "syntax error"}},
		{"no records", `{"value": []}`, []string{`no "records" array`}},
		{"bad tuple field", "{\"records\": [{\"category\": \"FlowLogFlowEvent\", \"flowLogVersion\": 4,\n \"flowRecords\": {\"flows\": [{\"flowGroups\": [{\"flowTuples\": [\n  \"1,10.0.0.1,10.0.0.2,1,2,6,X,B,NX,0,0,0,0\"]}]}]}}]}",
			[]string{"x.json:3:3", "record 0", "field 7", `"1,10.0.0.1,10.0.0.2,1,2,6,X,B,NX,0,0,0,0"`, "want I or O", "invalid value"}},
		{"short tuple", `{"records": [{"flowLogVersion": 4, "flowRecords": {"flows": [{"flowGroups": [{"flowTuples": ["1,10.0.0.1"]}]}]}}]}`,
			[]string{"2 comma-separated fields", "has 13"}},
		{"version 3", `{"records": [{"flowLogVersion": 3, "flowRecords": {"flows": []}}]}`, []string{"flowLogVersion", "unsupported format"}},
		{"wrong category", `{"records": [{"category": "NetworkSecurityGroupFlowEvent", "flowLogVersion": 4, "flowRecords": {}}]}`, []string{"category", "FlowLogFlowEvent"}},
		{"unknown record", `{"records": [{"time": "x"}]}`, []string{"neither a VNet flow log"}},
		{"bad port", `{"records": [{"properties": {"Version": 2, "flows": [{"rule": "r", "flows": [{"mac": "m", "flowTuples": ["1,10.0.0.1,10.0.0.2,70000,2,T,O,A,B,,,,"]}]}]}}]}`, []string{"field 4", "source port"}},
		{"partial counters", `{"records": [{"properties": {"Version": 2, "flows": [{"rule": "r", "flows": [{"mac": "m", "flowTuples": ["1,10.0.0.1,10.0.0.2,7,2,T,O,A,E,1,,,"]}]}]}}]}`, []string{"all given or all empty"}},
		{"unterminated", `{"records": [{"flowLogVersion": 4, "flowRecords": {"flows": [{"flowGroups": [{"flowTuples": ["1,2`, []string{"unterminated string"}},
		{"trailing", `{"records": []} x`, []string{`unexpected 'x' after the records`}},
		{"NAT bad IP", `[{"NatGatewayIP": "nope", "SourceIP": "10.0.0.1", "DestinationIP": "1.1.1.1", "time": "2025-01-01T00:00:00Z"}]`, []string{"NatGatewayIP", `"nope"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(t, "x.json", []byte(tt.in))
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			var e *flowlog.Error
			if tt.name != "empty" || true {
				assert.True(t, errors.As(err, &e), "a *flowlog.Error: %v", err)
			}
		})
	}
}

// TestReaderSmallReads: a reader handing out a byte at a time reads the
// same flows, and reports the same positions.
func TestReaderSmallReads(t *testing.T) {
	for _, name := range []string{"vnet-v4.json", "nsg-v2.json", "nsg-v1.json", "nat.json", "nat-la.json"} {
		data, err := os.ReadFile("testdata/" + name)
		require.NoError(t, err)
		want, err := readAll(t, name, data)
		require.NoError(t, err)
		r := flowlog.NewReader(name, &oneByte{data: data})
		var got []flowlog.Flow
		for r.Next() {
			got = append(got, *r.Flow())
		}
		require.NoError(t, r.Err())
		assert.Equal(t, want, got, name)
	}
}

type oneByte struct{ data []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.data) == 0 {
		return 0, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = o.data[0]
	o.data = o.data[1:]
	if len(o.data) == 0 {
		return 1, errEOF
	}
	return 1, nil
}

var errEOF = fmt.Errorf("wrapped: %w", io.EOF)

// genV4 writes a VNet flow log of n records with k tuples each.
func genV4(r *rand.Rand, records, k int) ([]byte, int) {
	var b strings.Builder
	b.WriteString(`{"records": [`)
	total := 0
	for i := range records {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"time": "2025-05-04T10:00:52Z", "flowLogVersion": 4, "macAddress": "0022480ABC%02X", "category": "FlowLogFlowEvent", "targetResourceID": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v%d", "flowRecords": {"flows": [{"aclID": "acl-%d", "flowGroups": [{"rule": "rule-%d", "flowTuples": [`, i%256, i%7, i%3, i%5)
		for j := range k {
			if j > 0 {
				b.WriteByte(',')
			}
			state := "BCED"[r.IntN(4)]
			fmt.Fprintf(&b, `"%d,10.%d.%d.%d,%d.%d.%d.%d,%d,%d,%d,%c,%c,NX,%d,%d,%d,%d"`, 1746352852000+int64(j), r.IntN(256), r.IntN(256), r.IntN(256),
				1+r.IntN(223), r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(65536), r.IntN(65536), []int{6, 17, 1}[r.IntN(3)], "IO"[r.IntN(2)], state,
				r.IntN(100), r.IntN(100000), r.IntN(100), r.IntN(100000))
			total++
		}
		b.WriteString(`]}]}]}}`)
	}
	b.WriteString("]}\n")
	return []byte(b.String()), total
}

// slowRead is the reference: encoding/json into maps, then plain string
// splits. It shares no code with the package.
func slowRead(data []byte) ([]flowlog.Flow, error) {
	var doc struct {
		Records []map[string]json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var out []flowlog.Flow
	for i, rec := range doc.Records {
		var mac, target string
		_ = json.Unmarshal(rec["macAddress"], &mac)
		_ = json.Unmarshal(rec["targetResourceID"], &target)
		var fr struct {
			Flows []struct {
				ACL    string `json:"aclID"`
				Groups []struct {
					Rule   string   `json:"rule"`
					Tuples []string `json:"flowTuples"`
				} `json:"flowGroups"`
			} `json:"flows"`
		}
		if err := json.Unmarshal(rec["flowRecords"], &fr); err != nil {
			return nil, err
		}
		for _, fl := range fr.Flows {
			for _, g := range fl.Groups {
				for _, tu := range g.Tuples {
					p := strings.Split(tu, ",")
					if len(p) != 13 {
						return nil, fmt.Errorf("fields")
					}
					f := flowlog.Flow{Format: flowlog.VNetV4, MAC: mac, Resource: target, Rule: g.Rule, ACL: fl.ACL, Record: i, Encryption: p[8]}
					ts, _ := strconv.ParseInt(p[0], 10, 64)
					f.Time = ts
					f.Src, _ = netip.ParseAddr(p[1])
					f.Dst, _ = netip.ParseAddr(p[2])
					sp, _ := strconv.Atoi(p[3])
					dp, _ := strconv.Atoi(p[4])
					pr, _ := strconv.Atoi(p[5])
					f.SrcPort, f.DstPort, f.Proto = uint16(sp), uint16(dp), ipproto.Proto(pr)
					f.Direction = map[string]flowlog.Direction{"I": flowlog.Inbound, "O": flowlog.Outbound}[p[6]]
					f.State = map[string]flowlog.State{"B": flowlog.Begin, "C": flowlog.Continuing, "E": flowlog.End, "D": flowlog.DeniedState}[p[7]]
					f.Decision = flowlog.Allowed
					if p[7] == "D" {
						f.Decision = flowlog.Denied
					}
					var c [4]uint64
					for k := range 4 {
						c[k], _ = strconv.ParseUint(p[9+k], 10, 64)
					}
					f.PacketsSent, f.BytesSent, f.PacketsReceived, f.BytesReceived, f.HasCounters = c[0], c[1], c[2], c[3], true
					out = append(out, f)
				}
			}
		}
	}
	return out, nil
}

// TestReaderTwin holds the reader equal to the slow reference on
// generated logs.
func TestReaderTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 40
	if testing.Short() {
		n = 8
	}
	for range n {
		data, total := genV4(r, 1+r.IntN(20), 1+r.IntN(50))
		want, err := slowRead(data)
		require.NoError(t, err)
		got, err := readAll(t, "gen.json", data)
		require.NoError(t, err)
		require.Len(t, got, total)
		require.Equal(t, want, got)
	}
}

func FuzzReader(f *testing.F) {
	for _, name := range []string{"vnet-v4.json", "nsg-v2.json", "nsg-v1.json", "nat.json", "nat-la.json"} {
		if data, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := readAll(t, "fuzz.json", data)
		if err != nil {
			var e *flowlog.Error
			if !errors.As(err, &e) {
				t.Fatalf("not a *flowlog.Error: %v", err)
			}
			return
		}
		// What the reader accepts as a v4 log, the reference reads alike.
		if len(got) == 0 || bytes.Contains(data, []byte(`\\`)) || !json.Valid(data) {
			return
		}
		for _, g := range got {
			if g.Format != flowlog.VNetV4 {
				return
			}
		}
		if want, err := slowRead(data); err == nil {
			require.Equal(t, want, got)
		}
	})
}

func TestReaderAllocations(t *testing.T) {
	data, total := genV4(rand.New(rand.NewPCG(1, 1)), 50, 200)
	r := flowlog.NewReader("gen.json", bytes.NewReader(data))
	for r.Next() { // warm up: buffers and interned names
	}
	require.NoError(t, r.Err())
	rd := bytes.NewReader(data)
	allocs := testing.AllocsPerRun(5, func() {
		rd.Reset(data)
		r.Reset("gen.json", rd)
		n := 0
		for r.Next() {
			n++
		}
		if n != total {
			t.Fatalf("%d flows, want %d", n, total)
		}
	})
	assert.Zero(t, allocs, "a run of %d flows", total)
}

func BenchmarkReaderV4(b *testing.B) {
	data, total := genV4(rand.New(rand.NewPCG(1, 1)), 100, 1000)
	b.Run("baseline=encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reader", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		r := flowlog.NewReader("gen.json", bytes.NewReader(data))
		rd := bytes.NewReader(data)
		for b.Loop() {
			rd.Reset(data)
			r.Reset("gen.json", rd)
			for r.Next() {
			}
		}
		b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
	})
}
