package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"
)

// schemaVersion is the schemaVersion of the JSON documents the CLI writes
// itself (trace and audit carry the simulate package's own).
const schemaVersion = 1

// table is a command's data as rows: the table format prints it aligned
// under its header (unless --no-headers), tsv prints the rows alone,
// tab-separated, as az -o tsv does.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// write prints the table in the table format.
func (t *table) write(w io.Writer, noHeaders bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if !noHeaders && len(t.header) > 0 {
		fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	}
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// tsvCell keeps a cell on its line and in its column.
var tsvCell = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")

// writeTSV prints the rows, tab-separated, one per line.
func (t *table) writeTSV(w io.Writer) error {
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(tsvCell.Replace(c))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// print writes a command's data in the -o format: v as JSON or YAML (the
// same document, so the same field names), rows as tsv, and for table the
// text function, or the rows aligned when text is nil.
func (e *env) print(v any, rows func() *table, text func(w io.Writer) error) error {
	switch e.output {
	case "json":
		return e.json(v)
	case "yaml":
		return e.yaml(v)
	case "tsv":
		return rows().writeTSV(e.stdout)
	}
	if text != nil {
		return text(e.stdout)
	}
	return rows().write(e.stdout, e.noHeaders)
}

// jsonDoc renders v as the CLI's JSON: indented, not HTML-escaped, and an
// object carries schemaVersion (added last when v has none, so that the
// outputs that mirror az keep az's fields first and in az's order).
func jsonDoc(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "->" and "<" print as they are
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) > 1 && b[0] == '{' {
		var top map[string]json.RawMessage
		if err := json.Unmarshal(b, &top); err != nil {
			return nil, err
		}
		if _, ok := top["schemaVersion"]; !ok {
			tail := fmt.Sprintf(`"schemaVersion":%d}`, schemaVersion)
			if len(top) > 0 {
				tail = "," + tail
			}
			b = append(b[:len(b)-1:len(b)-1], tail...)
		}
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func (e *env) json(v any) error {
	b, err := jsonDoc(v)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(b)
	return err
}

// yaml writes v as YAML made from its JSON document: the same fields, in
// the same order, under the same names.
func (e *env) yaml(v any) error {
	b, err := jsonDoc(v)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return err
	}
	plainStyle(&doc)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err = e.stdout.Write(out.Bytes())
	return err
}

// plainStyle turns JSON's flow style and quoting into YAML's block style;
// the encoder quotes again the strings that need it.
func plainStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plainStyle(c)
	}
}

// ANSI colours for the table format on a terminal.
const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiReset  = "\x1b[0m"
)

// useColour says whether to colour what goes to w: only a terminal, and
// never when NO_COLOR is set to anything (https://no-color.org) or TERM is
// dumb.
func useColour(w io.Writer, getenv func(string) string) bool {
	if getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

// isTerminal says whether w is a terminal (a character device).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// paint colours s when colour is on.
func (e *env) paint(colour, s string) string {
	if !e.colour {
		return s
	}
	return colour + s + ansiReset
}
