package names

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
)

// The placeholders of statemachine.asl.json other than the function ARNs
// (FunctionARNPlaceholder). The CDK stack fills them with
// DefinitionSubstitutions, the local engine with Substitute.
const (
	PlaceholderMaxConcurrency             = "MaxConcurrency"
	PlaceholderToleratedFailurePercentage = "ToleratedFailurePercentage"
	PlaceholderResultBucket               = "ResultBucket"
	PlaceholderResultPrefix               = "ResultPrefix"
)

// DefaultToleratedFailurePercentage is the value the stack and the local
// engine give ${ToleratedFailurePercentage} unless told otherwise: the
// share of an album's photos that may fail (their child executions of
// ReportFailures FAILED) before the Map Run, and so the album, fails. It is high because
// an album is a photographer's files, where a few broken ones are normal
// (one of three in a small album is 33%): a broken deployment fails nearly
// every photo, which this still catches.
const DefaultToleratedFailurePercentage = 50

// The two Distributed Map states of statemachine.asl.json, whose Map Runs
// tell an album's progress: ProcessImages runs the photos in batches,
// ReportFailures gives each failed photo a failed child execution.
// RecordFailure is the state of a batch that a photo which failed enters.
const (
	StateProcessImages  = "ProcessImages"
	StateReportFailures = "ReportFailures"
	StateRecordFailure  = "RecordFailure"
)

// DefaultMaxConcurrency is the stack's ${MaxConcurrency} unless its
// maxConcurrency context key says otherwise: child executions of the
// Distributed Map at once (and so detect and embed invocations).
const DefaultMaxConcurrency = 40

// MaxPhotosPerChild is the most photos one child execution of the
// Distributed Map processes (its ItemBatcher's batch, as ListImages sizes
// it). Each child is a state transition of the album's Standard execution,
// the largest part of an album's cost at one photo per child. 20 photos of
// a second or two each stay well within an EXPRESS child's 5 minutes; a
// batch of slow photos (up to 60 s each per step) or of throttled calls can
// still run out of time, and then fails as a whole: the photos it finished
// before are kept as done (CollectFailures and Aggregate find their face
// records), the others are failed and retried by the next run.
const MaxPhotosPerChild = 20

// PhotosPerChild is the batch ListImages gives the Distributed Map for
// toProcess photos at a Map concurrency of maxConcurrency: rounded down, so
// that there are always at least as many children as may run at once (a
// small album is as parallel as before: one photo per child while it has
// fewer than twice as many photos as the Map's concurrency), at most
// MaxPhotosPerChild.
func PhotosPerChild(toProcess, maxConcurrency int) int {
	if maxConcurrency < 1 {
		maxConcurrency = 1
	}
	return max(1, min(toProcess/maxConcurrency, MaxPhotosPerChild))
}

// ToleratedFailures is how many of toProcess photos may fail at a
// tolerated percentage before the album fails (ReportFailures'
// ToleratedFailureCount): the share, rounded down, so that the album fails
// exactly when the failed share exceeds the percentage.
func ToleratedFailures(toProcess int, percentage float64) int {
	return int(math.Floor(float64(toProcess) * max(0, min(percentage, 100)) / 100))
}

// FunctionARNPlaceholder is the placeholder that holds a step's function
// ARN: ListFunctionArn for "list", and so on.
func FunctionARNPlaceholder(step string) string {
	if step == "" {
		return "FunctionArn"
	}
	return strings.ToUpper(step[:1]) + step[1:] + "FunctionArn"
}

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9_]*)\}`)

// Placeholders returns the distinct ${Name} placeholders of a workflow
// definition, sorted.
func Placeholders(definition []byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range placeholderRE.FindAllSubmatch(definition, -1) {
		if n := string(m[1]); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Substitute replaces every ${Name} of a definition with vars[Name], the
// way CloudFormation applies DefinitionSubstitutions (plain text, no
// quoting), and fails on any placeholder without a value, naming all of
// them.
func Substitute(definition []byte, vars map[string]string) ([]byte, error) {
	var missing []string
	seen := map[string]bool{}
	out := placeholderRE.ReplaceAllFunc(definition, func(m []byte) []byte {
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
