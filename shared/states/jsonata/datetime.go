package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Date and time: ISO 8601 timestamps ($toMillis, $fromMillis, $now)
// without a picture string, with an optional ±HHMM timezone for
// $fromMillis. XPath picture strings are not supported.

var isoRE = regexp.MustCompile(`^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$`)

func fnToMillis(_ *call, a []any) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return nil, nil
	}
	if arg(a, 1) != nil {
		return nil, newErr("D3136", -1, "", "date/time picture strings are not supported")
	}
	m := isoRE.FindStringSubmatch(s)
	if m == nil {
		return nil, newErr("D3110", -1, "", "the argument of the toMillis function must be an ISO 8601 formatted timestamp, got %q", s)
	}
	num := func(i, def int) int {
		if m[i] == "" {
			return def
		}
		n, _ := strconv.Atoi(m[i])
		return n
	}
	ms := 0
	if m[7] != "" {
		frac := (m[7] + "000")[:3]
		ms, _ = strconv.Atoi(frac)
	}
	loc := time.UTC
	if z := m[8]; z != "" && z != "Z" {
		z = strings.ReplaceAll(z, ":", "")
		h, _ := strconv.Atoi(z[1:3])
		mi, _ := strconv.Atoi(z[3:5])
		off := h*3600 + mi*60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	t := time.Date(num(1, 0), time.Month(num(2, 1)), num(3, 1), num(4, 0), num(5, 0), num(6, 0), ms*1e6, loc)
	return float64(t.UnixMilli()), nil
}

func fnFromMillis(_ *call, a []any) (any, error) {
	v, ok := arg(a, 0).(float64)
	if !ok {
		return nil, nil
	}
	if arg(a, 1) != nil {
		return nil, newErr("D3136", -1, "", "date/time picture strings are not supported")
	}
	loc := time.UTC
	if tz, ok := arg(a, 2).(string); ok && tz != "" {
		z := strings.ReplaceAll(tz, ":", "")
		if len(z) != 5 || (z[0] != '+' && z[0] != '-') {
			return nil, newErr("D3134", -1, "", "bad timezone %q", tz)
		}
		h, _ := strconv.Atoi(z[1:3])
		mi, _ := strconv.Atoi(z[3:5])
		off := h*3600 + mi*60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	t := time.UnixMilli(int64(math.Floor(v))).In(loc)
	if loc == time.UTC {
		return t.Format("2006-01-02T15:04:05.000Z"), nil
	}
	return t.Format("2006-01-02T15:04:05.000-07:00"), nil
}

func fnFormatInteger(_ *call, a []any) (any, error) {
	v, ok := arg(a, 0).(float64)
	if !ok {
		return nil, nil
	}
	pic, _ := arg(a, 1).(string)
	if strings.Trim(pic, "0#,") == "" && strings.ContainsAny(pic, "0") && !strings.Contains(pic, ",") {
		s := strconv.FormatInt(int64(math.Abs(v)), 10)
		if n := strings.Count(pic, "0"); len(s) < n {
			s = strings.Repeat("0", n-len(s)) + s
		}
		if v < 0 {
			s = "-" + s
		}
		return s, nil
	}
	return nil, newErr("D3130", -1, "", "formatting an integer with the picture %q is not supported by this implementation", pic)
}

func fnParseInteger(_ *call, a []any) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return nil, nil
	}
	pic, _ := arg(a, 1).(string)
	if strings.Trim(pic, "0#") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return float64(n), nil
		}
	}
	return nil, newErr("D3130", -1, "", "parsing an integer with the picture %q is not supported by this implementation", pic)
}
