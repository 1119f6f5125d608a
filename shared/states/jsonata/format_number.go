package jsonata

import (
	"math"
	"strconv"
	"strings"
)

// fnFormatNumber is $formatNumber(number, picture [, options]): the XPath
// fn:format-number picture language.
func fnFormatNumber(_ *call, a []any) (any, error) {
	value, ok := arg(a, 0).(float64)
	if !ok {
		return nil, nil
	}
	picture := a[1].(string)
	props := map[string]string{
		"decimal-separator": ".", "grouping-separator": ",", "exponent-separator": "e",
		"infinity": "Infinity", "minus-sign": "-", "NaN": "NaN", "percent": "%",
		"per-mille": "\u2030", "zero-digit": "0", "digit": "#", "pattern-separator": ";",
	}
	if o, ok := arg(a, 2).(*Object); ok {
		for _, k := range o.keys {
			if s, ok := o.m[k].(string); ok {
				props[k] = s
			}
		}
	}
	zero := []rune(props["zero-digit"])[0]
	var family []string
	for i := 0; i < 10; i++ {
		family = append(family, string(zero+rune(i)))
	}
	isDigit := func(c string) bool {
		for _, d := range family {
			if d == c {
				return true
			}
		}
		return false
	}
	active := append(append([]string{}, family...), props["decimal-separator"], props["exponent-separator"], props["grouping-separator"], props["digit"], props["pattern-separator"])
	isActive := func(c string) bool {
		for _, x := range active {
			if x == c {
				return true
			}
		}
		return false
	}
	subs := strings.Split(picture, props["pattern-separator"])
	if len(subs) > 2 {
		return nil, newErr("D3080", -1, "", "the picture string must only contain a maximum of two sub-pictures")
	}
	type parts struct {
		prefix, suffix, active, mantissa, integer, fraction, sub string
		exponent                                                 *string
	}
	split := func(sub string) parts {
		rs := strings.Split(sub, "")
		prefix, suffix := "", ""
		for i, c := range rs {
			if isActive(c) && c != props["exponent-separator"] {
				prefix = strings.Join(rs[:i], "")
				break
			}
		}
		for i := len(rs) - 1; i >= 0; i-- {
			if isActive(rs[i]) && rs[i] != props["exponent-separator"] {
				suffix = strings.Join(rs[i+1:], "")
				break
			}
		}
		act := sub[len(prefix) : len(sub)-len(suffix)]
		p := parts{prefix: prefix, suffix: suffix, active: act, sub: sub}
		ep := strings.Index(sub[len(prefix):], props["exponent-separator"])
		if ep >= 0 {
			ep += len(prefix)
		}
		if ep == -1 || ep > len(sub)-len(suffix) {
			p.mantissa = act
		} else {
			p.mantissa = act[:ep-len(prefix)]
			e := act[ep-len(prefix)+len(props["exponent-separator"]):]
			p.exponent = &e
		}
		dp := strings.Index(p.mantissa, props["decimal-separator"])
		if dp == -1 {
			p.integer = p.mantissa
			p.fraction = suffix
		} else {
			p.integer = p.mantissa[:dp]
			p.fraction = p.mantissa[dp+len(props["decimal-separator"]):]
		}
		return p
	}
	countIf := func(s string, f func(string) bool) int {
		n := 0
		for _, c := range strings.Split(s, "") {
			if f(c) {
				n++
			}
		}
		return n
	}
	validate := func(p parts) error {
		code := ""
		sub := p.sub
		ds, gs := props["decimal-separator"], props["grouping-separator"]
		if strings.Index(sub, ds) != strings.LastIndex(sub, ds) {
			code = "D3081"
		}
		if strings.Index(sub, props["percent"]) != strings.LastIndex(sub, props["percent"]) {
			code = "D3082"
		}
		if strings.Index(sub, props["per-mille"]) != strings.LastIndex(sub, props["per-mille"]) {
			code = "D3083"
		}
		if strings.Contains(sub, props["percent"]) && strings.Contains(sub, props["per-mille"]) {
			code = "D3084"
		}
		if countIf(p.mantissa, func(c string) bool { return isDigit(c) || c == props["digit"] }) == 0 {
			code = "D3085"
		}
		if countIf(p.active, func(c string) bool { return !isActive(c) }) > 0 {
			code = "D3086"
		}
		if dp := strings.Index(sub, ds); dp != -1 {
			if strings.HasSuffix(sub[:dp], gs) || strings.HasPrefix(sub[dp+len(ds):], gs) {
				code = "D3087"
			}
		} else if strings.HasSuffix(p.integer, gs) {
			code = "D3088"
		}
		if strings.Contains(sub, gs+gs) {
			code = "D3089"
		}
		if op := strings.Index(p.integer, props["digit"]); op != -1 && countIf(p.integer[:op], isDigit) > 0 {
			code = "D3090"
		}
		if op := strings.LastIndex(p.fraction, props["digit"]); op != -1 && countIf(p.fraction[op:], isDigit) > 0 {
			code = "D3091"
		}
		if p.exponent != nil && len(*p.exponent) > 0 && (strings.Contains(sub, props["percent"]) || strings.Contains(sub, props["per-mille"])) {
			code = "D3092"
		}
		if p.exponent != nil && (len(*p.exponent) == 0 || countIf(*p.exponent, func(c string) bool { return !isDigit(c) }) > 0) {
			code = "D3093"
		}
		if code != "" {
			return newErr(code, -1, "", "invalid picture string %q for $formatNumber", picture)
		}
		return nil
	}
	type pic struct {
		intGroups        []int
		regular          int
		minInt, scaling  int
		prefix, suffix   string
		fracGroups       []int
		minFrac, maxFrac int
		minExp           int
		picture          string
	}
	groupPositions := func(part string, toLeft bool, integer string) []int {
		var out []int
		gs := props["grouping-separator"]
		gp := strings.Index(part, gs)
		for gp != -1 {
			var s string
			if toLeft {
				s = part[:gp]
			} else {
				s = part[gp:]
			}
			out = append(out, countIf(s, func(c string) bool { return isDigit(c) || c == props["digit"] }))
			n := strings.Index(integer[min(gp+1, len(integer)):], gs)
			if n == -1 || gp+1 > len(integer) {
				break
			}
			gp = gp + 1 + n
		}
		return out
	}
	analyse := func(p parts) pic {
		r := pic{prefix: p.prefix, suffix: p.suffix, picture: p.sub}
		r.intGroups = groupPositions(p.integer, false, p.integer)
		if len(r.intGroups) > 0 {
			gcd := func(a, b int) int {
				for b != 0 {
					a, b = b, a%b
				}
				return a
			}
			f := r.intGroups[0]
			for _, x := range r.intGroups[1:] {
				f = gcd(f, x)
			}
			r.regular = f
			for i := 1; i <= len(r.intGroups); i++ {
				found := false
				for _, x := range r.intGroups {
					if x == i*f {
						found = true
					}
				}
				if !found {
					r.regular = 0
					break
				}
			}
		}
		r.fracGroups = groupPositions(p.fraction, true, p.integer)
		r.minInt = countIf(p.integer, isDigit)
		r.scaling = r.minInt
		r.minFrac = countIf(p.fraction, isDigit)
		r.maxFrac = countIf(p.fraction, func(c string) bool { return isDigit(c) || c == props["digit"] })
		exp := p.exponent != nil
		if r.minInt == 0 && r.maxFrac == 0 {
			if exp {
				r.minFrac, r.maxFrac = 1, 1
			} else {
				r.minInt = 1
			}
		}
		if exp && r.minInt == 0 && strings.Contains(p.integer, props["digit"]) {
			r.minInt = 1
		}
		if r.minInt == 0 && r.minFrac == 0 {
			r.minFrac = 1
		}
		if exp {
			r.minExp = countIf(*p.exponent, isDigit)
		}
		return r
	}
	var pics []pic
	for _, s := range subs {
		p := split(s)
		if err := validate(p); err != nil {
			return nil, err
		}
		pics = append(pics, analyse(p))
	}
	if len(pics) == 1 {
		neg := pics[0]
		neg.prefix = props["minus-sign"] + neg.prefix
		pics = append(pics, neg)
	}
	pc := pics[0]
	if value < 0 {
		pc = pics[1]
	}
	adjusted := value
	if strings.Contains(pc.picture, props["percent"]) {
		adjusted = value * 100
	} else if strings.Contains(pc.picture, props["per-mille"]) {
		adjusted = value * 1000
	}
	mantissa := adjusted
	exponent := 0
	hasExp := pc.minExp != 0
	if hasExp {
		maxM := math.Pow(10, float64(pc.scaling))
		minM := math.Pow(10, float64(pc.scaling-1))
		for mantissa < minM {
			mantissa *= 10
			exponent--
		}
		for mantissa > maxM {
			mantissa /= 10
			exponent++
		}
	}
	rounded := roundHalfEven(mantissa, pc.maxFrac)
	mk := func(v float64, dp int) string {
		s := strconv.FormatFloat(math.Abs(v), 'f', dp, 64)
		if zero != '0' {
			var b strings.Builder
			for _, c := range s {
				if c >= '0' && c <= '9' {
					b.WriteRune(zero + (c - '0'))
				} else {
					b.WriteRune(c)
				}
			}
			s = b.String()
		}
		return s
	}
	zs := string(zero)
	ds, gs := props["decimal-separator"], props["grouping-separator"]
	sv := mk(rounded, pc.maxFrac)
	if !strings.Contains(sv, ".") {
		sv += ds
	} else {
		sv = strings.Replace(sv, ".", ds, 1)
	}
	sv = strings.TrimLeft(sv, zs)
	sv = strings.TrimRight(sv, zs)
	rs := []rune(sv)
	dsr := []rune(ds)[0]
	idx := func() int {
		for i, c := range rs {
			if c == dsr {
				return i
			}
		}
		return -1
	}
	dp := idx()
	padL := pc.minInt - dp
	padR := pc.minFrac - (len(rs) - dp - 1)
	if padL > 0 {
		rs = append([]rune(strings.Repeat(zs, padL)), rs...)
	}
	if padR > 0 {
		rs = append(rs, []rune(strings.Repeat(zs, padR))...)
	}
	dp = idx()
	gsr := []rune(gs)
	insert := func(at int) {
		rs = append(rs[:at:at], append(append([]rune{}, gsr...), rs[at:]...)...)
	}
	if pc.regular > 0 {
		groups := (dp - 1) / pc.regular
		for g := 1; g <= groups; g++ {
			insert(dp - g*pc.regular)
		}
	} else {
		for _, pos := range pc.intGroups {
			insert(dp - pos)
			dp++
		}
	}
	dp = idx()
	for _, pos := range pc.fracGroups {
		insert(pos + dp + 1)
	}
	dp = idx()
	if !strings.Contains(pc.picture, ds) || dp == len(rs)-1 {
		rs = rs[:len(rs)-1]
	}
	out := string(rs)
	if hasExp {
		se := mk(float64(exponent), 0)
		if n := pc.minExp - len(se); n > 0 {
			se = strings.Repeat(zs, n) + se
		}
		sign := ""
		if exponent < 0 {
			sign = props["minus-sign"]
		}
		out += props["exponent-separator"] + sign + se
	}
	return pc.prefix + out + pc.suffix, nil
}
