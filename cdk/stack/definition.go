package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/names"
)

// Stand-ins for values that are CDK tokens at synth time.
const (
	sampleBucket  = "sample-bucket"
	sampleNumeric = "1"
)

var sampleARN = arn.Function{Region: "us-east-1", Account: "123456789012", Name: "sample"}.String()

// CheckDefinition checks a workflow definition against the substitutions the
// stack will pass: every placeholder must have a value, every value must be
// used, and the text with the values put in must be a JSON object. Values
// that are CDK tokens (unresolved until deploy) are stood in for by samples
// of the same kind, so the JSON check sees what CloudFormation will produce.
func CheckDefinition(definition string, subs map[string]string) error {
	var problems []string
	used := map[string]bool{}
	for _, name := range names.Placeholders([]byte(definition)) {
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
	filled, err := names.Substitute([]byte(definition), samples)
	if err != nil {
		return err
	}
	var obj map[string]any
	if err := json.Unmarshal(filled, &obj); err != nil {
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
