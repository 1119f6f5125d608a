package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Date/time and integer picture strings ($fromMillis, $toMillis, $now,
// $formatInteger, $parseInteger), after the XPath F&O 3.1 format-dateTime
// and format-integer rules, ported from jsonata-js 2.0.6's datetime.js
// so that the results match it, its quirks included (a timezone is
// ±HHMM read as one integer; a parsed 0 counts as "not given" when the
// components are lined up; ISO week dates cannot be parsed).

// ---- integers in words, letters and roman numerals ----

var (
	fewWords     = []string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"}
	ordinalWords = []string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"}
	decadeWords  = []string{"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"}
	magnitudes   = []string{"Thousand", "Million", "Billion", "Trillion"}
)

func numberToWords(value float64, ordinal bool) string {
	var lookup func(num float64, prev, ord bool) string
	lookup = func(num float64, prev, ord bool) string {
		var words string
		switch {
		case num <= 19:
			if prev {
				words = " and "
			}
			if ord {
				words += ordinalWords[int(num)]
			} else {
				words += fewWords[int(num)]
			}
		case num < 100:
			tens, rem := int(num)/10, int(num)%10
			if prev {
				words = " and "
			}
			words += decadeWords[tens-2]
			if rem > 0 {
				words += "-" + lookup(float64(rem), false, ord)
			} else if ord {
				words = words[:len(words)-1] + "ieth"
			}
		case num < 1000:
			hundreds, rem := int(num)/100, int(num)%100
			if prev {
				words = ", "
			}
			words += fewWords[hundreds] + " Hundred"
			if rem > 0 {
				words += lookup(float64(rem), true, ord)
			} else if ord {
				words += "th"
			}
		default:
			mag := int(math.Floor(math.Log10(num) / 3))
			if mag > len(magnitudes) {
				mag = len(magnitudes)
			}
			factor := math.Pow(10, float64(mag*3))
			mant := math.Floor(num / factor)
			rem := num - mant*factor
			if prev {
				words = ", "
			}
			words += lookup(mant, false, false) + " " + magnitudes[mag-1]
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		}
		return words
	}
	return lookup(value, false, ordinal)
}

// wordNames are the words $parseInteger reads, in datetime.js's order
// (the order of the regular expression's alternatives).
var wordNames, wordValues = func() ([]string, map[string]float64) {
	var names []string
	vals := map[string]float64{}
	add := func(w string, v float64) {
		if _, ok := vals[w]; !ok {
			names = append(names, w)
		}
		vals[w] = v
	}
	for i, w := range fewWords {
		add(strings.ToLower(w), float64(i))
	}
	for i, w := range ordinalWords {
		add(strings.ToLower(w), float64(i))
	}
	for i, w := range decadeWords {
		lw := strings.ToLower(w)
		add(lw, float64((i+2)*10))
		add(lw[:len(lw)-1]+"ieth", float64((i+2)*10))
	}
	add("hundredth", 100)
	for i, w := range magnitudes {
		lw := strings.ToLower(w)
		v := math.Pow(10, float64((i+1)*3))
		add(lw, v)
		add(lw+"th", v)
	}
	return names, vals
}()

var wordSplitRE = regexp.MustCompile(`,\s|\sand\s|[\s\\-]`)

func wordsToNumber(text string) float64 {
	segs := []float64{0}
	for _, part := range wordSplitRE.Split(text, -1) {
		value, ok := wordValues[part]
		if !ok {
			value = math.NaN()
		}
		top := segs[len(segs)-1]
		segs = segs[:len(segs)-1]
		if value < 100 {
			if top >= 1000 {
				segs = append(segs, top)
				top = 0
			}
			segs = append(segs, top+value)
		} else {
			segs = append(segs, top*value)
		}
	}
	sum := 0.0
	for _, s := range segs {
		sum += s
	}
	return sum
}

var romanNumerals = []struct {
	v int
	s string
}{{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}}

var romanValues = map[rune]int{'M': 1000, 'D': 500, 'C': 100, 'L': 50, 'X': 10, 'V': 5, 'I': 1}

func decimalToRoman(value int) string {
	var b strings.Builder
	for value > 0 {
		for _, n := range romanNumerals {
			if value >= n.v {
				b.WriteString(n.s)
				value -= n.v
				break
			}
		}
	}
	return b.String()
}

func romanToDecimal(roman string) float64 {
	decimal, max := 0, 1
	r := []rune(roman)
	for i := len(r) - 1; i >= 0; i-- {
		v := romanValues[r[i]]
		if v < max {
			decimal -= v
		} else {
			max = v
			decimal += v
		}
	}
	return float64(decimal)
}

func decimalToLetters(value int, a rune) string {
	var letters []rune
	for value > 0 {
		letters = append([]rune{rune((value-1)%26) + a}, letters...)
		value = (value - 1) / 26
	}
	return string(letters)
}

func lettersToDecimal(letters string, a rune) float64 {
	r := []rune(letters)
	decimal := 0.0
	for i := range r {
		decimal += float64(r[len(r)-i-1]-a+1) * math.Pow(26, float64(i))
	}
	return decimal
}

// ---- integer pictures ----

type numberFormat int

const (
	fmtDecimal numberFormat = iota
	fmtLetters
	fmtRoman
	fmtWords
	fmtSequence
)

type letterCase int

const (
	caseLower letterCase = iota
	caseUpper
	caseTitle
)

type groupSep struct {
	position int
	char     string
}

// intPicture is an analysed integer picture string.
type intPicture struct {
	primary   numberFormat
	lcase     letterCase
	ordinal   bool
	zeroCode  rune
	mandatory int
	optional  int
	regular   bool
	every     groupSep   // regular: one separator every every.position digits
	seps      []groupSep // irregular: right to left
	token     string     // fmtSequence
	n         int        // digits a date component is parsed with (0: any)
}

var decimalGroups = []rune{0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10}

func analyseIntegerPicture(picture string) (*intPicture, error) {
	f := &intPicture{primary: fmtDecimal, lcase: caseLower}
	primary := picture
	if semi := strings.LastIndex(picture, ";"); semi >= 0 {
		primary = picture[:semi]
		if strings.HasPrefix(picture[semi+1:], "o") {
			f.ordinal = true
		}
	}
	switch primary {
	case "A":
		f.lcase, f.primary = caseUpper, fmtLetters
	case "a":
		f.primary = fmtLetters
	case "I":
		f.lcase, f.primary = caseUpper, fmtRoman
	case "i":
		f.primary = fmtRoman
	case "W":
		f.lcase, f.primary = caseUpper, fmtWords
	case "Ww":
		f.lcase, f.primary = caseTitle, fmtWords
	case "w":
		f.primary = fmtWords
	default:
		zero := rune(-1)
		pos := 0
		var seps []groupSep
		cps := []rune(primary)
		for i := len(cps) - 1; i >= 0; i-- {
			cp := cps[i]
			digit := false
			for _, g := range decimalGroups {
				if cp >= g && cp <= g+9 {
					digit = true
					f.mandatory++
					pos++
					if zero < 0 {
						zero = g
					} else if g != zero {
						return nil, newErr("D3131", -1, "", "the picture string mixes digits of different decimal digit families")
					}
					break
				}
			}
			if digit {
				continue
			}
			if cp == '#' {
				pos++
				f.optional++
			} else {
				seps = append(seps, groupSep{position: pos, char: string(cp)})
			}
		}
		if f.mandatory == 0 {
			f.primary, f.token = fmtSequence, primary
			return f, nil
		}
		f.zeroCode = zero
		if every := regularSeparators(seps); every > 0 {
			f.regular, f.every = true, groupSep{position: every, char: seps[0].char}
		} else {
			f.seps = seps
		}
	}
	return f, nil
}

// regularSeparators is the interval of separators that are all the same
// character at equal intervals, else 0.
func regularSeparators(seps []groupSep) int {
	if len(seps) == 0 {
		return 0
	}
	for _, s := range seps[1:] {
		if s.char != seps[0].char {
			return 0
		}
	}
	var gcd func(a, b int) int
	gcd = func(a, b int) int {
		if b == 0 {
			return a
		}
		return gcd(b, a%b)
	}
	factor := seps[0].position
	for _, s := range seps[1:] {
		factor = gcd(factor, s.position)
	}
	for i := 1; i <= len(seps); i++ {
		found := false
		for _, s := range seps {
			found = found || s.position == i*factor
		}
		if !found {
			return 0
		}
	}
	return factor
}

func formatIntegerPicture(value float64, f *intPicture) (string, error) {
	negative := value < 0
	value = math.Abs(value)
	var s string
	switch f.primary {
	case fmtLetters:
		a := 'a'
		if f.lcase == caseUpper {
			a = 'A'
		}
		s = decimalToLetters(int(value), a)
	case fmtRoman:
		s = decimalToRoman(int(value))
		if f.lcase == caseUpper {
			s = strings.ToUpper(s)
		}
	case fmtWords:
		s = numberToWords(value, f.ordinal)
		switch f.lcase {
		case caseUpper:
			s = strings.ToUpper(s)
		case caseLower:
			s = strings.ToLower(s)
		}
	case fmtDecimal:
		r := []rune(formatNumber(value))
		if pad := f.mandatory - len(r); pad > 0 {
			r = append([]rune(strings.Repeat("0", pad)), r...)
		}
		if f.zeroCode != '0' {
			for i := range r {
				r[i] += f.zeroCode - '0'
			}
		}
		insert := func(pos int, sep string) {
			if pos < 0 || pos > len(r) {
				return
			}
			r = append(r[:pos:pos], append([]rune(sep), r[pos:]...)...)
		}
		if f.regular {
			for i := (len(r) - 1) / f.every.position; i > 0; i-- {
				insert(len(r)-i*f.every.position, f.every.char)
			}
		} else {
			for i := len(f.seps) - 1; i >= 0; i-- {
				insert(len(r)-f.seps[i].position, f.seps[i].char)
			}
		}
		s = string(r)
		if f.ordinal {
			suffix := "th"
			switch {
			case len(r) > 1 && r[len(r)-2] == '1':
			case r[len(r)-1] == '1':
				suffix = "st"
			case r[len(r)-1] == '2':
				suffix = "nd"
			case r[len(r)-1] == '3':
				suffix = "rd"
			}
			s += suffix
		}
	case fmtSequence:
		return "", newErr("D3130", -1, "", "formatting or parsing an integer as a sequence starting with %q is not supported by this implementation", f.token)
	}
	if negative {
		s = "-" + s
	}
	return s, nil
}

func fnFormatInteger(_ *call, a []any) (any, error) {
	v, ok := arg(a, 0).(float64)
	if !ok {
		return nil, nil
	}
	pic, _ := arg(a, 1).(string)
	f, err := analyseIntegerPicture(pic)
	if err != nil {
		return nil, err
	}
	s, err := formatIntegerPicture(math.Floor(v), f)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func fnParseInteger(_ *call, a []any) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return nil, nil
	}
	pic, _ := arg(a, 1).(string)
	f, err := analyseIntegerPicture(pic)
	if err != nil {
		return nil, err
	}
	m, err := integerMatcher(f)
	if err != nil {
		return nil, err
	}
	return m.parse(s), nil
}

// ---- date/time pictures ----

// dtPart is a literal or a variable marker of a date/time picture.
type dtPart struct {
	literal   string
	isLiteral bool

	component      byte
	pres1, pres2   string
	names          letterCase
	hasNames       bool
	intFmt         *intPicture
	minW, maxW     int // -1: not given
	n              int // digits of a Y, M or D component (-1: all)
	hasWidthMarker bool
}

var defaultPresentation = map[byte]string{
	'Y': "1", 'M': "1", 'D': "1", 'd': "1", 'F': "n", 'W': "1", 'w': "1", 'X': "1", 'x': "1", 'H': "1", 'h': "1",
	'P': "n", 'm': "01", 's': "01", 'f': "1", 'Z': "01:01", 'z': "01:01", 'C': "n", 'E': "n",
}

var spaceRE = regexp.MustCompile(`\s+`)

// jsParseInt is JavaScript's parseInt(s) for a width: the leading
// (signed) digits, ok false when there are none.
func jsParseInt(s string) (int, bool) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false
	}
	n, err := strconv.Atoi(s[:j])
	return n, err == nil
}

func analyseDateTimePicture(picture string) ([]dtPart, error) {
	var parts []dtPart
	addLiteral := func(start, end int) {
		if end > start {
			parts = append(parts, dtPart{isLiteral: true, literal: strings.ReplaceAll(picture[start:end], "]]", "]")})
		}
	}
	start, pos := 0, 0
	for pos < len(picture) {
		if picture[pos] != '[' {
			pos++
			continue
		}
		if pos+1 < len(picture) && picture[pos+1] == '[' {
			addLiteral(start, pos)
			parts = append(parts, dtPart{isLiteral: true, literal: "["})
			pos += 2
			start = pos
			continue
		}
		addLiteral(start, pos)
		start = pos
		end := strings.IndexByte(picture[start:], ']')
		if end < 0 {
			return nil, newErr("D3135", -1, "", "the picture string has a [ without its closing ]")
		}
		pos = start + end
		marker := spaceRE.ReplaceAllString(picture[start+1:pos], "")
		p := dtPart{minW: -1, maxW: -1, n: -1}
		if marker != "" {
			p.component = marker[0]
		}
		var pres string
		if comma := strings.LastIndex(marker, ","); comma >= 0 {
			p.hasWidthMarker = true
			w := marker[comma+1:]
			minS, maxS, hasMax := w, "", false
			if dash := strings.Index(w, "-"); dash >= 0 {
				minS, maxS, hasMax = w[:dash], w[dash+1:], true
			}
			if minS != "*" {
				if n, ok := jsParseInt(minS); ok {
					p.minW = n
				}
			}
			if hasMax && maxS != "*" {
				if n, ok := jsParseInt(maxS); ok {
					p.maxW = n
				}
			}
			if len(marker) > 0 {
				pres = marker[1:comma]
			}
		} else if len(marker) > 0 {
			pres = marker[1:]
		}
		switch {
		case len(pres) == 1:
			p.pres1 = pres
		case len(pres) > 1:
			last := pres[len(pres)-1]
			if strings.IndexByte("atco", last) >= 0 {
				p.pres2 = string(last)
				p.pres1 = pres[:len(pres)-1]
			} else {
				p.pres1 = pres
			}
		default:
			d, ok := defaultPresentation[p.component]
			if !ok {
				return nil, newErr("D3132", -1, "", "unknown component specifier %q in the date/time picture string", string(p.component))
			}
			p.pres1 = d
		}
		switch {
		case strings.HasPrefix(p.pres1, "n"):
			p.hasNames, p.names = true, caseLower
		case strings.HasPrefix(p.pres1, "N"):
			p.hasNames, p.names = true, caseUpper
			if len(p.pres1) > 1 && p.pres1[1] == 'n' {
				p.names = caseTitle
			}
		case strings.IndexByte("YMDdFWwXxHhmsf", p.component) >= 0 && p.component != 0:
			pattern := p.pres1
			if p.pres2 != "" {
				pattern += ";" + p.pres2
			}
			f, err := analyseIntegerPicture(pattern)
			if err != nil {
				return nil, err
			}
			p.intFmt = f
			if p.minW >= 0 && f.mandatory < p.minW {
				f.mandatory = p.minW
			}
			if strings.IndexByte("YMD", p.component) >= 0 {
				if p.maxW >= 0 {
					p.n = p.maxW
					f.mandatory = p.n
				} else if w := f.mandatory + f.optional; w >= 2 {
					p.n = w
				}
			}
		}
		if p.component == 'Z' || p.component == 'z' {
			f, err := analyseIntegerPicture(p.pres1)
			if err != nil {
				return nil, err
			}
			p.intFmt = f
		}
		parts = append(parts, p)
		start = pos + 1
		pos++
	}
	addLiteral(start, pos)
	return parts, nil
}

var (
	dayNames   = []string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

const millisInADay = 86400000

// dateUTC is JavaScript's Date.UTC: a year from 0 to 99 is 1900 + year.
func dateUTC(y, mo, d, h, mi, s, ms float64) float64 {
	for _, v := range []float64{y, mo, d, h, mi, s, ms} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.NaN()
		}
	}
	y, mo, d, h, mi, s, ms = math.Trunc(y), math.Trunc(mo), math.Trunc(d), math.Trunc(h), math.Trunc(mi), math.Trunc(s), math.Trunc(ms)
	if y >= 0 && y <= 99 {
		y += 1900
	}
	t := time.Date(int(y), time.Month(int(mo)+1), 1, 0, 0, 0, 0, time.UTC)
	return float64(t.UnixMilli()) + (d-1)*millisInADay + h*3600000 + mi*60000 + s*1000 + ms
}

type yearMonth struct{ year, month int }

func (ym yearMonth) next() yearMonth {
	if ym.month == 11 {
		return yearMonth{ym.year + 1, 0}
	}
	return yearMonth{ym.year, ym.month + 1}
}

func (ym yearMonth) previous() yearMonth {
	if ym.month == 0 {
		return yearMonth{ym.year - 1, 11}
	}
	return yearMonth{ym.year, ym.month - 1}
}

// startOfFirstWeek is the millis of the Monday that starts the month's (or
// year's, for month 0) first ISO week: the one with its first Thursday.
func startOfFirstWeek(ym yearMonth) float64 {
	first := dateUTC(float64(ym.year), float64(ym.month), 1, 0, 0, 0, 0)
	day := int(time.UnixMilli(int64(first)).UTC().Weekday())
	if day == 0 {
		day = 7
	}
	if day > 4 {
		return first + float64(8-day)*millisInADay
	}
	return first - float64(day-1)*millisInADay
}

func deltaWeeks(start, end float64) float64 { return (end-start)/(millisInADay*7) + 1 }

// dateFragment is one component of t (a UTC time): a number, or a string
// for P, C and E; nil for Z and z.
func dateFragment(t time.Time, component byte) any {
	millis := float64(t.UnixMilli())
	y, mo, d := t.Year(), int(t.Month())-1, t.Day()
	today := dateUTC(float64(y), float64(mo), float64(d), 0, 0, 0, 0)
	switch component {
	case 'Y':
		return float64(y)
	case 'M':
		return float64(mo + 1)
	case 'D':
		return float64(d)
	case 'd':
		return (today-dateUTC(float64(y), 0, 1, 0, 0, 0, 0))/millisInADay + 1
	case 'F':
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		return float64(wd)
	case 'W':
		this := yearMonth{y, 0}
		week := deltaWeeks(startOfFirstWeek(this), today)
		if week > 52 {
			if today >= startOfFirstWeek(yearMonth{y + 1, 0}) {
				week = 1
			}
		} else if week < 1 {
			week = deltaWeeks(startOfFirstWeek(yearMonth{y - 1, 0}), today)
		}
		return math.Floor(week)
	case 'w':
		this := yearMonth{y, mo}
		week := deltaWeeks(startOfFirstWeek(this), today)
		if week > 4 {
			if today >= startOfFirstWeek(this.next()) {
				week = 1
			}
		} else if week < 1 {
			week = deltaWeeks(startOfFirstWeek(this.previous()), today)
		}
		return math.Floor(week)
	case 'X':
		switch {
		case millis < startOfFirstWeek(yearMonth{y, 0}):
			return float64(y - 1)
		case millis >= startOfFirstWeek(yearMonth{y + 1, 0}):
			return float64(y + 1)
		}
		return float64(y)
	case 'x':
		this := yearMonth{y, mo}
		switch {
		case millis < startOfFirstWeek(this):
			return float64(this.previous().month + 1)
		case millis >= startOfFirstWeek(this.next()):
			return float64(this.next().month + 1)
		}
		return float64(mo + 1)
	case 'H':
		return float64(t.Hour())
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return float64(h)
	case 'P':
		if t.Hour() >= 12 {
			return "pm"
		}
		return "am"
	case 'm':
		return float64(t.Minute())
	case 's':
		return float64(t.Second())
	case 'f':
		return float64(t.Nanosecond() / 1e6)
	case 'C', 'E':
		return "ISO"
	}
	return nil
}

const iso8601Picture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"

// formatDateTime is $fromMillis: millis in the picture (ISO 8601 when
// nil) at the timezone ±HHMM (UTC when nil).
func formatDateTime(millis float64, picture, timezone *string) (string, error) {
	offH, offM := 0, 0
	if timezone != nil {
		if off, ok := jsParseInt(*timezone); ok {
			offH = int(math.Floor(float64(off) / 100))
			offM = off % 100
		}
	}
	pic := iso8601Picture
	if picture != nil {
		pic = *picture
	}
	parts, err := analyseDateTimePicture(pic)
	if err != nil {
		return "", err
	}
	shifted := math.Trunc(millis) + float64((60*offH+offM)*60000)
	t := time.UnixMilli(int64(shifted)).UTC()
	var b strings.Builder
	for i := range parts {
		p := &parts[i]
		if p.isLiteral {
			b.WriteString(p.literal)
			continue
		}
		s, err := formatComponent(t, p, offH, offM)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func formatComponent(t time.Time, p *dtPart, offH, offM int) (string, error) {
	v := dateFragment(t, p.component)
	switch {
	case strings.IndexByte("YMDdFWwXxHhms", p.component) >= 0:
		n, _ := v.(float64)
		if p.component == 'Y' && p.n != -1 {
			n = math.Mod(n, math.Pow(10, float64(p.n)))
		}
		if !p.hasNames {
			return formatIntegerPicture(n, p.intFmt)
		}
		var name string
		switch p.component {
		case 'M', 'x':
			name = monthNames[int(n)-1]
		case 'F':
			name = dayNames[int(n)]
		default:
			return "", newErr("D3133", -1, "", "the component %q of a date/time picture string cannot be written as a name", string(p.component))
		}
		switch p.names {
		case caseUpper:
			name = strings.ToUpper(name)
		case caseLower:
			name = strings.ToLower(name)
		}
		if p.maxW >= 0 && len(name) > p.maxW {
			name = name[:p.maxW]
		}
		return name, nil
	case p.component == 'f':
		return formatIntegerPicture(v.(float64), p.intFmt)
	case p.component == 'Z' || p.component == 'z':
		offset := offH*100 + offM
		var s string
		var err error
		if p.intFmt.regular {
			s, err = formatIntegerPicture(float64(offset), p.intFmt)
		} else {
			switch digits := p.intFmt.mandatory; digits {
			case 1, 2:
				s, err = formatIntegerPicture(float64(offH), p.intFmt)
				if offM != 0 {
					m, _ := formatIntegerPicture(float64(offM), &intPicture{primary: fmtDecimal, zeroCode: '0', mandatory: 2})
					s += ":" + m
				}
			case 3, 4:
				s, err = formatIntegerPicture(float64(offset), p.intFmt)
			default:
				return "", newErr("D3134", -1, "", "a timezone picture has %d digits: it needs 1 to 4", digits)
			}
		}
		if err != nil {
			return "", err
		}
		if offset >= 0 {
			s = "+" + s
		}
		if p.component == 'z' {
			s = "GMT" + s
		}
		if offset == 0 && p.pres2 == "t" {
			s = "Z"
		}
		return s, nil
	case p.component == 'P':
		s, _ := v.(string)
		if p.hasNames && p.names == caseUpper {
			s = strings.ToUpper(s)
		}
		return s, nil
	}
	s, _ := v.(string)
	return s, nil
}

// ---- parsing ----

// pictureMatcher reads one part of a picture: its regular expression and how to
// turn what it matched into a number (nil parse: a literal).
type pictureMatcher struct {
	regex     string
	parse     func(string) any // float64 or nil (undefined)
	component byte
}

func integerMatcher(f *intPicture) (pictureMatcher, error) {
	var m pictureMatcher
	upper := f.lcase == caseUpper
	occurrences := "+"
	if f.n > 0 {
		if f.optional == 0 {
			occurrences = "{" + strconv.Itoa(f.n) + "}"
		} else {
			occurrences = "{" + strconv.Itoa(f.n-f.optional) + "," + strconv.Itoa(f.n) + "}"
		}
	}
	switch f.primary {
	case fmtLetters:
		a := 'a'
		m.regex = "[a-z]+"
		if upper {
			a, m.regex = 'A', "[A-Z]+"
		}
		m.parse = func(s string) any { return lettersToDecimal(s, a) }
	case fmtRoman:
		m.regex = "[mdclxvi]+"
		if upper {
			m.regex = "[MDCLXVI]+"
		}
		m.parse = func(s string) any {
			if !upper {
				s = strings.ToUpper(s)
			}
			return romanToDecimal(s)
		}
	case fmtWords:
		m.regex = "(?:" + strings.Join(append(append([]string(nil), wordNames...), "and", `[\-, ]`), "|") + ")+"
		m.parse = func(s string) any { return wordsToNumber(strings.ToLower(s)) }
	case fmtDecimal:
		m.regex = "[0-9]" + occurrences
		if f.ordinal {
			m.regex += "(?:th|st|nd|rd)"
		}
		m.parse = func(s string) any {
			digits := s
			if f.ordinal && len(digits) >= 2 {
				digits = digits[:len(digits)-2]
			}
			if f.regular {
				digits = strings.ReplaceAll(digits, ",", "")
			} else {
				for _, sep := range f.seps {
					digits = strings.ReplaceAll(digits, sep.char, "")
				}
			}
			if f.zeroCode != '0' {
				r := []rune(digits)
				for i := range r {
					r[i] = r[i] - f.zeroCode + '0'
				}
				digits = string(r)
			}
			n, ok := jsParseInt(digits)
			if !ok {
				return math.NaN()
			}
			return float64(n)
		}
	case fmtSequence:
		return m, newErr("D3130", -1, "", "formatting or parsing an integer as a sequence starting with %q is not supported by this implementation", f.token)
	}
	return m, nil
}

func dateTimeMatchers(parts []dtPart) ([]pictureMatcher, error) {
	out := make([]pictureMatcher, 0, len(parts))
	for i := range parts {
		p := &parts[i]
		var m pictureMatcher
		switch {
		case p.isLiteral:
			m.regex = regexp.QuoteMeta(p.literal)
		case p.component == 'Z' || p.component == 'z':
			sep := ""
			if p.intFmt.regular {
				sep = p.intFmt.every.char
			}
			if p.component == 'z' {
				m.regex = "GMT"
			}
			m.regex += "[-+][0-9]+"
			if sep != "" {
				m.regex += regexp.QuoteMeta(sep) + "[0-9]+"
			}
			z := p.component
			m.parse = func(v string) any {
				if z == 'z' && len(v) >= 3 {
					v = v[3:]
				}
				var h, mi int
				if sep != "" {
					j := strings.Index(v, sep)
					h, _ = jsParseInt(v[:j])
					mi, _ = jsParseInt(v[j+len(sep):])
				} else if len(v)-1 <= 2 {
					h, _ = jsParseInt(v)
				} else {
					h, _ = jsParseInt(v[:3])
					mi, _ = jsParseInt(v[3:])
				}
				return float64(h*60 + mi)
			}
		case p.intFmt != nil:
			p.intFmt.n = p.n
			var err error
			if m, err = integerMatcher(p.intFmt); err != nil {
				return nil, err
			}
		default:
			m.regex = "[a-zA-Z]+"
			lookup := map[string]float64{}
			cut := func(name string) string {
				if p.maxW > 0 && len(name) > p.maxW {
					return name[:p.maxW]
				}
				return name
			}
			switch p.component {
			case 'M', 'x':
				for i, name := range monthNames {
					lookup[cut(name)] = float64(i + 1)
				}
			case 'F':
				for i, name := range dayNames[1:] {
					lookup[cut(name)] = float64(i + 1)
				}
			case 'P':
				lookup = map[string]float64{"am": 0, "AM": 0, "pm": 1, "PM": 1}
			default:
				return nil, newErr("D3133", -1, "", "the component %q of a date/time picture string cannot be read as a name", string(p.component))
			}
			m.parse = func(v string) any {
				if n, ok := lookup[v]; ok {
					return n
				}
				return nil
			}
		}
		m.component = p.component
		out = append(out, m)
	}
	return out, nil
}

// parseDateTime is $toMillis with a picture: nil (undefined) when the
// timestamp does not match it.
func parseDateTime(timestamp, picture string, now time.Time) (any, error) {
	parts, err := analyseDateTimePicture(picture)
	if err != nil {
		return nil, err
	}
	ms, err := dateTimeMatchers(parts)
	if err != nil {
		return nil, err
	}
	var re strings.Builder
	re.WriteString("(?i)^")
	for _, m := range ms {
		re.WriteString("(" + m.regex + ")")
	}
	re.WriteString("$")
	rx, err := regexp.Compile(re.String())
	if err != nil {
		return nil, newErr("D3136", -1, "", "the date/time picture string cannot be read: %v", err)
	}
	info := rx.FindStringSubmatch(timestamp)
	if info == nil {
		return nil, nil
	}
	// A component is present when a marker read it, defined when that gave
	// a number, and "given" (truthy, in datetime.js) when the number is not 0.
	type comp struct {
		v       float64
		defined bool
	}
	comps := map[byte]*comp{}
	for i, m := range ms {
		if m.parse == nil {
			continue
		}
		c := &comp{}
		if n, ok := m.parse(info[i+1]).(float64); ok {
			c.v, c.defined = n, true
		}
		comps[m.component] = c
	}
	if len(comps) == 0 {
		return nil, nil
	}
	given := func(k byte) bool {
		c := comps[k]
		return c != nil && c.defined && c.v != 0 && !math.IsNaN(c.v)
	}
	maskOf := func(order string) int {
		mask := 0
		for i := 0; i < len(order); i++ {
			mask <<= 1
			if given(order[i]) {
				mask++
			}
		}
		return mask
	}
	isType := func(typ, mask int) bool { return ^typ&mask == 0 && typ&mask != 0 }
	const (
		dmA, dmB, dmC, dmD = 161, 130, 84, 72
		tmA, tmB           = 23, 47
	)
	dm := maskOf("YXMxWwdD")
	dateA := isType(dmA, dm)
	dateB := !dateA && isType(dmB, dm)
	dateC := isType(dmC, dm)
	dateD := !dateC && isType(dmD, dm)
	tm := maskOf("PHhmsf")
	timeA := isType(tmA, tm)
	timeB := !timeA && isType(tmB, tm)
	dateComps := "YMD"
	switch {
	case dateB:
		dateComps = "YD"
	case dateC:
		dateComps = "XxwF"
	case dateD:
		dateComps = "XWF"
	}
	timeComps := "Hmsf"
	if timeB {
		timeComps = "Phmsf"
	}
	order := dateComps + timeComps
	nowUTC := now.UTC()
	startSpecified, endSpecified := false, false
	for i := 0; i < len(order); i++ {
		k := order[i]
		c := comps[k]
		if c == nil || !c.defined {
			if startSpecified {
				v := 0.0
				if strings.IndexByte("MDd", k) >= 0 {
					v = 1
				}
				comps[k] = &comp{v: v, defined: true}
				endSpecified = true
			} else {
				n, _ := dateFragment(nowUTC, k).(float64) // P from $now is am/pm: never 1 below
				comps[k] = &comp{v: n, defined: true}
			}
			continue
		}
		startSpecified = true
		if endSpecified {
			return nil, newErr("D3136", -1, "", "the date/time picture string leaves a gap between the components it gives")
		}
	}
	val := func(k byte) float64 {
		if c := comps[k]; c != nil && c.defined {
			return c.v
		}
		return math.NaN()
	}
	month := 0.0
	if val('M') > 0 {
		month = val('M') - 1
	}
	day := val('D')
	if dateB {
		derived := time.UnixMilli(int64(dateUTC(val('Y'), 0, 1, 0, 0, 0, 0) + (val('d')-1)*millisInADay)).UTC()
		month, day = float64(int(derived.Month())-1), float64(derived.Day())
	}
	if dateC || dateD {
		return nil, newErr("D3136", -1, "", "reading an ISO week date is not supported")
	}
	hour := val('H')
	if timeB {
		hour = val('h')
		if hour == 12 {
			hour = 0
		}
		if val('P') == 1 {
			hour += 12
		}
	}
	millis := dateUTC(val('Y'), month, day, hour, val('m'), val('s'), val('f'))
	for _, z := range []byte{'Z', 'z'} {
		if given(z) {
			millis -= val(z) * 60000
			break
		}
	}
	if math.IsNaN(millis) {
		return nil, nil
	}
	return millis, nil
}

// ---- the functions ----

// isoRE is datetime.js's test of an ISO 8601 timestamp for $toMillis
// without a picture.
var isoRE = regexp.MustCompile(`^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$`)

var isoPartsRE = regexp.MustCompile(`^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2}):(\d{2}))?(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$`)

func fnToMillis(c *call, a []any) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return nil, nil
	}
	if pic, ok := arg(a, 1).(string); ok {
		return parseDateTime(s, pic, c.env.st.now)
	}
	m := isoPartsRE.FindStringSubmatch(s)
	if !isoRE.MatchString(s) || m == nil {
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
		ms, _ = strconv.Atoi((m[7] + "000")[:3])
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
	var pic, tz *string
	if s, ok := arg(a, 1).(string); ok {
		pic = &s
	}
	if s, ok := arg(a, 2).(string); ok {
		tz = &s
	}
	s, err := formatDateTime(v, pic, tz)
	if err != nil {
		return nil, err
	}
	return s, nil
}
