package states

import (
	"sync"
)

// The engine holds JSON objects as maps, which have no order, and writes
// them with sorted keys. AWS keeps the order in which an object's keys were
// written, and States.JsonToString shows it. So an execution keeps the raw
// JSON texts its data came from (its input and every task's result), up to
// keyOrderBytes, and JsonToString writes an object with the key order of an
// equal object in those texts (a Distributed Map's children read their
// parent's texts too); objects found in none of them (built by templates,
// merged, or from texts over the budget) keep sorted keys. Only
// definitions that call JsonToString keep texts.

// keyOrderBytes bounds the raw texts an execution keeps for key order.
const keyOrderBytes = 1 << 20

// rawTexts are the raw JSON texts of one execution's data, newest last.
// A Distributed Map's child executions read their parent's too.
type rawTexts struct {
	parent *rawTexts // read only while the child runs

	mu     sync.Mutex
	texts  [][]byte
	size   int
	gen    int                 // texts added so far
	cached map[string][]string // orders of the own texts when gen was cgen
	cgen   int
}

// add keeps b (not copied: callers hand over texts they no longer change),
// dropping the oldest texts beyond keyOrderBytes.
func (t *rawTexts) add(b []byte) {
	if len(b) == 0 || len(b) > keyOrderBytes {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.texts = append(t.texts, b)
	t.size += len(b)
	t.gen++
	for t.size > keyOrderBytes {
		t.size -= len(t.texts[0])
		t.texts[0] = nil
		t.texts = t.texts[1:]
	}
}

// orders maps every object of the texts (the parent's, then the own), by
// its JSON with sorted keys, to its keys in written order; the newest
// text wins.
func (t *rawTexts) orders() map[string][]string {
	out := map[string][]string{}
	var chain []*rawTexts
	for c := t; c != nil; c = c.parent {
		chain = append(chain, c)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, v := range chain[i].own() {
			out[k] = v
		}
	}
	return out
}

// own is the orders of t's own texts, computed again only after an add.
func (t *rawTexts) own() map[string][]string {
	t.mu.Lock()
	if t.cached != nil && t.cgen == t.gen {
		defer t.mu.Unlock()
		return t.cached
	}
	texts, gen := append([][]byte(nil), t.texts...), t.gen
	t.mu.Unlock()
	out := map[string][]string{}
	for _, b := range texts {
		d := decoder{b: b, onObject: func(keys []string, m map[string]any) {
			if len(keys) < 2 {
				return // nothing to order
			}
			if canon, err := marshal(m); err == nil {
				out[string(canon)] = keys
			}
		}}
		d.skipSpace()
		d.value(0) // the texts decoded once already; an error cannot happen
	}
	t.mu.Lock()
	t.cached, t.cgen = out, gen
	t.mu.Unlock()
	return out
}

// withKeyOrderOf makes a Distributed Map's child read its parent's texts.
func withKeyOrderOf(parent *rawTexts) StartOption {
	return func(x *Execution) {
		if parent != nil {
			x.raw = &rawTexts{parent: parent}
		}
	}
}

// marshalOrdered is marshal, writing each object whose sorted JSON is in
// orders with that key order.
func marshalOrdered(v any, orders map[string][]string) ([]byte, error) {
	if len(orders) == 0 {
		return marshal(v)
	}
	return appendOrdered(nil, v, orders)
}

func appendOrdered(b []byte, v any, orders map[string][]string) ([]byte, error) {
	switch x := v.(type) {
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendOrdered(b, e, orders); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		canon, err := marshal(x)
		if err != nil {
			return nil, err
		}
		keys, ok := orders[string(canon)]
		if !ok || len(keys) != len(x) {
			keys = sortedKeys(x) // a new object: its members may still come from the texts
		}
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			if b, err = appendOrdered(b, x[k], orders); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return appendJSON(b, v)
}

// keepRaw keeps a raw JSON text the execution's data came from, when the
// definition needs key order.
func (x *Execution) keepRaw(b []byte) {
	if x.raw != nil {
		x.raw.add(b)
	}
}

// encodeOrdered is States.JsonToString's encoder: objects in the order of
// the raw texts they came from.
func (x *Execution) encodeOrdered(v any) (string, error) {
	var orders map[string][]string
	if x.raw != nil {
		orders = x.raw.orders()
	}
	b, err := marshalOrdered(v, orders)
	return string(b), err
}
