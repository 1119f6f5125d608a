package stack

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/divinepic/pipeline/shared/names"
)

// bucketAccess is what each step's Lambda may do in the bucket, by key
// prefix (names' layout), and nothing more. No function may write or delete
// under names.AlbumsPrefix: only the upload path (the photographer, through
// a presigned PUT) puts photos there. Detect and embed, which parse
// untrusted photos in C libraries, read photos and their own work and
// write only their work and the photo's face record; none deletes.
// Nothing may delete an object version (the bucket is versioned), so no
// Lambda can destroy a photo for good.
type access struct {
	list                 bool     // s3:ListBucket on the bucket
	read, write, destroy []string // s3:GetObject, s3:PutObject, s3:DeleteObject under these prefixes
}

var bucketAccess = map[string]access{
	// The manifest of work from the album's photos and its index.
	names.StepList: {list: true, read: []string{names.AlbumsPrefix, names.StatePrefix}, write: []string{names.WorkPrefix}},
	// The photo in (and its record, when a redriven batch already did it),
	// its detections (or, without faces, its record) out.
	names.StepDetect: {read: []string{names.AlbumsPrefix, names.FacesPrefix}, write: []string{names.WorkPrefix, names.FacesPrefix}},
	// The detections in, the face record out.
	names.StepEmbed: {read: []string{names.WorkPrefix}, write: []string{names.FacesPrefix}},
	// The batches' results in, the list of failed photos out.
	names.StepFailures: {read: []string{names.ResultsPrefix}, write: []string{names.WorkPrefix}},
	// The Map's results and the records in; the index and summary out;
	// records of photos that went, and spent work, deleted.
	names.StepAggregate: {list: true,
		read:    []string{names.FacesPrefix, names.ResultsPrefix, names.StatePrefix, names.WorkPrefix},
		write:   []string{names.StatePrefix},
		destroy: []string{names.FacesPrefix, names.WorkPrefix}},
	// The album's people from its index and face records, with the
	// photographer's corrections.
	names.StepPeople: {read: []string{names.FacesPrefix, names.StatePrefix}, write: []string{names.StatePrefix}},
	// Which albums need work: the photos' listing against the indexes.
	names.StepReprocess: {list: true, read: []string{names.StatePrefix}},
	// The album's index (the selfie arrives as bytes).
	names.StepSearch: {read: []string{names.StatePrefix}},
}

// grantBucket gives each Lambda its bucketAccess.
func (s *Stack) grantBucket() {
	for _, step := range names.Steps {
		a := bucketAccess[step]
		fn := s.Functions[step]
		if a.list {
			fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("s3:ListBucket"),
				Resources: jsii.Strings(*s.Bucket.BucketArn()),
			}))
		}
		for _, g := range []struct {
			action   string
			prefixes []string
		}{{"s3:GetObject", a.read}, {"s3:PutObject", a.write}, {"s3:DeleteObject", a.destroy}} {
			if len(g.prefixes) == 0 {
				continue
			}
			fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings(g.action),
				Resources: jsii.Strings(s.objectARNs(g.prefixes)...),
			}))
		}
	}
}

// objectARNs are the ARNs of every object under the prefixes.
func (s *Stack) objectARNs(prefixes []string) []string {
	out := make([]string, 0, len(prefixes))
	for _, p := range slices.Sorted(slices.Values(prefixes)) {
		out = append(out, *s.Bucket.ArnForObjects(jsii.String(p + "*")))
	}
	return out
}

// grantWorkflowBucket gives the state machine what the Distributed Map
// needs: ItemReader reads the manifest (under work/), ResultWriter writes
// the results under resultPrefix with multipart uploads.
func (s *Stack) grantWorkflowBucket(resultPrefix string) {
	sm := s.StateMachine
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: jsii.Strings(s.objectARNs([]string{names.WorkPrefix})...),
	}))
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"),
		Resources: jsii.Strings(s.objectARNs([]string{resultPrefix})...),
	}))
}
