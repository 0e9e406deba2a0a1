package check

import (
	"encoding/xml"
	"io"
	"strings"
)

// JUnit XML, as CI systems read it (the testsuites/testsuite/testcase
// shape of Ant's JUnit task, which Jenkins, GitLab, GitHub and Azure
// Pipelines parse). Times are left out: the same report writes the same
// bytes.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Line      int           `xml:"line,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one test suite for the file,
// one test case per check, a failure with its messages and trace.
func (r *Report) WriteJUnit(w io.Writer) error {
	name := r.Name
	if name == "" {
		name = r.File
	}
	s := junitSuite{Name: name, Tests: len(r.Results), Failures: r.Failed}
	for _, res := range r.Results {
		c := junitCase{Name: res.Name, Classname: "egress." + res.Kind, File: r.File, Line: res.Line}
		if !res.Passed {
			text := strings.Join(res.Failures, "\n")
			if res.Trace != nil {
				text += "\n\n" + res.Trace.String()
			}
			c.Failure = &junitFailure{Message: res.Failures[0], Type: res.Kind, Text: text}
		}
		s.Cases = append(s.Cases, c)
	}
	doc := junitSuites{Name: "egress check", Tests: s.Tests, Failures: s.Failures, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
