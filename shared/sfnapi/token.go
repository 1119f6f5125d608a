package sfnapi

import (
	"encoding/base64"
	"encoding/json"
)

// pageToken is what a nextToken carries: the query it continues (so a
// token cannot be replayed against another one) and the sort key of the
// first item of the next page. Keys, not offsets, so that executions
// started between two calls do not shift the pages.
type pageToken struct {
	Scope string `json:"s"`
	Key   int64  `json:"k"`
}

// paginate returns the page of items (in output order, sorted by key
// descending if desc, else ascending) that token starts, at most limit
// long, and the token of the next page, if any.
func paginate[T any](scope string, items []T, key func(T) int64, desc bool, token *string, limit int) ([]T, *string, *apiError) {
	start := 0
	if token != nil && *token != "" {
		var t pageToken
		b, err := base64.RawURLEncoding.DecodeString(*token)
		if err != nil || json.Unmarshal(b, &t) != nil || t.Scope != scope {
			return nil, nil, clientError(errInvalidToken, "Invalid Token: '"+*token+"'")
		}
		start = len(items)
		for i, it := range items {
			if k := key(it); (desc && k <= t.Key) || (!desc && k >= t.Key) {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(items))
	var next *string
	if end < len(items) {
		b, _ := json.Marshal(pageToken{Scope: scope, Key: key(items[end])})
		s := base64.RawURLEncoding.EncodeToString(b)
		next = &s
	}
	return items[start:end], next, nil
}

// makeToken is the nextToken of a page that continues after key.
func makeToken(scope string, key int64) *string {
	b, _ := json.Marshal(pageToken{Scope: scope, Key: key})
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// readToken returns the key a nextToken continues after (0 for none).
func readToken(scope string, token *string) (int64, *apiError) {
	if token == nil || *token == "" {
		return 0, nil
	}
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(*token)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Scope != scope {
		return 0, clientError(errInvalidToken, "Invalid Token: '"+*token+"'")
	}
	return t.Key, nil
}
