package jsonpath

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Get evaluates a Path against data. "$" returns data. A definite path that
// matches nothing returns a *NoMatch error; an indefinite path (wildcards,
// slices, unions, filters, deep scans) returns a []any of its matches, empty
// when nothing matches. A "$$" path reads the context object, which Get does
// not have: use GetContext.
func Get(data any, path string) (any, error) {
	return GetContext(data, nil, path)
}

// GetContext is Get where a path starting with "$$" is evaluated against ctx
// (the context object).
func GetContext(data, ctx any, path string) (any, error) {
	p, err := cached(path)
	if err != nil {
		return nil, err
	}
	return p.GetContext(data, ctx)
}

// Set returns a copy of data with value placed at the Reference Path refPath
// (ResultPath semantics: "$" replaces everything; missing intermediate objects
// are created; a node on the way that is not an object is a *SetFailure). It
// never mutates data: only the objects and arrays along the path are copied.
func Set(data any, refPath string, value any) (any, error) {
	p, err := cached(refPath)
	if err != nil {
		return nil, err
	}
	return p.Set(data, value)
}

// A small cache so that the string-taking helpers do not re-parse hot paths.
// Bounded: beyond cacheMax distinct paths, new ones are compiled every time.
var (
	cache     sync.Map // string -> *Path
	cacheSize atomic.Int64
)

const cacheMax = 4096

func cached(path string) (*Path, error) {
	if p, ok := cache.Load(path); ok {
		return p.(*Path), nil
	}
	p, err := Compile(path)
	if err != nil {
		return nil, err
	}
	if cacheSize.Load() < cacheMax {
		if _, loaded := cache.LoadOrStore(path, p); !loaded {
			cacheSize.Add(1)
		}
	}
	return p, nil
}

// Get evaluates the path against data (see the package function Get).
func (p *Path) Get(data any) (any, error) {
	return p.GetContext(data, nil)
}

// GetContext evaluates the path against data, or against ctx when the path
// starts with "$$".
func (p *Path) GetContext(data, ctx any) (any, error) {
	start := data
	if p.context {
		if ctx == nil {
			return nil, &NoMatch{Path: p.src}
		}
		start = ctx
	}
	if p.simple {
		cur := start
		for i := range p.segs {
			s := &p.segs[i]
			var ok bool
			if s.kind == segName {
				m, isMap := cur.(map[string]any)
				if !isMap {
					return nil, &NoMatch{Path: p.src}
				}
				cur, ok = m[s.name]
			} else {
				cur, ok = index(cur, s.index)
			}
			if !ok {
				return nil, &NoMatch{Path: p.src}
			}
		}
		return cur, nil
	}
	ev := &evaluator{root: data, ctx: ctx}
	if p.definite {
		v, ok := ev.single(p, start)
		if ev.work > maxWork {
			return nil, &LimitExceeded{Path: p.src}
		}
		if !ok {
			return nil, &NoMatch{Path: p.src}
		}
		return v, nil
	}
	r := ev.all(p, start)
	if ev.work > maxWork {
		return nil, &LimitExceeded{Path: p.src}
	}
	return r, nil
}

func index(cur any, i int) (any, bool) {
	a, ok := cur.([]any)
	if !ok {
		return nil, false
	}
	if i < 0 {
		i += len(a)
	}
	if i < 0 || i >= len(a) {
		return nil, false
	}
	return a[i], true
}

type evaluator struct {
	root, ctx any
	work      int // nodes visited so far, bounded by maxWork
}

// maxWork bounds the nodes one evaluation may visit. Filters that scan the
// whole document for every node they test ($..[?($..[?(...)])]) grow
// exponentially with nesting; past this bound evaluation stops with a
// *LimitExceeded instead of running for minutes.
const maxWork = 1 << 18

func (ev *evaluator) spend(n int) bool {
	ev.work += n
	return ev.work > maxWork
}

// single evaluates a definite path; ok is false when nothing matched.
func (ev *evaluator) single(p *Path, start any) (any, bool) {
	r := ev.nodes(p, start)
	if len(r) == 0 {
		return nil, false
	}
	return r[0], true
}

// all evaluates any path and returns its matches as a non-nil []any.
func (ev *evaluator) all(p *Path, start any) []any {
	r := ev.nodes(p, start)
	if r == nil {
		r = []any{}
	}
	return r
}

func (ev *evaluator) nodes(p *Path, start any) []any {
	nodes := []any{start}
	for i := range p.segs {
		s := &p.segs[i]
		leafMerge := p.merge && i == len(p.segs)-1
		if ev.spend(len(nodes)) {
			return nil
		}
		next := make([]any, 0, len(nodes))
		for _, n := range nodes {
			switch {
			case leafMerge:
				next = mergeNames(s.names, n, next)
			case s.deep:
				next = ev.deep(s, n, next)
			default:
				next = ev.apply(s, n, next)
			}
		}
		nodes = next
		if len(nodes) == 0 {
			return nil
		}
	}
	return nodes
}

// mergeNames is Jayway's leaf ['a','b']: one object holding the members found.
func mergeNames(names []string, n any, out []any) []any {
	m, ok := n.(map[string]any)
	if !ok {
		return out
	}
	r := make(map[string]any, len(names))
	for _, k := range names {
		if v, ok := m[k]; ok {
			r[k] = v
		}
	}
	return append(out, r)
}

// apply appends what one step selects from node n.
func (ev *evaluator) apply(s *segment, n any, out []any) []any {
	switch s.kind {
	case segName:
		if m, ok := n.(map[string]any); ok {
			if v, ok := m[s.name]; ok {
				out = append(out, v)
			}
		}
	case segIndex:
		if v, ok := index(n, s.index); ok {
			out = append(out, v)
		}
	case segNames:
		if m, ok := n.(map[string]any); ok {
			for _, k := range s.names {
				if v, ok := m[k]; ok {
					out = append(out, v)
				}
			}
		}
	case segIndexes:
		for _, i := range s.indexes {
			if v, ok := index(n, i); ok {
				out = append(out, v)
			}
		}
	case segWildcard:
		out = children(n, out)
	case segSlice:
		if a, ok := n.([]any); ok {
			out = slice(a, s.slice, out)
		}
	case segFilter:
		switch v := n.(type) {
		case []any:
			for _, x := range v {
				if s.filter.test(ev, x) {
					out = append(out, x)
				}
			}
		case map[string]any:
			if s.filter.test(ev, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// deep applies a step to n and to every descendant of n, in pre-order.
func (ev *evaluator) deep(s *segment, n any, out []any) []any {
	if ev.spend(1) {
		return out
	}
	if s.kind == segFilter {
		// Under a deep scan a filter tests every descendant exactly once.
		for _, c := range children(n, nil) {
			if s.filter.test(ev, c) {
				out = append(out, c)
			}
		}
	} else {
		out = ev.apply(s, n, out)
	}
	switch v := n.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			out = ev.deep(s, v[k], out)
		}
	case []any:
		for _, c := range v {
			out = ev.deep(s, c, out)
		}
	}
	return out
}

func children(n any, out []any) []any {
	switch v := n.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			out = append(out, v[k])
		}
	case []any:
		out = append(out, v...)
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// slice follows RFC 9535 section 2.3.4.2 (which matches Jayway for step 1).
func slice(a []any, sl sliceSpec, out []any) []any {
	n := len(a)
	norm := func(i int) int {
		if i < 0 {
			return i + n
		}
		return i
	}
	clamp := func(i, lo, hi int) int {
		if i < lo {
			return lo
		}
		if i > hi {
			return hi
		}
		return i
	}
	step := sl.step
	if step > 0 {
		start, end := 0, n
		if sl.hasStart {
			start = clamp(norm(sl.start), 0, n)
		}
		if sl.hasEnd {
			end = clamp(norm(sl.end), 0, n)
		}
		for i := start; i < end; {
			out = append(out, a[i])
			if step >= end-i { // also guards i+step against overflow
				break
			}
			i += step
		}
		return out
	}
	start, end := n-1, -1
	if sl.hasStart {
		start = clamp(norm(sl.start), -1, n-1)
	}
	if sl.hasEnd {
		end = clamp(norm(sl.end), -1, n-1)
	}
	for i := start; i > end; {
		out = append(out, a[i])
		if -step >= i-end {
			break
		}
		i += step
	}
	return out
}
