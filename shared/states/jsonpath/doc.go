// Package jsonpath evaluates the Paths and Reference Paths of the Amazon States
// Language (query language JSONPath) against JSON data decoded into Go values,
// and places results at Reference Paths (ResultPath semantics).
//
// It owns path syntax, path evaluation and ResultPath placement. It does not own
// the States Language itself (InputPath/Parameters/ResultSelector processing,
// "Key.$" fields, Choice rules): that is the engine's job (package states), and
// intrinsic functions live in package intrinsic.
//
// # Data model
//
// Data is what encoding/json produces when decoding into any, preferably with
// Decoder.UseNumber: map[string]any, []any, string, bool, nil, and numbers as
// json.Number (float64, int, int64 and the other Go number types are accepted
// too). Results share structure with the input: Get returns the nodes of data
// themselves, and Set copies only the objects and arrays on the path it writes,
// so callers must treat data and results as immutable.
//
// # Syntax
//
// AWS Step Functions evaluates paths with Jayway JsonPath; this package follows
// its behaviour where it matters to workflows:
//
//	$                  the whole input ($$ for the context object)
//	$.a.b  $.a-b       member names in dot notation (any character except . [ ] ( ) ' " \ * , ? @ and white space)
//	$['a b']  $["a"]   quoted member names; $.['a'] (dot then bracket) as AWS's documentation writes it
//	$[0]  $[-1]        array index, negative counts from the end
//	$.*  $[*]          all members of an object (in key order) or all elements of an array
//	$['a','b']         several members; as the last step it yields one object holding those members (as Jayway)
//	$[0,2]             several indexes
//	$[1:3]  $[-2:]  $[::2]   slices [start:end:step] (step is an RFC 9535 extension; Jayway has none)
//	$..a  $..*  $..[0] deep scan
//	$[?(@.x > 1)]      filters: == != < <= > >= =~ /re/i, in nin subsetof anyof noneof size empty,
//	                   && || ! and parentheses; operands @-paths, $-paths, numbers, 'strings', "strings",
//	                   true false null and [literal, ...] lists; a bare @.x tests existence
//
// A definite path (only member names and single indexes) returns one value, or
// a *NoMatch error when nothing is there. Any other path returns a []any of
// every match, which is empty (not an error) when nothing matches, as AWS does.
// Under wildcards, filters and deep scans, missing members are skipped.
//
// A Reference Path (ResultPath and the other *Path fields that name a single
// node) may contain only member names and single indexes.
//
// # Deliberately not supported
//
//   - Jayway path functions such as length(), min(), keys(): AWS rejects them too.
//   - Filter expressions with arithmetic, or functions inside filters.
//   - Script expressions [(@.length-1)].
//   - Object member order: Go maps have none, so wildcards and deep scans visit
//     members in sorted key order, where AWS uses document order.
//   - @ may be a scalar ($.nums[?(@ > 1)]); AWS documents that @ matches only
//     objects, so such filters are an extension.
//   - A filter applied to an object tests the object itself (as Jayway does);
//     under a deep scan ($..[?()]) a filter tests every descendant once.
//   - Set creates missing objects but never arrays: writing to an index that is
//     not inside an existing array is a *SetFailure.
package jsonpath
