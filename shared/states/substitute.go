package states

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

var substRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// Substitute replaces every ${Name} in a definition with vars[Name], the way
// CloudFormation's DefinitionSubstitutions does, and fails on any ${...}
// whose name has no value, listing all of them.
func Substitute(def []byte, vars map[string]string) ([]byte, error) {
	var missing []string
	seen := map[string]bool{}
	out := substRE.ReplaceAllFunc(def, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := vars[name]
		if !ok {
			if !seen[name] {
				seen[name] = true
				missing = append(missing, name)
			}
			return m
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("substitute definition: no value for ${%s}", strings.Join(missing, "}, ${"))
	}
	return out, nil
}
