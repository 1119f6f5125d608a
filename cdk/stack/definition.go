package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// The placeholders of statemachine.asl.json that the stack fills.
const (
	SubListFunctionARN      = "ListFunctionArn"
	SubDetectFunctionARN    = "DetectFunctionArn"
	SubEmbedFunctionARN     = "EmbedFunctionArn"
	SubAggregateFunctionARN = "AggregateFunctionArn"
	SubMaxConcurrency       = "MaxConcurrency"
	SubToleratedFailurePct  = "ToleratedFailurePercentage"
	SubResultBucket         = "ResultBucket"
	SubResultPrefix         = "ResultPrefix"
)

// Stand-ins for values that are CDK tokens at synth time.
const (
	sampleARN     = "arn:aws:lambda:us-east-1:123456789012:function:sample"
	sampleBucket  = "sample-bucket"
	sampleNumeric = "1"
)

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9_]*)\}`)

// Placeholders returns the distinct ${Name} placeholders of a workflow
// definition, sorted.
func Placeholders(definition string) []string {
	seen := map[string]bool{}
	var names []string
	for _, m := range placeholderRE.FindAllStringSubmatch(definition, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	sort.Strings(names)
	return names
}

// Substitute replaces every ${Name} of definition whose name is in subs, the
// way CloudFormation applies DefinitionSubstitutions (plain text, no
// quoting). Placeholders without a value are left as they are.
func Substitute(definition string, subs map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(definition, func(m string) string {
		if v, ok := subs[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// CheckDefinition checks a workflow definition against the substitutions the
// stack will pass: every placeholder must have a value, every value must be
// used, and the text with the values put in must be a JSON object. Values
// that are CDK tokens (unresolved until deploy) are stood in for by samples
// of the same kind, so the JSON check sees what CloudFormation will produce.
func CheckDefinition(definition string, subs map[string]string) error {
	var problems []string
	used := map[string]bool{}
	for _, name := range Placeholders(definition) {
		used[name] = true
		if _, ok := subs[name]; !ok {
			problems = append(problems, fmt.Sprintf("placeholder ${%s} has no substitution", name))
		}
	}
	var unused []string
	for name := range subs {
		if !used[name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	for _, name := range unused {
		problems = append(problems, fmt.Sprintf("substitution %s is not used by any ${%s} placeholder", name, name))
	}
	if len(problems) > 0 {
		return fmt.Errorf("workflow definition and stack disagree: %s", strings.Join(problems, "; "))
	}
	samples := make(map[string]string, len(subs))
	for name, v := range subs {
		samples[name] = sampleFor(name, v)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(Substitute(definition, samples)), &obj); err != nil {
		return fmt.Errorf("workflow definition with its substitutions is not a JSON object: %w", err)
	}
	return nil
}

// sampleFor is v itself, or, when v is a CDK token, a stand-in of the kind
// the name implies.
func sampleFor(name, v string) string {
	if !strings.Contains(v, "${Token[") {
		return v
	}
	switch {
	case strings.HasSuffix(name, "Arn"):
		return sampleARN
	case strings.HasSuffix(name, "Bucket"):
		return sampleBucket
	default:
		return sampleNumeric
	}
}

// ReadDefinition reads the workflow file.
func ReadDefinition(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the workflow definition: %w", err)
	}
	return string(b), nil
}
