// The filter syntax every front end shares (the TUI's /, the web
// inspector's filter box): `event:video.* sig:invalid status:5xx text`.

package inspect

import (
	"fmt"
	"strings"

	"github.com/hookscope/hookscope/inspect/signature"
)

// Filter is what `/` typed and the Query the store selects it with.
type Filter struct {
	Text  string // as typed, shown in the list title
	Query Query
}

// ParseFilter reads `event:video.* sig:invalid status:500 free text`.
// Words without a known prefix are joined into the free text, which the
// store finds in the path, event, headers or body (ASCII case ignored), or
// takes as an id prefix.
func ParseFilter(s string) (Filter, error) {
	f := Filter{Text: strings.TrimSpace(s)}
	var free []string
	for _, w := range strings.Fields(s) {
		k, v, ok := strings.Cut(w, ":")
		if !ok || v == "" {
			free = append(free, w)
			continue
		}
		switch strings.ToLower(k) {
		case "event", "ev", "e":
			f.Query.Event = v
		case "sig", "signature", "s":
			st, err := parseVerdict(v)
			if err != nil {
				return Filter{}, err
			}
			f.Query.Signature = st
		case "status", "st":
			sf, err := parseStatus(v)
			if err != nil {
				return Filter{}, err
			}
			f.Query.Status = sf
		default:
			// "http://x" or "a:b" in a path is text, not a typo'd key.
			free = append(free, w)
		}
	}
	f.Query.Text = strings.Join(free, " ")
	return f, nil
}

func parseVerdict(v string) (signature.Status, error) {
	switch strings.ToLower(v) {
	case "valid", "ok", "✓":
		return signature.Valid, nil
	case "invalid", "bad", "✗":
		return signature.Invalid, nil
	case "missing", "none", "–", "-":
		return signature.Missing, nil
	case "unchecked", "?":
		return signature.Unchecked, nil
	}
	return "", fmt.Errorf("sig:%s is not a verdict: use valid, invalid, missing or unchecked", v)
}

func parseStatus(v string) (StatusFilter, error) {
	sf, err := ParseStatusFilter(v)
	if err != nil {
		return sf, fmt.Errorf("status:%s is not a status: use %s", v, StatusWords)
	}
	return sf, nil
}

// Match mirrors the store's selection for a record that arrived live, so
// arrivals land in (or stay out of) the list without asking the store.
// A live record carries no body: one the free text finds nowhere else may
// still match in the store (see MatchSansBody).
func (f Filter) Match(r *Record) bool {
	return f.MatchSansBody(r) && f.textMatch(r)
}

// MatchSansBody is Match without the free text, which it leaves to
// textMatch or to the store.
func (f Filter) MatchSansBody(r *Record) bool {
	q := f.Query
	if q.Event != "" {
		if strings.ContainsAny(q.Event, "*?[") {
			if !glob(q.Event, r.Event) {
				return false
			}
		} else if r.Event != q.Event {
			return false
		}
	}
	if q.Signature != "" && r.Signature.Status != q.Signature {
		return false
	}
	return q.Status.Match(r)
}

// textMatch is the free text's test on what r carries (the store runs the
// same TextMatch over bodies).
func (f Filter) textMatch(r *Record) bool {
	t := f.Query.Text
	if t == "" || TextMatch(FoldText(t), r.Path, r.Event, r.Headers, r.Body) {
		return true
	}
	p, ok := NormalizeIDPrefix(t)
	return ok && strings.HasPrefix(r.ID, p)
}

// glob is SQLite's GLOB: case-sensitive, * any run, ? one character,
// [...] a set with ranges and ^ negation.
func glob(pat, s string) bool {
	p, t := []rune(pat), []rune(s)
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for i < len(p) {
			switch p[i] {
			case '*':
				for i < len(p) && p[i] == '*' {
					i++
				}
				if i == len(p) {
					return true
				}
				for k := j; k <= len(t); k++ {
					if match(i, k) {
						return true
					}
				}
				return false
			case '?':
				if j == len(t) {
					return false
				}
				i, j = i+1, j+1
			case '[':
				if j == len(t) {
					return false
				}
				end, ok := setMatch(p, i, t[j])
				if end < 0 || !ok {
					return false
				}
				i, j = end, j+1
			default:
				if j == len(t) || p[i] != t[j] {
					return false
				}
				i, j = i+1, j+1
			}
		}
		return j == len(t)
	}
	return match(0, 0)
}

// setMatch matches c against the set opening at p[i]; it returns the
// index past the set, or -1 when the set is never closed.
func setMatch(p []rune, i int, c rune) (int, bool) {
	i++
	neg := i < len(p) && p[i] == '^'
	if neg {
		i++
	}
	found := false
	first := true
	for i < len(p) && (p[i] != ']' || first) {
		lo := p[i]
		hi := lo
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			hi = p[i+2]
			i += 2
		}
		if lo <= c && c <= hi {
			found = true
		}
		i++
		first = false
	}
	if i >= len(p) {
		return -1, false
	}
	return i + 1, found != neg
}
