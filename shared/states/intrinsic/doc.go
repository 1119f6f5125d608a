// Package intrinsic parses and evaluates the intrinsic functions of the Amazon
// States Language (query language JSONPath), such as
// States.Format('{}-{}', $.a, States.UUID()).
//
// It owns the intrinsic syntax, argument checking and the functions
// themselves. It does not decide where intrinsics may appear or how their
// failures surface: the engine (package states) calls Compile at validation
// time for every "Key.$" value for which IsIntrinsic is true, and maps a
// *Failure from Eval to the States.IntrinsicFailure error. Paths inside
// arguments are evaluated with package jsonpath.
//
// # Syntax
//
// An invocation is States.Name(arg, ...). An argument is a string literal in
// single quotes, a JSON number, true, false, null, a Path ($... against the
// state input, $$... against the context object) or a nested invocation. In
// string literals the reserved characters ' { } \ are escaped with a backslash
// (\' \{ \} \\); any other backslash is a syntax error. In the template of
// States.Format an unescaped {} is a placeholder and \{ \} are literal braces.
//
// # Functions and their checks
//
//	States.Format(template, v...)        placeholders {} must equal the number of values
//	States.StringToJson(s)               s must hold exactly one JSON value
//	States.JsonToString(v)               compact JSON; keys sorted unless Env.Encode keeps their order
//	States.Array(v...)                   zero or more values
//	States.ArrayPartition(a, n)          n a positive integer; the last chunk may be shorter
//	States.ArrayContains(a, v)           structural equality
//	States.ArrayRange(start, end, step)  integers, step != 0, at most 1000 items, end inclusive
//	States.ArrayGetItem(a, i)            i an integer index inside a
//	States.ArrayLength(a)
//	States.ArrayUnique(a)                keeps first occurrences, in order
//	States.Base64Encode(s)               s at most 10,000 characters
//	States.Base64Decode(s)               s at most 10,000 characters, valid base64 of UTF-8 text
//	States.Hash(s, alg)                  s at most 10,000 characters; alg MD5, SHA-1, SHA-256, SHA-384 or SHA-512; lower-case hex
//	States.JsonMerge(a, b, false)        shallow merge, b's members win; deep merge (true) is refused, as AWS does
//	States.MathRandom(start, end[, seed]) an integer in [start, end); a seed makes it reproducible
//	States.MathAdd(a, b)                 integer sum
//	States.StringSplit(s, delims)        splits at every character of delims, drops empty parts
//	States.UUID()                        a random version-4 UUID
//
// Checks that need only literals (argument counts, literal types, Format's
// placeholder count, ArrayRange's size, a Hash algorithm name) fail at Compile
// with *SyntaxError; the rest fail at Eval with *Failure.
//
// Numbers produced are json.Number, like the rest of the engine's data.
// MathAdd and MathRandom round non-integer arguments to the nearest integer
// (halves up, as Java's Math.round), as the AWS guide says; the array
// functions require integral values (2.0 is accepted, 2.5 is not).
//
// # Deliberate differences
//
//   - Nesting is limited to 10 levels of invocations (AWS: "up to 10").
//   - A path argument that matches nothing is a *Failure wrapping the
//     *jsonpath.NoMatch (errors.As finds both), so the engine may report it as
//     States.Runtime, as AWS does for missing paths, or as an intrinsic failure.
//   - Format renders an object as {k=v, ...} (sorted keys) and an array as
//     [a, b], as Java's toString does in AWS.
//   - Numbers compare by value in ArrayContains/ArrayUnique (1 equals 1.0).
package intrinsic
