package firewall

import (
	"strings"
)

// fqdnPattern is a compiled FQDN pattern. A pattern without wildcard matches
// the name equal to suffix; with a left-most "*" it matches every name that
// ends with suffix (the star may match nothing), so "*.contoso.com" matches
// the subdomains of contoso.com at any depth but not contoso.com itself, and
// "*contoso.com" matches contoso.com, x.contoso.com and anycontoso.com; "*"
// alone has suffix "" and matches every name
// (https://learn.microsoft.com/azure/firewall/firewall-faq, wildcards).
// Names compare ASCII case-insensitively; suffix is stored in lower case.
type fqdnPattern struct {
	suffix   string
	wildcard bool
}

func (p fqdnPattern) match(name string) bool {
	if p.wildcard {
		return len(name) >= len(p.suffix) && equalFoldASCII(name[len(name)-len(p.suffix):], p.suffix)
	}
	return equalFoldASCII(name, p.suffix)
}

// equalFoldASCII reports whether a equals lower-case b, ignoring ASCII case in a.
func equalFoldASCII(a, lowerB string) bool {
	if len(a) != len(lowerB) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lowerB[i] {
			return false
		}
	}
	return true
}

// parseFQDNPattern parses a target FQDN. With wildcard false only exact names
// are accepted (network-rule destination FQDNs, translated FQDNs). It
// returns a message on error.
func parseFQDNPattern(s string, wildcard bool) (fqdnPattern, string) {
	if s == "" {
		return fqdnPattern{}, "empty FQDN"
	}
	if len(s) > 255 {
		return fqdnPattern{}, "longer than 255 characters"
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return fqdnPattern{}, "non-ASCII character (use the punycode form)"
		}
	}
	if n := len(s); s[n-1] == '.' && (n == 1 || s[n-2] == '.' || s[n-2] == '*') {
		return fqdnPattern{}, "empty label"
	}
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if s == "*" {
		if !wildcard {
			return fqdnPattern{}, "wildcards are not supported here"
		}
		return fqdnPattern{wildcard: true}, ""
	}
	p := fqdnPattern{suffix: s}
	host := s
	if strings.HasPrefix(s, "*") {
		if !wildcard {
			return fqdnPattern{}, "wildcards are not supported here"
		}
		p.wildcard = true
		host = strings.TrimPrefix(s[1:], ".")
		p.suffix = s[1:]
	}
	if strings.Contains(host, "*") {
		return fqdnPattern{}, "only a single left-most '*' is allowed (not \"www.contoso.*\" or mid-label stars)"
	}
	if msg := checkHost(host); msg != "" {
		return fqdnPattern{}, msg
	}
	return p, ""
}

// checkHost checks a host name: dot-separated labels of 1..63 letters,
// digits, '-' and '_'.
func checkHost(h string) string {
	if h == "" {
		return "empty host name"
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" {
			return "empty label"
		}
		if len(label) > 63 {
			return "label longer than 63 characters"
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "invalid character " + quoteByte(c)
			}
		}
	}
	return ""
}

func quoteByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return "0x" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])
	}
	return "'" + string(rune(c)) + "'"
}

// urlPattern is a compiled target URL: a host pattern and a path that is
// matched exactly, or as a prefix when it ended in "*". An empty path
// matches every path.
type urlPattern struct {
	host   fqdnPattern
	path   string
	prefix bool
}

func (u urlPattern) matchPath(path string) bool {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	switch {
	case u.path == "":
		return true
	case u.prefix:
		return strings.HasPrefix(path, u.path)
	}
	return path == u.path
}

// parseURLPattern parses a target URL "host/path" (no scheme, query or port;
// '*' left-most in the host or right-most in the path,
// https://learn.microsoft.com/azure/firewall/premium-features#url-filtering).
func parseURLPattern(s string) (urlPattern, string) {
	if strings.Contains(s, "://") {
		return urlPattern{}, "no scheme allowed (write host/path)"
	}
	if strings.ContainsAny(s, "?#") {
		return urlPattern{}, "no query strings allowed"
	}
	host, path, _ := strings.Cut(s, "/")
	if strings.Contains(host, ":") {
		return urlPattern{}, "no ports allowed"
	}
	h, msg := parseFQDNPattern(host, true)
	if msg != "" {
		return urlPattern{}, msg
	}
	u := urlPattern{host: h}
	if strings.Contains(s, "/") {
		path = "/" + path
		if strings.HasSuffix(path, "*") {
			u.prefix = true
			path = path[:len(path)-1]
		}
		if strings.Contains(path, "*") {
			return urlPattern{}, "'*' is allowed only at the end of the path"
		}
		u.path = path
	}
	return u, ""
}

// checkName applies Azure's naming rules for groups, collections and rules:
// 1..80 characters; letters, digits, '_', '.', '-'; starting with a letter
// or digit; ending with a letter, digit or '_'.
func checkName(s string) string {
	if s == "" {
		return "empty name"
	}
	if len(s) > 80 {
		return "longer than 80 characters"
	}
	alnum := func(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !alnum(c) && c != '_' && c != '.' && c != '-' {
			return "invalid character " + quoteByte(c)
		}
	}
	if !alnum(s[0]) {
		return "must start with a letter or digit"
	}
	if c := s[len(s)-1]; !alnum(c) && c != '_' {
		return "must end with a letter, digit or '_'"
	}
	return ""
}
