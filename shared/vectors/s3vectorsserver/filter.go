package s3vectorsserver

import (
	"encoding/json"
	"strings"
)

// match evaluates a metadata filter against a vector's metadata (numbers in
// both as json.Number). A filter is an object whose fields must all hold:
// "$and"/"$or" take arrays of filters; any other field names a metadata
// key and takes either a value (equality) or an object of operators.
func (ix *index) match(filter any, meta map[string]any) (bool, *apiError) {
	obj, ok := filter.(map[string]any)
	if !ok || len(obj) == 0 {
		return false, validation("filter must be a non-empty object")
	}
	for field, cond := range obj {
		var ok bool
		var err *apiError
		switch field {
		case "$and", "$or":
			ok, err = ix.logical(field, cond, meta)
		default:
			if strings.HasPrefix(field, "$") {
				return false, validation("filter: unknown operator %s", field)
			}
			if ix.nonFilterable[field] {
				return false, validation("filter: metadata key %s is not filterable", field)
			}
			ok, err = condition(field, cond, meta)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (ix *index) logical(op string, cond any, meta map[string]any) (bool, *apiError) {
	list, ok := cond.([]any)
	if !ok || len(list) == 0 {
		return false, validation("filter: %s takes a non-empty array of filters", op)
	}
	for _, f := range list {
		ok, err := ix.match(f, meta)
		if err != nil {
			return false, err
		}
		if op == "$or" && ok {
			return true, nil
		}
		if op == "$and" && !ok {
			return false, nil
		}
	}
	return op == "$and", nil
}

// condition evaluates the condition on one metadata field.
func condition(field string, cond any, meta map[string]any) (bool, *apiError) {
	ops, isOps := cond.(map[string]any)
	if !isOps {
		ops = map[string]any{"$eq": cond}
	}
	if len(ops) == 0 {
		return false, validation("filter: %s: empty condition", field)
	}
	val, present := meta[field]
	for op, arg := range ops {
		var ok bool
		switch op {
		case "$eq", "$ne":
			if !primitive(arg) {
				return false, validation("filter: %s %s takes a string, number or boolean", field, op)
			}
			ok = present && equalOrContains(val, arg)
			if op == "$ne" {
				ok = present && !ok
			}
		case "$gt", "$gte", "$lt", "$lte":
			a, isNum := number(arg)
			if !isNum {
				return false, validation("filter: %s %s takes a number", field, op)
			}
			v, vNum := number(val)
			ok = present && vNum && compare(op, v, a)
		case "$in", "$nin":
			list, isList := arg.([]any)
			if !isList || len(list) == 0 {
				return false, validation("filter: %s %s takes a non-empty array", field, op)
			}
			for _, x := range list {
				if !primitive(x) {
					return false, validation("filter: %s %s takes primitives", field, op)
				}
				if present && equalOrContains(val, x) {
					ok = true
				}
			}
			if op == "$nin" {
				ok = present && !ok
			}
		case "$exists":
			want, isBool := arg.(bool)
			if !isBool {
				return false, validation("filter: %s $exists takes a boolean", field)
			}
			ok = present == want
		default:
			return false, validation("filter: %s: unknown operator %s", field, op)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func primitive(v any) bool {
	switch v.(type) {
	case string, bool, json.Number:
		return true
	}
	return false
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// equalOrContains: val equals arg, or val is an array with an element equal
// to arg (numbers compare by value).
func equalOrContains(val, arg any) bool {
	if list, ok := val.([]any); ok {
		for _, x := range list {
			if equal(x, arg) {
				return true
			}
		}
		return false
	}
	return equal(val, arg)
}

func equal(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	return a == b
}

func compare(op string, v, a float64) bool {
	switch op {
	case "$gt":
		return v > a
	case "$gte":
		return v >= a
	case "$lt":
		return v < a
	}
	return v <= a
}
