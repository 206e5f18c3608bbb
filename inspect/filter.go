package inspect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hookscope/hookscope/inspect/signature"
)

// Filter is what a user typed to narrow a list (the TUI's `/`, the web
// inspector's filter box): one syntax everywhere, split into what the
// store can select (Query) and the handler-status test, which the store
// cannot and the reader applies to each page it gets.
type Filter struct {
	Text   string // as typed, shown in the list title
	Query  Query
	Status StatusFilter
}

// StatusFilter matches a record's latest delivery to the handler.
type StatusFilter struct {
	Kind  StatusKind
	Code  int // Exact: the code; Class: 2 for 2xx…
	Label string
}

// StatusKind says how a StatusFilter compares.
type StatusKind int

const (
	AnyStatus    StatusKind = iota
	ExactStatus             // status:500
	ClassStatus             // status:5xx
	NotForwarded            // status:none
	NoAnswer                // status:err: forwarded, no HTTP answer
	Failed                  // status:failed: forwarded, no 2xx
)

// Active reports whether the filter selects anything by status.
func (s StatusFilter) Active() bool { return s.Kind != AnyStatus }

// Match reports whether r's latest delivery passes.
func (s StatusFilter) Match(r *Record) bool {
	switch s.Kind {
	case ExactStatus:
		return r.Forwarded && r.ForwardStatus == s.Code
	case ClassStatus:
		return r.Forwarded && r.ForwardStatus/100 == s.Code
	case NotForwarded:
		return !r.Forwarded
	case NoAnswer:
		return r.Forwarded && r.ForwardStatus == 0
	case Failed:
		return r.Forwarded && (r.ForwardStatus < 200 || r.ForwardStatus > 299)
	}
	return true
}

// ParseFilter reads `event:video.* sig:invalid status:500 free text`.
// Words without a known prefix are joined into the free text, which the
// store matches against path, event and id prefix.
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
			f.Status = sf
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
	l := strings.ToLower(v)
	switch l {
	case "none", "-", "–":
		return StatusFilter{Kind: NotForwarded, Label: "not forwarded"}, nil
	case "err", "error":
		return StatusFilter{Kind: NoAnswer, Label: "no answer"}, nil
	case "fail", "failed", "!2xx":
		return StatusFilter{Kind: Failed, Label: "failed"}, nil
	case "ok":
		return StatusFilter{Kind: ClassStatus, Code: 2, Label: "2xx"}, nil
	}
	if len(l) == 3 && l[1:] == "xx" && l[0] >= '1' && l[0] <= '5' {
		return StatusFilter{Kind: ClassStatus, Code: int(l[0] - '0'), Label: l}, nil
	}
	if n, err := strconv.Atoi(l); err == nil && n >= 100 && n <= 599 {
		return StatusFilter{Kind: ExactStatus, Code: n, Label: l}, nil
	}
	return StatusFilter{}, fmt.Errorf("status:%s is not a status: use a code (500), a class (5xx), ok, failed, err or none", v)
}

// Match mirrors the store's selection for a record that arrived live, so
// arrivals land in (or stay out of) the list without asking the store.
func (f Filter) Match(r *Record) bool {
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
	if q.Text != "" && !strings.Contains(r.Path, q.Text) && !strings.Contains(r.Event, q.Text) &&
		!glob(q.Text+"*", r.ID) {
		return false
	}
	return f.Status.Match(r)
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
