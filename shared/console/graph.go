package console

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/divinepic/pipeline/shared/execstore"
)

// node is one state of a definition, as the graph shows it.
type node struct {
	Name    string
	Type    string
	Comment string
	Edges   []edge  // where it goes next
	Inner   []*node // a Map's item processor (or a Parallel's branches, one after the other)
	Outcome execstore.Outcome
	// CatchOnly: only a Catch leads to it (drawn after the main path).
	CatchOnly bool
	Counts    string // for inner states on a parent's page: how many children ended it each way
}

type edge struct {
	Label, To string
}

type aslStates struct {
	StartAt string                     `json:"StartAt"`
	States  map[string]json.RawMessage `json:"States"`
}

type aslState struct {
	Type    string                  `json:"Type"`
	Comment string                  `json:"Comment"`
	Next    string                  `json:"Next"`
	End     bool                    `json:"End"`
	Default string                  `json:"Default"`
	Choices []struct{ Next string } `json:"Choices"`
	Catch   []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		Next        string   `json:"Next"`
	} `json:"Catch"`
	ItemProcessor *aslStates  `json:"ItemProcessor"`
	Iterator      *aslStates  `json:"Iterator"`
	Branches      []aslStates `json:"Branches"`
	Label         string      `json:"Label"`
}

// parseGraph reads a definition into its states in the order a reader
// follows them: from StartAt, each state's successors after it.
func parseGraph(def []byte) ([]*node, error) {
	var top aslStates
	if err := json.Unmarshal(def, &top); err != nil {
		return nil, fmt.Errorf("definition: %w", err)
	}
	return walkStates(top)
}

func walkStates(g aslStates) ([]*node, error) {
	parse := func(name string, inCatch bool) (*node, error) {
		raw, ok := g.States[name]
		if !ok {
			return nil, nil
		}
		var s aslState
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("state %s: %w", name, err)
		}
		n := &node{Name: name, Type: s.Type, Comment: s.Comment, CatchOnly: inCatch}
		if s.Next != "" {
			n.Edges = append(n.Edges, edge{"next", s.Next})
		}
		for i, c := range s.Choices {
			n.Edges = append(n.Edges, edge{fmt.Sprintf("rule %d", i+1), c.Next})
		}
		if s.Default != "" {
			n.Edges = append(n.Edges, edge{"default", s.Default})
		}
		for _, c := range s.Catch {
			n.Edges = append(n.Edges, edge{"catch", c.Next})
		}
		proc := s.ItemProcessor
		if proc == nil {
			proc = s.Iterator
		}
		if proc != nil {
			inner, err := walkStates(*proc)
			if err != nil {
				return nil, err
			}
			n.Inner = inner
		}
		for _, b := range s.Branches {
			inner, err := walkStates(b)
			if err != nil {
				return nil, err
			}
			n.Inner = append(n.Inner, inner...)
		}
		return n, nil
	}
	// The main path first (Next, Choices, Default) in reading order: a
	// topological order (reverse postorder, a Choice's first rule first),
	// so a state comes after every state that leads to it on the way; the
	// states only a Catch leads to come after it, in the same order.
	seen := map[string]bool{}
	var caught []string
	var post []*node
	var visit func(name string, inCatch bool) error
	visit = func(name string, inCatch bool) error {
		if seen[name] {
			return nil
		}
		n, err := parse(name, inCatch)
		if err != nil || n == nil {
			return err
		}
		seen[name] = true
		for i := len(n.Edges) - 1; i >= 0; i-- {
			if e := n.Edges[i]; e.Label == "catch" {
				caught = append(caught, e.To)
			} else if err := visit(e.To, inCatch); err != nil {
				return err
			}
		}
		post = append(post, n)
		return nil
	}
	var out []*node
	section := func(starts []string, inCatch bool) error {
		post = nil
		for i := len(starts) - 1; i >= 0; i-- {
			if err := visit(starts[i], inCatch); err != nil {
				return err
			}
		}
		for i := len(post) - 1; i >= 0; i-- {
			out = append(out, post[i])
		}
		return nil
	}
	if err := section([]string{g.StartAt}, false); err != nil {
		return nil, err
	}
	for len(caught) > 0 {
		starts := caught
		caught = nil
		if err := section(starts, true); err != nil {
			return nil, err
		}
	}
	// States no path reaches come last, by name.
	var rest []string
	for name := range g.States {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		var s aslState
		json.Unmarshal(g.States[name], &s)
		out = append(out, &node{Name: name, Type: s.Type, Comment: s.Comment})
	}
	return out, nil
}

// findInner returns the inner states of the Map state named name.
func findInner(nodes []*node, name string) []*node {
	for _, n := range nodes {
		if n.Name == name && n.Inner != nil {
			return n.Inner
		}
		if in := findInner(n.Inner, name); in != nil {
			return in
		}
	}
	return nil
}

// colour sets each node's outcome from one execution's outcomes, inner
// nodes (an inline Map's, which ran in this execution) included.
func colour(nodes []*node, outcomes map[string]execstore.Outcome) {
	for _, n := range nodes {
		n.Outcome = outcomes[n.Name]
		if n.Outcome != "" && n.Inner != nil {
			colour(n.Inner, outcomes)
		}
	}
}

// colourCounts sets inner nodes' outcomes from their children's counts:
// failed if any child failed there, else caught, running, succeeded.
// Nodes nested in an inner node (an inline Map run by the children) are
// coloured the same way.
func colourCounts(nodes []*node, counts map[string]map[execstore.Outcome]int) {
	for _, n := range nodes {
		colourCounts(n.Inner, counts)
		c := counts[n.Name]
		if len(c) == 0 {
			continue
		}
		for _, o := range []execstore.Outcome{execstore.Succeeded, execstore.Caught, execstore.Running, execstore.Failed} {
			if c[o] > 0 {
				n.Outcome = o
			}
		}
		n.Counts = ""
		for _, o := range []execstore.Outcome{execstore.Succeeded, execstore.Caught, execstore.Failed, execstore.Running} {
			if c[o] > 0 {
				if n.Counts != "" {
					n.Counts += " · "
				}
				n.Counts += fmt.Sprintf("%d %s", c[o], o)
			}
		}
	}
}
