// Package jsonata evaluates JSONata 2.0 expressions (the query language
// AWS Step Functions runs for "QueryLanguage": "JSONata"), written for this
// engine and measured against the jsonata-js 2.0.6 test suite.
//
//	e, err := jsonata.Compile(`$sum(Account.Order.Product.(Price * Quantity))`)
//	v, err := e.Eval(jsonata.FromGo(input), &jsonata.Options{Bindings: vars})
//	out, defined := jsonata.ToGo(v)
//
// Values inside the evaluator keep object key order (*Object), tell
// undefined (nil) from null (Null) and use float64 numbers; FromGo, ToGo
// and ParseJSON convert at the edge. Errors are *Error with JSONata's
// error codes.
//
// It owns the language only: path navigation, predicates, sorting,
// grouping, the parent operator, lambdas, partial application, tail
// calls, transforms, regular expressions and the standard function
// library, date/time and integer picture strings included (datetime.go).
// Extra functions (AWS's $partition, $uuid, ...) are given through
// Options.Functions, or made once with NewLibrary; Expr.Refs and
// Options.Lookup let an embedder convert only the data and variables an
// expression reads. Not supported: regular expression features that Go's
// RE2 lacks (lookaround, backreferences), lone UTF-16 surrogates in
// strings, and asynchronous JavaScript functions.
package jsonata
