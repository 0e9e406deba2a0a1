// Package arm reads Azure Resource Manager (ARM) JSON, in every wrapper users
// export it in, into one flat list of [Resource]s with exact source
// positions, so that the model builder can report problems as
//
//	file:line:col: resource <id>: field <name>: problem
//
// [Parse] reads one file and [ParseFiles] merges several; [Detect] tells ARM
// JSON from the native YAML format for the CLI's auto-detection. Each
// resource's JSON object is a [Value] tree that remembers where every value
// starts ([Value.Pos]). [ParseID] parses resource IDs; [EqualIDs], [Key] and
// [TypeIs] compare IDs and types case-insensitively, as ARM does.
//
// # Wrappers
//
// The wrapper is detected from the content, and wrappers may nest (an array
// of pages, for example):
//
//   - a single resource object ({"id", "type", "name", "properties", ...});
//   - a bare array of resources (az ... list);
//   - a list page {"value": [...], "nextLink": ...} (REST GET, az rest); the
//     nextLink is not followed: concatenate the pages or pass each file;
//   - Resource Graph results: {"count", "data": [...], "skip_token",
//     "total_records"} from az graph query, {"totalRecords", "count",
//     "data", ...} from the REST API, and its table result format
//     ({"data": {"columns", "rows"}}). Rows spell types in lower case;
//     [Resource.Type] keeps the spelling, compare with [TypeIs];
//   - az CLI output, whose properties are lifted out of "properties" into
//     the object at every nesting level (older CLIs: the top level only),
//     with "resourceGroup" keys injected and unset fields printed as null,
//     and the {"newVNet": {...}} envelope of az ... create;
//   - Azure REST API example files (Azure/azure-rest-api-specs,
//     specification/*/examples/*.json): {"parameters": {...}, "responses":
//     {"200": {"body": {...}}, ...}}, read as the body of the 200 response
//     (or the 201 one when there is no 200);
//   - PowerShell's ConvertTo-Json output (PascalCase keys);
//   - ARM deployment templates: {"$schema": ".../deploymentTemplate.json#",
//     "resources": [...]}, including languageVersion 2.0 templates whose
//     "resources" is an object keyed by symbolic name, child resources
//     declared separately (type "Microsoft.Network/virtualNetworks/subnets",
//     name "vnet1/snet1") or nested in a parent's "resources" (type
//     "subnets", name "snet1").
//
// A resource needs an "id". Its "type" may be left out, as REST responses of
// child resources (subnets, routes, security rules) do: the ID holds it. IDs
// in the short forms other tools write ("resourceGroups/rg/providers/...",
// "resourceGroup/rg/providers/...") are accepted ([ParseLooseID]) and compare
// as case-insensitive strings.
//
// REST and CLI shapes read the same through [Value.Prop], which looks up
// properties.<name> and falls back to <name> on the same object; object keys
// match case-insensitively and null members read as absent. Nested objects
// (subnets of a virtual network, rules of a security group) stay inside their
// parent's Body; only top-level resources and separately declared template
// children become Resources.
//
// # Templates
//
// A template has no resource IDs, so they are synthesized as
//
//	/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/{namespace}/{type1}/{name1}/{type2}/{name2}...
//
// If the template's literal resource IDs (in references such as a subnet's
// networkSecurityGroup.id) that name the template's own resources all use one
// subscription and resource group, as an export with SkipAllParameterization
// does, that scope is used, so that references resolve. Otherwise the scope
// is the placeholder subscription [TemplateSubscription]
// (00000000-0000-0000-0000-000000000000) and resource group
// [TemplateResourceGroup] ("template").
//
// Template expressions cannot be evaluated offline. Any string in a resource
// that starts with "[" and ends with "]" (other than "dependsOn" entries,
// which only order a deployment) is an error, [ErrExpression]; all of them
// are reported (the first 20 with position, resource and field, then a
// count). A string starting with "[[" is an escaped literal and is unescaped
// ("[[x]" reads "[x]"). Copy loops are errors too. Resources with a literal
// "condition": false and languageVersion 2.0 "existing" references are
// skipped. Nested deployments (Microsoft.Resources/deployments) are returned
// as resources; their inner templates are not expanded.
//
// # Errors and limits
//
// Every problem is an [*Error] with a position, wrapping one of [ErrSyntax],
// [ErrLimit], [ErrFormat], [ErrID], [ErrExpression] and [ErrDuplicate]; a call
// reports all the problems it finds (up to 100). Two resources with the same
// ID, compared case-insensitively, within or across files, are an error of
// [Parse] and [ParseFiles] that names both positions, even when their content
// is the same: merge rules belong to the model builder, which reads with
// [ParseKeepDuplicates] and [ParseFilesKeepDuplicates]. Input is bounded by
// [MaxInputSize], [MaxDepth] and [MaxValues]; no input makes the package
// panic.
//
// A key that one object holds twice (compared case-insensitively) is not an
// error by itself: lookups return the last occurrence, and
// [Resource.Duplicates] lists the duplicates for the model builder, which
// finds out with [TrackReads] whether it reads them. Only a duplicate the
// parser itself reads (a resource's id, type, name or location, a wrapper's
// value, data or responses) is an [ErrFormat] error naming both positions.
//
// # Performance
//
// The parser is a hand-written strict JSON parser (differentially fuzzed
// against encoding/json) that shares the input's memory for strings. On the
// 2-core reference machine it reads a 25 MB, 10,000-resource Resource Graph
// export at about 180 MB/s, twice as fast as encoding/json decoding into
// any, using about 4 bytes of memory per input byte (see BenchmarkParse).
package arm
