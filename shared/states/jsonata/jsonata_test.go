package jsonata

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const orders = `{"Account": {"Name": "Firefly", "Order": [
  {"OrderID": "o1", "Product": [{"Name": "Hat", "Price": 34.45, "Quantity": 2}, {"Name": "Scarf", "Price": 21.67, "Quantity": 1}]},
  {"OrderID": "o2", "Product": [{"Name": "Hat", "Price": 34.45, "Quantity": 4}, {"Name": "Cloak", "Price": 107.99, "Quantity": 1}]}
]}}`

func TestEval(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{`Account.Name`, `"Firefly"`},
		{`Account.Order[0].OrderID`, `"o1"`},
		{`Account.Order.Product.Name`, `["Hat","Scarf","Hat","Cloak"]`},
		{`Account.Order[1].Product[Price > 50].Name`, `"Cloak"`},
		{`Account.Order.Product[0].Name`, `["Hat","Hat"]`},
		{`(Account.Order.Product)[0].Name`, `"Hat"`},
		{`Account.Order.Product.Name[]`, `["Hat","Scarf","Hat","Cloak"]`},
		{`$sum(Account.Order.Product.(Price * Quantity))`, `336.36`},
		{`Account.Order.Product{Name: $sum(Quantity)}`, `{"Hat":6,"Scarf":1,"Cloak":1}`},
		{`Account.Order.Product^(>Price, Name).Name`, `["Cloak","Hat","Hat","Scarf"]`},
		{`Account.Order.Product.{"order": %.OrderID, "name": Name}[0]`, `{"order":"o1","name":"Hat"}`},
		{`Account.Order#$i.Product[Name="Cloak"].{"at": $i}`, `{"at":1}`},
		{`Account.Order@$o.$o.Product@$p.($p.Name & "/" & $o.OrderID)`, `["Hat/o1","Scarf/o1","Hat/o2","Cloak/o2"]`},
		{`**.Price ~> $max()`, `107.99`},
		{`$map([1,2,3], function($v, $i) { $v * $i })`, `[0,2,6]`},
		{`$reduce([1,2,3,4], function($a, $b) { $a + $b }, 10)`, `20`},
		{`($f := function($n) { $n <= 1 ? 1 : $n * $f($n - 1) }; $f(10))`, `3628800`},
		{`($add := function($a, $b) { $a + $b }; $inc := $add(?, 1); $inc(41))`, `42`},
		{`$substring("Hello World", 3, 5) ~> $uppercase()`, `"LO WO"`},
		{`$replace("2024-11-21", /(\d+)-(\d+)-(\d+)/, "$3/$2/$1")`, `"21/11/2024"`},
		{`$match("ab12cd345", /\d+/).match`, `["12","345"]`},
		{`$split("a,b,,c", ",")`, `["a","b","","c"]`},
		{`$formatNumber(1234.5678, "#,##0.00")`, `"1,234.57"`},
		{`$string({"b": 1, "a": [true, null]})`, `"{\"b\":1,\"a\":[true,null]}"`},
		{`$keys({"z": 1, "a": 2})`, `["z","a"]`},
		{`Account ~> |Order.Product|{"Price": Price * 2}, ["Quantity"]| ~> $count()`, `1`},
		{`[1..5][$ % 2 = 1]`, `[1,3,5]`},
		{`$type(null) & $type(1) & $type("") & $type({}) & $type([]) & $type(function(){1})`, `"nullnumberstringobjectarrayfunction"`},
		{`"x" in ["a", "x"] and $not(false) ? "yes" : "no"`, `"yes"`},
		{`$toMillis("2024-11-21T10:00:00.000Z")`, `1732183200000`},
		{`$fromMillis(1732183200000)`, `"2024-11-21T10:00:00.000Z"`},
		{`$round(2.5) + $round(3.5) + $round(-0.5)`, `6`},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			in, err := ParseJSON([]byte(orders))
			require.NoError(t, err)
			e, err := Compile(tc.expr)
			require.NoError(t, err)
			got, err := e.Eval(in, nil)
			require.NoError(t, err)
			require.NotNil(t, got, "undefined result")
			assert.Equal(t, tc.want, stringValue(got, false))
		})
	}
}

// Picture strings, on cases of the jsonata-js suite.
func TestPictures(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{`$fromMillis(1521801216617, '[FNn], [D1o] [MNn] [Y]')`, `"Friday, 23rd March 2018"`},
		{`$fromMillis(1521801216617, '[FNn], the [Dwo] of [MNn] [Y] [E]')`, `"Friday, the twenty-third of March 2018 ISO"`},
		{`$fromMillis(1521801216617, '[h]:[m01] [PN] [z]', '-0500')`, `"5:33 AM GMT-05:00"`},
		{`$fromMillis(1521801216617, '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01][Z]', '+0530')`, `"2018-03-23T16:03:36+05:30"`},
		{`$fromMillis(1521801216617, 'Week [W] of [X], day [d]')`, `"Week 12 of 2018, day 82"`},
		{`$toMillis('27th April 2008', '[D1o] [MNn] [Y0001]')`, `1209254400000`},
		{`$toMillis('4/4/2018 12:06 am', '[D1]/[M1]/[Y0001] [h]:[m] [P]')`, `1522800360000`},
		{`$toMillis('2018-094', '[Y0001]-[d001]')`, `1522800000000`},
		{`$formatInteger(1234567, '#,##0')`, `"1,234,567"`},
		{`$formatInteger(2024, 'I') & " " & $formatInteger(28, 'a') & " " & $formatInteger(11, '1;o')`, `"MMXXIV ab 11th"`},
		{`$formatInteger(123, 'w')`, `"one hundred and twenty-three"`},
		{`$parseInteger('one thousand, nine hundred and eighty-four', 'w')`, `1984`},
		{`$parseInteger('MCMLXXXIV', 'I') + $parseInteger('12,345', '#,##0')`, `14329`},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Compile(tc.expr)
			require.NoError(t, err)
			got, err := e.Eval(nil, nil)
			require.NoError(t, err)
			require.NotNil(t, got, "undefined result")
			assert.Equal(t, tc.want, stringValue(got, false))
		})
	}
	for _, tc := range []struct{ expr, code string }{
		{`$fromMillis(0, '[Y')`, "D3135"},
		{`$fromMillis(0, '[Q]')`, "D3132"},
		{`$fromMillis(0, '[YN]')`, "D3133"},
		{`$formatInteger(1, '١0')`, "D3131"},
		{`$formatInteger(1, 'α')`, "D3130"},
		{`$toMillis('2018 10', '[Y] [m]')`, "D3136"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Compile(tc.expr)
			require.NoError(t, err)
			_, err = e.Eval(nil, nil)
			var je *Error
			require.ErrorAs(t, err, &je)
			assert.Equal(t, tc.code, je.Code)
		})
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ expr, code string }{
		{`"unterminated`, "S0101"},
		{`Account.(`, "S0203"},
		{`1 + "a"`, "T2002"},
		{`$undefinedFn(1)`, "T1006"},
		{`$substring("a", "b")`, "T0410"},
		{`{"a": 1, "a": 2}`, "D1009"},
		{`$error("boom")`, "D3137"},
		{`1 < "a"`, "T2009"},
		{`($f := function($n) { $f($n + 1) + 1 }; $f(0))`, "U1001"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Compile(tc.expr)
			if err == nil {
				_, err = e.Eval(nil, nil)
			}
			var je *Error
			require.ErrorAs(t, err, &je)
			assert.Equal(t, tc.code, je.Code)
		})
	}
}

func TestUndefinedAndNull(t *testing.T) {
	e, err := Compile(`missing`)
	require.NoError(t, err)
	v, err := e.Eval(FromGo(map[string]any{"a": 1}), nil)
	require.NoError(t, err)
	assert.Nil(t, v)
	_, defined := ToGo(v)
	assert.False(t, defined)

	e, err = Compile(`a`)
	require.NoError(t, err)
	v, err = e.Eval(FromGo(map[string]any{"a": nil}), nil)
	require.NoError(t, err)
	g, defined := ToGo(v)
	assert.True(t, defined)
	assert.Nil(t, g)
}

func TestFunctionsOption(t *testing.T) {
	e, err := Compile(`$double(21)`)
	require.NoError(t, err)
	v, err := e.Eval(nil, &Options{Functions: map[string]Function{
		"double": {Signature: "<n:n>", Arity: 1, Fn: func(a []any) (any, error) { return a[0].(float64) * 2, nil }},
	}})
	require.NoError(t, err)
	assert.Equal(t, 42.0, v)
}
