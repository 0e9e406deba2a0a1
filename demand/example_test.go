package demand_test

import (
	"fmt"
	"strings"

	"github.com/egresslab/egress/demand"
	"github.com/egresslab/egress/flowlog"
)

// Three connections from one VM to one web server, logged out of order in
// a VNet flow log: two overlap, the third begins after the first ended.
// An inbound flow and a denied one take no SNAT port.
func Example() {
	const blob = `{"records": [{"time": "2025-05-04T10:00:00Z", "flowLogVersion": 4, "macAddress": "0022480ABCDE",
	  "category": "FlowLogFlowEvent", "flowRecords": {"flows": [{"aclID": "acl", "flowGroups": [
	    {"rule": "DefaultRule_AllowInternetOutBound", "flowTuples": [
	      "1746352860000,10.1.1.4,52.1.1.1,50001,443,6,O,E,NX,12,2210,10,9031",
	      "1746352800000,10.1.1.4,52.1.1.1,50001,443,6,O,B,NX,0,0,0,0",
	      "1746352830000,10.1.1.4,52.1.1.1,50002,443,6,O,B,NX,0,0,0,0",
	      "1746352890000,10.1.1.4,52.1.1.1,50002,443,6,O,E,NX,3,400,3,800",
	      "1746352870000,10.1.1.4,52.1.1.1,50003,443,6,O,B,NX,0,0,0,0",
	      "1746352880000,10.1.1.4,52.1.1.1,50003,443,6,O,E,NX,3,400,3,800",
	      "1746352840000,203.0.113.5,10.1.1.4,41000,22,6,I,B,NX,0,0,0,0",
	      "1746352845000,10.1.1.4,52.1.1.2,50004,445,6,O,D,NX,0,0,0,0"]}]}]}}]}`
	est, err := demand.NewEstimator(demand.Options{})
	if err != nil {
		panic(err)
	}
	r := flowlog.NewReader("PT1H.json", strings.NewReader(blob))
	for r.Next() {
		est.Add(r.Flow())
	}
	if err := r.Err(); err != nil {
		panic(err)
	}
	for _, p := range est.Peaks() {
		fmt.Println(p)
		fmt.Printf("%d connections, %d tuples, at the peak until %s\n", p.Connections, p.Tuples, p.Until.Format("15:04:05.000"))
	}
	s := est.Stats()
	fmt.Printf("counted %d of %d tuples (%d inbound, %d denied)\n", s.Counted, s.Tuples, s.Inbound, s.Denied)
	// Output:
	// 10.1.1.4 (0022480ABCDE) -> 52.1.1.1:443 Tcp: peak 2 at 2025-05-04T10:00:30Z
	// 3 connections, 6 tuples, at the peak until 10:01:00.001
	// counted 6 of 8 tuples (1 inbound, 1 denied)
}
