package stack

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/names"
)

// writes are the S3 actions that change or destroy an object.
var writes = []string{"s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectTagging", "s3:PutObjectVersionTagging",
	"s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteObjectTagging",
	"s3:RestoreObject", "s3:AbortMultipartUpload"}

// globMatches reports whether an IAM pattern (with * and ?) matches s.
func globMatches(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// grantsOn reports whether a statement of stmts allows action (matched
// against the statement's own patterns) on the photo-bucket key key.
func (s *synthesized) grantsOn(stmts []map[string]any, action, key string) bool {
	bucket := s.bucketID()
	for _, st := range stmts {
		if st["Effect"] != "Allow" {
			continue
		}
		matched := false
		for _, a := range asList(st["Action"]) {
			matched = matched || globMatches(a.(string), action)
		}
		if !matched {
			continue
		}
		for _, res := range asList(st["Resource"]) {
			if res == "*" {
				return true
			}
			b, _ := json.Marshal(res)
			if !strings.Contains(string(b), bucket) {
				continue
			}
			// {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/<pattern>"]]}
			parts := res.(map[string]any)["Fn::Join"].([]any)[1].([]any)
			if suffix, ok := parts[len(parts)-1].(string); ok && globMatches(strings.TrimPrefix(suffix, "/"), key) {
				return true
			}
		}
	}
	return false
}

func (s *synthesized) functionStatements(t *testing.T, step string) []map[string]any {
	fn := s.resources("AWS::Lambda::Function")[s.functionID(t, step)]
	require.NotNil(t, fn)
	return s.policyStatements(roleOf(fn))
}

// TestLeastPrivilege: no IAM statement lets a Lambda write or delete a
// photo; detect and embed, which parse untrusted photos, write only their
// work and the photo's face record and delete nothing.
func TestLeastPrivilege(t *testing.T) {
	s := defaultStack(t)
	photo := names.AlbumPrefix("wedding") + "IMG_0001.jpg"
	for _, step := range names.Steps {
		stmts := s.functionStatements(t, step)
		for _, a := range writes {
			assert.False(t, s.grantsOn(stmts, a, photo), "%s may %s a photo", step, a)
		}
		for _, st := range stmts {
			for _, a := range asList(st["Action"]) {
				assert.NotContains(t, []string{"s3:*", "*", "s3vectors:*", "states:*"}, a, "%s: a whole service", step)
			}
		}
	}
	record := names.RecordKey("wedding", "default-1", "IMG_0001")
	detections := names.DetectionsKey("wedding", "default-1", "IMG_0001", "etag")
	summary := names.SummaryKey("wedding", "default-1")
	tests := []struct {
		step                   string
		read, write, noWrite   []string
		noRead                 []string
		mayDelete, mayNotTouch []string
	}{
		{step: names.StepDetect, read: []string{photo}, write: []string{detections, record}, noWrite: []string{summary}, noRead: []string{summary}},
		{step: names.StepEmbed, read: []string{detections}, write: []string{record}, noWrite: []string{detections, summary}, noRead: []string{photo}},
		{step: names.StepAggregate, read: []string{record, summary}, write: []string{summary}, noRead: []string{photo}, mayDelete: []string{record, detections}},
		{step: names.StepSearch, read: []string{summary}, noWrite: []string{record, summary}, noRead: []string{photo}},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			stmts := s.functionStatements(t, tt.step)
			for _, k := range tt.read {
				assert.True(t, s.grantsOn(stmts, "s3:GetObject", k), "reads %s", k)
			}
			for _, k := range tt.noRead {
				assert.False(t, s.grantsOn(stmts, "s3:GetObject", k), "does not read %s", k)
			}
			for _, k := range tt.write {
				assert.True(t, s.grantsOn(stmts, "s3:PutObject", k), "writes %s", k)
			}
			for _, k := range tt.noWrite {
				assert.False(t, s.grantsOn(stmts, "s3:PutObject", k), "does not write %s", k)
			}
			for _, k := range []string{photo, record, detections, summary} {
				assert.Equal(t, contains(tt.mayDelete, k), s.grantsOn(stmts, "s3:DeleteObject", k), "delete %s", k)
				assert.False(t, s.grantsOn(stmts, "s3:DeleteObjectVersion", k), "nothing is destroyed for good")
			}
		})
	}
	// Reprocess: no "*" beyond X-Ray's, and only StartExecution of the workflow.
	for _, st := range s.functionStatements(t, names.StepReprocess) {
		if asList(st["Resource"])[0] == "*" {
			assert.ElementsMatch(t, []any{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, asList(st["Action"]))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
