package topology

import (
	"encoding/json"
	"reflect"
	"strings"
)

// NativeSchema returns the JSON Schema (draft 2020-12) of the native design
// format, generated from the decoder's own types so that it cannot drift from
// what the loader accepts. Editors use it for completion and checking; the
// committed copy is testdata/native.schema.json.
func NativeSchema() []byte {
	s := schemaOf(reflect.TypeOf(nDesign{}))
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = "https://github.com/egresslab/egress/topology/native.schema.json"
	s["title"] = "egress native network design"
	s["required"] = []string{"egress"}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err) // maps of strings and slices always marshal
	}
	return append(b, '\n')
}

var strListType = reflect.TypeOf(strList{})

var posStringsType = reflect.TypeOf(posStrings{})

func schemaOf(t reflect.Type) map[string]any {
	if t == strListType {
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		}}
	}
	if t == posStringsType {
		return map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		if t.Elem() == reflect.TypeOf(nBackendPool{}) {
			return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, schemaOf(t.Elem())}}
		}
		return schemaOf(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map: // resource tags: names to values
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			props[name] = schemaOf(f.Type)
		}
		return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	}
	return map[string]any{}
}
