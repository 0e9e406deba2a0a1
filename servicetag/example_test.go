package servicetag_test

import (
	"fmt"
	"log"
	"strings"
	"sync"

	"github.com/egresslab/egress/servicetag"
)

func Example() {
	const file = `{
  "changeNumber": 7,
  "cloud": "Public",
  "values": [
    {
      "name": "Storage.EastUS",
      "id": "Storage.EastUS",
      "properties": {
        "changeNumber": 1,
        "region": "eastus",
        "regionId": 32,
        "platform": "Azure",
        "systemService": "AzureStorage",
        "addressPrefixes": ["2001:db8::/32", "198.51.100.128/25", "192.0.2.0/26"],
        "networkFeatures": ["NSG", "API"]
      }
    }
  ]
}`
	set, err := servicetag.Parse(strings.NewReader(file))
	if err != nil {
		log.Fatal(err)
	}
	prefixes, region, ok := set.ServiceTag("storage.eastus") // any letter case
	fmt.Println(ok, region, prefixes)

	tag, _ := set.Tag("Storage.EastUS")
	fmt.Println(tag.Name(), tag.RegionID(), tag.SystemService(), tag.Features())
	// Output:
	// true eastus [192.0.2.0/26 198.51.100.128/25 2001:db8::/32]
	// Storage.EastUS 32 AzureStorage API,NSG
}

func ExampleSet_ServiceTag() {
	set, err := servicetag.Default()
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"Storage.EastUS", "AzureFrontDoor.Frontend", "VirtualNetwork", "Storage.Atlantis"} {
		prefixes, region, ok := set.ServiceTag(name)
		switch {
		case ok:
			fmt.Printf("%s: %d prefixes, region %q\n", name, len(prefixes), region)
		case servicetag.IsVirtual(name):
			fmt.Printf("%s: virtual, expand from the network\n", name)
		default:
			fmt.Printf("%s: unknown tag\n", name)
		}
	}
	// Output:
	// Storage.EastUS: 124 prefixes, region "eastus"
	// AzureFrontDoor.Frontend: 192 prefixes, region ""
	// VirtualNetwork: virtual, expand from the network
	// Storage.Atlantis: unknown tag
}

func ExampleDefault() {
	set, err := servicetag.Default()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(set.Cloud(), set.ChangeNumber(), set.Len())
	// Output: Public 376 3041
}

func ExampleParse_errors() {
	const file = `{"changeNumber": 1, "cloud": "Public", "values": [
  {"name": "Sql", "id": "Sql", "properties": {"addressPrefixes": ["192.0.2.1/24"]}},
  {"name": "SQL", "id": "SQL", "properties": {"addressPrefixes": [], "networkFeatures": ["NSG", "VPN"]}}
]}`
	_, err := servicetag.Parse(strings.NewReader(file))
	fmt.Println(err)
	// Output:
	// 2:67: tag "Sql": values[0].properties.addressPrefixes[0]: invalid service-tags file: prefix "192.0.2.1/24" has host bits set; want "192.0.2.0/24"
	// 3:12: tag "SQL": values[1].name: invalid service-tags file: duplicate tag: "Sql" is at 2:3
	// 3:97: tag "SQL": values[1].properties.networkFeatures[1]: invalid service-tags file: unknown network feature "VPN" (want API, NSG, UDR, FW or VSE)
}

func ExampleFeatures() {
	var f servicetag.Features
	if err := f.UnmarshalText([]byte("NSG,FW")); err != nil {
		log.Fatal(err)
	}
	fmt.Println(f, f.Has(servicetag.NSG), f.Has(servicetag.UDR))
	// Output: NSG,FW true false
}

// A *Set is safe for concurrent use: share it without locking. (Run with
// -race.)
func ExampleSet_concurrent() {
	set, err := servicetag.Default()
	if err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for tag := range set.All() {
				if _, _, ok := set.ServiceTag(tag.Name()); !ok {
					panic(tag.Name())
				}
			}
		})
	}
	wg.Wait()
	// Output:
}
