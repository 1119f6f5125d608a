package states

import (
	"encoding/json"
	"time"
)

// waitState delays the execution for Seconds, until Timestamp, or for a
// number of seconds or until a timestamp read from the input.
type waitState struct {
	common
	seconds     int64
	hasSeconds  bool
	timestamp   time.Time
	hasTS       bool
	secondsPath *path
	tsPath      *path
	ataSeconds  *ataTmpl // JSONata Seconds
	ataTS       *ataTmpl // JSONata Timestamp
}

func (p *parser) waitState(o *object, c common) *waitState {
	s := &waitState{common: c}
	p.nextOrEnd(o, &s.common)
	p.inputOutput(o, &s.common)
	n := 0
	for _, f := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if o.has(f) {
			n++
		}
	}
	if n != 1 && !p.jsonata {
		p.errorf(o.path, "a Wait state must have exactly one of Seconds, Timestamp, SecondsPath, TimestampPath")
	} else if n != 1 {
		p.errorf(o.path, "a Wait state must have exactly one of Seconds, Timestamp")
	}
	if p.jsonata {
		for _, f := range []string{"Seconds", "Timestamp"} {
			if v, ok := o.m[f].(string); ok && isExpr(v) {
				o.used[f] = true
				t := p.ataTemplate(o.at(f), v)
				if f == "Seconds" {
					s.ataSeconds = t
				} else {
					s.ataTS = t
				}
				delete(o.m, f)
			}
		}
	}
	if v, ok := o.integer("Seconds", 0, 99999999); ok {
		s.seconds, s.hasSeconds = v, true
	}
	if v, ok := o.str("Timestamp", false); ok {
		t, err := parseTimestamp(v)
		if err != nil {
			p.errorf(o.at("Timestamp"), "must be an RFC 3339 timestamp, got %q", v)
		}
		s.timestamp, s.hasTS = t, true
	}
	if v, ok := o.str("SecondsPath", false); ok {
		s.secondsPath = p.compilePath(o.at("SecondsPath"), v, true)
	}
	if v, ok := o.str("TimestampPath", false); ok {
		s.tsPath = p.compilePath(o.at("TimestampPath"), v, true)
	}
	return s
}

func parseTimestamp(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

func (s *waitState) exec(r *runner, raw any) (any, string, *Error) {
	in, err := r.inputPath(&s.common, raw)
	if err != nil {
		return nil, "", err
	}
	var d time.Duration
	switch {
	case s.ataSeconds != nil:
		v, e := s.ataSeconds.eval(r, &statesVar{input: in})
		if e != nil {
			return nil, "", e
		}
		n, ok := v.(json.Number)
		secs, perr := n.Int64()
		if !ok || perr != nil || secs < 0 {
			return nil, "", evalError("Seconds", "The Seconds of the Wait state '%s' must evaluate to a non-negative integer, got %s", s.name, compactJSON(v))
		}
		d = time.Duration(secs) * time.Second
	case s.ataTS != nil:
		v, e := s.ataTS.eval(r, &statesVar{input: in})
		if e != nil {
			return nil, "", e
		}
		str, _ := v.(string)
		t, perr := parseTimestamp(str)
		if perr != nil {
			return nil, "", evalError("Timestamp", "The Timestamp of the Wait state '%s' must evaluate to an RFC 3339 timestamp, got %s", s.name, compactJSON(v))
		}
		d = t.Sub(r.clock().Now())
	case s.hasSeconds:
		d = time.Duration(s.seconds) * time.Second
	case s.hasTS:
		d = s.timestamp.Sub(r.clock().Now())
	case s.secondsPath != nil:
		v, e := r.evalPath(s.secondsPath, in)
		if e != nil {
			return nil, "", e
		}
		n, ok := v.(json.Number)
		if !ok {
			return nil, "", newError(ErrRuntime, "SecondsPath %q must select a number, got %s", s.secondsPath.raw, jsonType(v))
		}
		secs, perr := n.Int64()
		if perr != nil || secs < 0 {
			return nil, "", newError(ErrRuntime, "SecondsPath %q must select a non-negative integer, got %s", s.secondsPath.raw, n)
		}
		d = time.Duration(secs) * time.Second
	case s.tsPath != nil:
		v, e := r.evalPath(s.tsPath, in)
		if e != nil {
			return nil, "", e
		}
		str, ok := v.(string)
		t, perr := parseTimestamp(str)
		if !ok || perr != nil {
			return nil, "", newError(ErrRuntime, "TimestampPath %q must select an RFC 3339 timestamp, got %s", s.tsPath.raw, compactJSON(v))
		}
		d = t.Sub(r.clock().Now())
	}
	if d > 0 {
		if e := r.sleep(d); e != nil {
			return nil, "", e
		}
	}
	out, err := r.outputPath(&s.common, in)
	return out, s.next, err
}
