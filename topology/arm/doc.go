// Package arm reads Azure Resource Manager (ARM) JSON, in every wrapper users
// export it in, into one flat list of [Resource]s with exact source
// positions, so that the model builder can report problems as
//
//	file:line:col: resource <id>: field <name>: problem
//
// [Parse] reads one file and [ParseFiles] merges several ([ParseWith] and
// [ParseFilesWith] evaluate templates with [Options]: parameters, the
// deployment context, limits); [Detect] tells ARM
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
//     "resources": [...]}, evaluated (see Templates), including
//     languageVersion 2.0 templates whose
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
// ARM deployment templates are evaluated offline, as Azure Resource Manager
// deploys them ("Understand the structure and syntax of ARM templates" and
// "ARM template functions" on Microsoft Learn), by [ParseWith] and
// [ParseFilesWith] with [Options] ([Parse] and [ParseFiles] use the zero
// Options): parameters (a parameters file, name=value overrides, the
// defaultValue; types, allowedValues and ranges checked), variables with
// copy, user-defined functions, resources with copy (800 iterations at most,
// Azure's limit) and condition, property copy loops, copyIndex with a loop
// name and an offset, child resources nested or declared apart, extension
// resources (scope), nested inline deployments (Microsoft.Resources/deployments,
// Bicep's modules) with their parameters, their inner or outer evaluation
// scope, their resourceGroup and subscriptionId, and their outputs,
// subscription deployment templates, and languageVersion 2.0 templates
// (resources keyed by symbolic name, existing resources, symbolic dependsOn).
// dependsOn only orders a deployment and is ignored. A string starting with
// "[[" is an escaped literal ("[[x]" reads "[x]"); values from parameters
// files and overrides are literal, as ARM reads them.
//
// The functions are the string, array, object, lambda, logical, comparison,
// numeric, CIDR, deployment, scope and resource functions: concat, format
// (.NET composite formatting), toLower, replace, split, substring, padLeft,
// string (bools as True and False, as ARM writes them), uniqueString, guid,
// union (nested objects merged), items, json, if (only the chosen branch is
// evaluated), and, or, equals, less, add, div, mod, min, max, parseCidr,
// cidrSubnet, cidrHost, resourceId, subscriptionResourceId,
// extensionResourceId, tenantResourceId, subscription(), resourceGroup(),
// deployment(), reference() and resourceInfo(), and more. uniqueString and
// guid reproduce Azure's values: Learn documents only their shapes, and the
// algorithms (MurmurHash64 of the "-"-joined arguments in base32; a version 5
// UUID under the namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830) give the
// values of Azure's own evaluator in the Bicep repository's test baselines.
//
// The deployment context comes from Options: the subscription and resource
// group (what subscription() and resourceGroup() return and where
// resourceId() and the resources' IDs place them) and the resource group's
// location. When neither the subscription nor the resource group is given,
// a template whose literal resource IDs name its own resources in one
// resource group (as an export with SkipAllParameterization has) is evaluated
// there, and other templates in the placeholder scope [TemplateSubscription]
// (00000000-0000-0000-0000-000000000000) and [TemplateResourceGroup]
// ("template"). When the location is not given it is unknown.
//
// What only a deployment knows cannot be evaluated offline: reference() of a
// resource outside the template (or the runtime state of one inside it, such
// as an assigned IP address), list*() functions (listKeys), utcNow, newGuid,
// environment(), Key Vault references, a parameter without a value, the
// location when not given. Such a value is a [Value] of [KindUnresolved]
// that says why and where; functions given one return one, so only what
// depends on it is unresolved, and lookups through one return it again.
// Unresolved values do not fail the parse: [Resource.Unresolved] lists them,
// and the caller decides whether it reads them (package topology reports one
// where its model reads it; a virtual machine's password does not matter).
// A resource whose type, name, condition, copy count or scope is unresolved
// cannot be built: it is an error if [Options].Needed says the caller needs
// its type, and is left out otherwise. Invalid templates are errors
// ([ErrExpression], [ErrFormat], [ErrParameter]): syntax errors, undeclared
// parameters and variables, circular references, unknown functions, wrong
// argument counts, linked templates (templateLink, which cannot be read
// offline), management-group and tenant deployments. A function given values
// it cannot work with (a substring past the end, a division by zero) gives an
// unresolved value naming the problem.
//
// Evaluation is pure and bounded by [Limits]: the copy count, the resources
// of a file, the nesting of deployments, the steps and the bytes of values
// created; each limit reached is an [ErrLimit] error. Values taken unchanged
// from the input keep the position where they are written (a parameter's
// default, a parameters-file value); computed values are positioned at their
// expression, at the function's name when the expression's JSON string has
// no escapes. Nested deployments are expanded in place: their resources are
// returned, not the deployment. Resource groups declared by subscription
// deployments are containers and are not returned.
//
// Evaluation happens once, at load: a template of 1,000 resources made by
// copy loops evaluates in 30 to 45 ms on the 2-core reference machine, two to
// three times encoding/json decoding the same resources written out without
// expressions (BenchmarkTemplate).
//
// # Errors and limits
//
// Every problem is an [*Error] with a position, wrapping one of [ErrSyntax],
// [ErrLimit], [ErrFormat], [ErrID], [ErrExpression], [ErrParameter] and
// [ErrDuplicate]; a call reports all the problems it finds (up to 100). Two
// resources with the same ID, compared case-insensitively, within or across
// files, are an error of [Parse] and [ParseFiles] that names both positions,
// even when their content is the same: merge rules belong to the model
// builder, which reads with [ParseKeepDuplicates] and
// [ParseFilesKeepDuplicates]. Input is bounded by [MaxInputSize], [MaxDepth]
// and [MaxValues], template evaluation by [Limits]; no input makes the
// package panic.
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
