// Package servicetag reads Microsoft's service-tags file, which lists the
// IP address prefixes behind each Azure service tag, and embeds a dated copy
// of the public cloud's file.
//
// A service tag names a group of prefixes that Microsoft manages for one
// Azure service ("Storage", "AzureKeyVault", "AzureCloud"), for that
// service in one region ("Storage.EastUS", "AzureCloud.eastus"), or for some
// other grouping ("AzureFrontDoor.Frontend", which is global despite the dot).
// Network security rules, Azure Firewall rules and user-defined routes accept
// a tag wherever they accept a prefix, and Azure expands it to the tag's
// current prefixes (https://learn.microsoft.com/azure/virtual-network/service-tags-overview).
//
// [Parse] and [ParseFile] read the file into a [Set], an immutable value
// that answers [Set.ServiceTag] (the prefixes and region of a tag, by name in
// any letter case) and [Set.Tag] (a [Tag] with all of the file's metadata,
// including its [Features]). [Default] returns the Set of the embedded copy.
//
// # The file
//
// Microsoft publishes one file per cloud in the Download Center, every week:
// ServiceTags_Public_YYYYMMDD.json for the public cloud (download id 56519),
// and files for US Government (57063) and China (57062). New addresses
// appear in the file at least a week before Azure uses them. The Service
// Tag Discovery API (Get-AzNetworkServiceTag) serves the same data, lagging
// by up to four weeks.
//
// The file is one JSON object: a changeNumber, the cloud's name, and an array
// of values, one per tag, each with the tag's name and id (equal), and
// properties: changeNumber, region ("" for global tags), regionId,
// platform, systemService, addressPrefixes (IPv4 and IPv6 mixed) and
// networkFeatures (an array, or null). See [Parse] for what it checks.
//
// The embedded copy is ServiceTags_Public_20251109.json (changeNumber 376,
// 3,041 tags, 71,348 IPv4 and 24,475 IPv6 prefixes), compressed. It ages:
// for current addresses, download the file and use [ParseFile].
//
// # Virtual tags
//
// Six tags that rules may name are not in the file: VirtualNetwork,
// Internet and AzureLoadBalancer, whose meaning depends on the network
// (the address space of the virtual network and its peers, anything
// outside it, the platform's health-probe address 168.63.129.16), and
// AzurePlatformDNS, AzurePlatformIMDS and AzurePlatformLKM, which stand for
// platform services. [Set.ServiceTag] reports false for them, and
// [IsVirtual] tells them apart from a misspelt or retired tag, so that a
// caller can expand them from its own model of the network.
package servicetag
