package main

import (
	"encoding"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/egresslab/egress/check"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/replay"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/simulate"
	"github.com/spf13/cobra"
)

// schemaBase is where the committed schemas are published: the golden files
// of the schema tests, on the main branch.
const schemaBase = "https://raw.githubusercontent.com/egresslab/egress/main/cmd/egress/testdata/golden/schema/"

// schemaDraft is the JSON Schema dialect egress schema writes.
const schemaDraft = "https://json-schema.org/draft/2020-12/schema"

// whatifChange is one element of egress whatif -o json.
type whatifChange struct {
	SchemaVersion int              `json:"schemaVersion"`
	From          string           `json:"from"`
	Destination   string           `json:"destination"`
	What          []string         `json:"what"`
	Cause         string           `json:"cause"`
	Before        *simulate.Result `json:"before"`
	After         *simulate.Result `json:"after"`
}

// schemaVerbs are the verbs whose -o json output egress schema describes,
// each by the Go value its JSON document is written from.
var schemaVerbs = []struct {
	verb   string
	schema func(g *schemaGen) map[string]any
}{
	{"trace", func(g *schemaGen) map[string]any {
		one := g.of(reflect.TypeFor[simulate.Result]())
		// --protocol any traces several protocols: an array of results.
		return map[string]any{"oneOf": []any{one, map[string]any{"type": "array", "items": one}}}
	}},
	{"reach", func(g *schemaGen) map[string]any { return g.doc(reflect.TypeFor[reachDoc]()) }},
	{"routes", func(g *schemaGen) map[string]any { return g.doc(reflect.TypeFor[routeList]()) }},
	{"rules", func(g *schemaGen) map[string]any { return g.doc(reflect.TypeFor[nsg.EffectiveNSGList]()) }},
	{"next-hop", func(g *schemaGen) map[string]any { return g.doc(reflect.TypeFor[simulate.NextHopResult]()) }},
	{"verify", func(g *schemaGen) map[string]any { return g.doc(reflect.TypeFor[nsg.IPFlowVerifyResult]()) }},
	{"whatif", func(g *schemaGen) map[string]any {
		return map[string]any{"type": "array", "items": g.of(reflect.TypeFor[whatifChange]())}
	}},
	{"audit", func(g *schemaGen) map[string]any { return g.doc(reflect.TypeFor[simulate.AuditReport]()) }},
	{"validate", func(g *schemaGen) map[string]any { return g.doc(reflect.TypeFor[validateResult]()) }},
	{"whatif-exact", func(g *schemaGen) map[string]any {
		return map[string]any{"type": "array", "items": g.of(reflect.TypeFor[exactChange]())}
	}},
	{"check", func(g *schemaGen) map[string]any { return g.doc(reflect.TypeFor[check.Report]()) }},
	{"flows-replay", func(g *schemaGen) map[string]any { return g.doc(reflect.TypeFor[replay.Report]()) }},
	{"list", func(g *schemaGen) map[string]any {
		var kinds []any
		for _, k := range listKinds {
			kinds = append(kinds, map[string]any{
				"type":                 "object",
				"required":             []string{"schemaVersion", "kind", "items"},
				"additionalProperties": false,
				"properties": map[string]any{
					"schemaVersion": map[string]any{"const": schemaVersion},
					"kind":          map[string]any{"const": k.name},
					"items":         map[string]any{"type": "array", "items": g.of(listItemTypes[k.name])},
				},
			})
		}
		return map[string]any{"oneOf": kinds}
	}},
	{"version", func(g *schemaGen) map[string]any { return g.doc(reflect.TypeFor[versionInfo]()) }},
}

// listItemTypes are the Go types of egress list's items, by kind.
var listItemTypes = map[string]reflect.Type{
	"nics": reflect.TypeFor[nicItem](), "subnets": reflect.TypeFor[subnetItem](), "vnets": reflect.TypeFor[vnetItem](),
	"firewalls": reflect.TypeFor[firewallItem](), "route-tables": reflect.TypeFor[routeTableItem](), "nsgs": reflect.TypeFor[nsgItem](),
}

func cmdSchema(e *env) *cobra.Command {
	var verbs []string
	for _, v := range schemaVerbs {
		verbs = append(verbs, v.verb)
	}
	verbs = append(verbs, "check-file")
	cmd := &cobra.Command{
		Use:   "schema " + strings.Join(verbs, "|"),
		Short: "The JSON Schema of a command's -o json output",
		Long: `Print the JSON Schema (draft 2020-12) of a command's -o json output, generated from the
Go types the output is written from. Every document carries schemaVersion; a change that
breaks readers of a schema raises it. -o yaml has the same fields. check-file is the schema
of egress check's input file.`,
		Example: `  egress schema trace
  egress schema list > list.schema.json`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: verbs,
	}
	cmd.RunE = e.runE(func() error {
		args := cmd.Flags().Args()
		if len(args) == 0 {
			return usageErr("which command: %s", orList(verbs))
		}
		s, err := verbSchema(args[0])
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(s)
		return err
	})
	return cmd
}

// verbSchema returns the JSON Schema of verb's JSON output, indented.
func verbSchema(verb string) ([]byte, error) {
	var names []string
	if verb == "check-file" {
		return check.Schema(), nil // the input of egress check, not an output
	}
	names = append(names, "check-file")
	for _, v := range schemaVerbs {
		names = append(names, v.verb)
		if v.verb != verb {
			continue
		}
		g := &schemaGen{defs: map[string]any{}}
		s := v.schema(g)
		s["$schema"] = schemaDraft
		s["$id"] = schemaBase + verb + ".json"
		s["title"] = "egress " + verb + " -o json"
		if len(g.defs) > 0 {
			s["$defs"] = g.defs
		}
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return nil, err
		}
		return append(b, '\n'), nil
	}
	return nil, &exitError{code: 2, err: didYouMean(fmt.Errorf("no schema for %q: want %s", verb, orList(names)), verb, names), usage: true}
}

// schemaGen generates JSON Schemas from Go types as encoding/json writes
// them: named structs go to $defs.
type schemaGen struct {
	defs map[string]any
}

var (
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
)

// enumNames returns the text forms of an enum type (an unsigned integer
// kind of at most 8 bits with MarshalText), in value order: each value
// whose text its UnmarshalText reads back as the same value, or, without
// UnmarshalText, each value MarshalText accepts; nil for other types.
// Decimal numbers (values without a name that read back) are left out and
// reported by numbers.
func enumNames(t reflect.Type) (names []string, numbers bool) {
	if t.Kind() != reflect.Uint8 {
		return nil, false
	}
	for i := range 256 {
		v := reflect.New(t)
		v.Elem().SetUint(uint64(i))
		m, ok := v.Elem().Interface().(encoding.TextMarshaler)
		if !ok {
			return nil, false
		}
		b, err := m.MarshalText()
		if err != nil {
			continue
		}
		if _, ok := v.Interface().(encoding.TextUnmarshaler); ok {
			back := reflect.New(t)
			if back.Interface().(encoding.TextUnmarshaler).UnmarshalText(b) != nil || back.Elem().Uint() != uint64(i) {
				continue
			}
		} else if strings.HasSuffix(string(b), ")") && strings.Contains(string(b), "(") {
			continue // the "Type(n)" form of a value without a name
		}
		if strings.Trim(string(b), "0123456789") == "" {
			numbers = true
		} else if !slices.Contains(names, string(b)) {
			names = append(names, string(b))
		}
	}
	return names, numbers
}

// doc is the schema of a top-level document written from t: an object
// with schemaVersion, which the CLI adds when t has none.
func (g *schemaGen) doc(t reflect.Type) map[string]any {
	s := g.structSchema(t)
	props := s["properties"].(map[string]any)
	if _, ok := props["schemaVersion"]; !ok {
		props["schemaVersion"] = map[string]any{"const": schemaVersion}
		s["required"] = append(s["required"].([]string), "schemaVersion")
	}
	return s
}

// of is the schema of a value of type t.
func (g *schemaGen) of(t reflect.Type) map[string]any {
	switch t {
	case reflect.TypeFor[netip.Addr]():
		return map[string]any{"type": "string", "pattern": `^[0-9a-fA-F:.]*$`} // "" for none
	case reflect.TypeFor[netip.Prefix]():
		return map[string]any{"type": "string", "pattern": `^[0-9a-fA-F:.]+/[0-9]+$`}
	case reflect.TypeFor[route.Table]():
		return g.of(reflect.TypeFor[route.EffectiveRouteList]())
	}
	if t.Kind() == reflect.Pointer {
		elem := g.of(t.Elem())
		return map[string]any{"anyOf": []any{elem, map[string]any{"type": "null"}}}
	}
	if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) {
		return map[string]any{} // written by its own MarshalJSON: any value
	}
	if t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		if names, numbers := enumNames(t); len(names) > 0 && numbers {
			// A protocol number without a name (ipproto.Proto) is written
			// as its decimal number.
			return map[string]any{"type": "string", "anyOf": []any{map[string]any{"enum": names}, map[string]any{"pattern": "^[0-9]+$"}}}
		} else if len(names) > 0 {
			return map[string]any{"type": "string", "enum": names}
		}
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		// A nil slice is written as null.
		return map[string]any{"type": []string{"array", "null"}, "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": []string{"object", "null"}, "additionalProperties": g.of(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.structSchema(t)
		}
		name := strings.ReplaceAll(t.String(), ".", "_")
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // for recursive types
			g.defs[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	return map[string]any{} // an interface: any value
}

// structSchema is the schema of a struct: its JSON fields, those without
// omitempty required, no other properties.
func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || !f.IsExported() && !f.Anonymous {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft) // embedded: its fields are the outer struct's
					continue
				}
			}
			if name == "" {
				name = f.Name
			}
			props[name] = g.of(f.Type)
			omit := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
			if !omit {
				required = append(required, name)
			}
		}
	}
	walk(t)
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}
