package arm

import (
	"fmt"
	"strconv"
	"strings"
)

// The expression language of ARM templates ("Syntax and expressions in ARM
// templates", https://learn.microsoft.com/azure/azure-resource-manager/templates/template-expressions):
// a JSON string that starts with "[" and ends with "]" holds one expression,
//
//	expr   = primary { "." name | "[" expr "]" }
//	primary = "'" chars "'" | integer | func "(" [ expr { "," expr } ] ")"
//	func   = name [ "." name ]           (user-defined functions: namespace.member)
//
// where a quote inside a string literal is doubled (''), names and function
// names are case-insensitive, and white space may separate the tokens. ARM
// has no operators; true(), false() and null() are functions (the bare words
// true, false and null are accepted too).

// maxExprLen is the longest template expression accepted, in bytes: Azure's
// limit of 24,576 characters ("ARM template best practices", Template limits).
const maxExprLen = 24576

// maxExprNesting bounds how deeply calls, accessors and indexes nest in one
// expression.
const maxExprNesting = 256

// nodeKind is the kind of an expression node.
type nodeKind uint8

const (
	nString nodeKind = iota // a string literal: str
	nInt                    // an integer literal: num
	nBool                   // true or false: num 1 or 0
	nNull                   // null
	nCall                   // a function call: str (lower-case name), name, args
	nProp                   // args[0].str
	nIndex                  // args[0][args[1]]
)

// node is one node of a parsed expression. off is the byte offset of the
// node within the expression string, for positions.
type node struct {
	kind nodeKind
	off  int32
	num  int64
	str  string  // literal, lower-case function name, or property name
	name string  // the function name as written
	args []*node // call arguments; for nProp and nIndex the operand first
	lit  *Value  // the value of a literal at its last position (eval.go)
}

// exprError is a syntax error at byte offset off of an expression.
type exprError struct {
	off int
	msg string
}

func (e *exprError) Error() string { return e.msg }

// parseExpr parses the expression string s, which includes its brackets.
func parseExpr(s string) (*node, error) {
	if len(s) > maxExprLen {
		return nil, &exprError{0, fmt.Sprintf("expression of %d bytes is longer than Azure's limit of %d characters", len(s), maxExprLen)}
	}
	p := exprParser{s: s, i: 1, end: len(s) - 1}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i < p.end {
		return nil, p.errf(p.i, "unexpected %s after the expression", p.tok())
	}
	return n, nil
}

type exprParser struct {
	s      string
	i, end int
}

func (p *exprParser) errf(off int, format string, args ...any) error {
	return &exprError{off, fmt.Sprintf(format, args...)}
}

// tok quotes the text at p.i for an error message.
func (p *exprParser) tok() string {
	if p.i >= p.end {
		return "end of expression"
	}
	j := p.i + 1
	for j < p.end && j < p.i+12 && isNameByte(p.s[j]) && isNameByte(p.s[p.i]) {
		j++
	}
	return strconv.Quote(p.s[p.i:j])
}

func (p *exprParser) ws() {
	for p.i < p.end {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '$'
}

func isNameByte(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9'
}

// name scans a name at p.i; property names may also contain '-' and '@'.
func (p *exprParser) name(prop bool) string {
	start := p.i
	if p.i >= p.end || !(isNameStart(p.s[p.i]) || prop && '0' <= p.s[p.i] && p.s[p.i] <= '9') {
		return ""
	}
	for p.i < p.end && (isNameByte(p.s[p.i]) || prop && (p.s[p.i] == '-' || p.s[p.i] == '@')) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *exprParser) expect(c byte, what string) error {
	p.ws()
	if p.i >= p.end || p.s[p.i] != c {
		return p.errf(p.i, "expected %q %s, found %s", c, what, p.tok())
	}
	p.i++
	return nil
}

func (p *exprParser) expr(depth int) (*node, error) {
	if depth > maxExprNesting {
		return nil, p.errf(p.i, "expression nests deeper than %d levels", maxExprNesting)
	}
	n, err := p.primary(depth)
	if err != nil {
		return nil, err
	}
	for {
		p.ws()
		if p.i >= p.end {
			return n, nil
		}
		switch p.s[p.i] {
		case '.':
			off := p.i
			p.i++
			p.ws()
			name := p.name(true)
			if name == "" {
				return nil, p.errf(p.i, "expected a property name after '.', found %s", p.tok())
			}
			n = &node{kind: nProp, off: int32(off), str: name, args: []*node{n}}
		case '[':
			off := p.i
			p.i++
			idx, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			if err := p.expect(']', "to close the index"); err != nil {
				return nil, err
			}
			n = &node{kind: nIndex, off: int32(off), args: []*node{n, idx}}
		default:
			return n, nil
		}
		depth++
		if depth > maxExprNesting {
			return nil, p.errf(p.i, "expression nests deeper than %d levels", maxExprNesting)
		}
	}
}

func (p *exprParser) primary(depth int) (*node, error) {
	p.ws()
	if p.i >= p.end {
		return nil, p.errf(p.i, "expected a value, found end of expression")
	}
	off := p.i
	c := p.s[p.i]
	switch {
	case c == '\'':
		var b strings.Builder
		p.i++
		start := p.i
		for {
			j := strings.IndexByte(p.s[p.i:p.end], '\'')
			if j < 0 {
				return nil, p.errf(off, "unterminated string literal")
			}
			p.i += j
			if p.i+1 < p.end && p.s[p.i+1] == '\'' {
				b.WriteString(p.s[start : p.i+1])
				p.i += 2
				start = p.i
				continue
			}
			break
		}
		var s string
		if b.Len() == 0 {
			s = p.s[start:p.i]
		} else {
			b.WriteString(p.s[start:p.i])
			s = b.String()
		}
		p.i++
		return &node{kind: nString, off: int32(off), str: s}, nil
	case c == '-' || '0' <= c && c <= '9':
		p.i++
		for p.i < p.end && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i < p.end && (p.s[p.i] == '.' || isNameStart(p.s[p.i])) {
			for p.i < p.end && (isNameByte(p.s[p.i]) || p.s[p.i] == '.') {
				p.i++
			}
			return nil, p.errf(off, "invalid number %s: template expressions have integers only", strconv.Quote(p.s[off:p.i]))
		}
		n, err := strconv.ParseInt(p.s[off:p.i], 10, 64)
		if err != nil {
			return nil, p.errf(off, "invalid integer %s (a 64-bit integer is expected)", strconv.Quote(p.s[off:p.i]))
		}
		return &node{kind: nInt, off: int32(off), num: n}, nil
	case isNameStart(c):
		name := p.name(false)
		save := p.i
		p.ws()
		if p.i < p.end && p.s[p.i] == '.' {
			// namespace.member(...) of a user-defined function
			q := *p
			q.i++
			q.ws()
			if member := q.name(false); member != "" {
				q.ws()
				if q.i < q.end && q.s[q.i] == '(' {
					*p = q
					name += "." + member
				}
			}
		}
		if p.i >= p.end || p.s[p.i] != '(' {
			switch strings.ToLower(name) {
			case "true":
				p.i = save
				return &node{kind: nBool, off: int32(off), num: 1}, nil
			case "false":
				p.i = save
				return &node{kind: nBool, off: int32(off)}, nil
			case "null":
				p.i = save
				return &node{kind: nNull, off: int32(off)}, nil
			}
			return nil, p.errf(p.i, "expected '(' after the function name %q, found %s", name, p.tok())
		}
		p.i++
		n := &node{kind: nCall, off: int32(off), str: strings.ToLower(name), name: name}
		p.ws()
		if p.i < p.end && p.s[p.i] == ')' {
			p.i++
			return n, nil
		}
		for {
			a, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, a)
			p.ws()
			if p.i < p.end && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if err := p.expect(')', "or ',' in the arguments of "+name); err != nil {
				return nil, err
			}
			return n, nil
		}
	}
	return nil, p.errf(off, "unexpected %s: expected a function call, a 'string' or an integer", p.tok())
}
