package states

// The objects a Distributed Map's ResultWriter writes to S3, as AWS
// documents them ("ResultWriter (Map)", Exporting to Amazon S3): under
// <Prefix>/<map run id>/ a manifest.json, and one result file per status of
// the child executions (SUCCEEDED_0.json, FAILED_0.json, PENDING_0.json).
// The engine writes them with these types and the pipeline's Aggregate
// reads them with the same ones; testdata/resultwriter holds AWS's shape of
// both files, read by the tests on either side.

// Result file groups, by the status of the child executions they hold.
const (
	ResultsSucceeded = "SUCCEEDED"
	ResultsFailed    = "FAILED"
	ResultsPending   = "PENDING"
)

// ResultManifest is manifest.json.
type ResultManifest struct {
	DestinationBucket string      `json:"DestinationBucket"`
	MapRunArn         string      `json:"MapRunArn"`
	ResultFiles       ResultFiles `json:"ResultFiles"`
}

// ResultFiles lists the result files of each group; a group with no child
// is an empty list, never absent.
type ResultFiles struct {
	Failed    []ResultFile `json:"FAILED"`
	Pending   []ResultFile `json:"PENDING"`
	Succeeded []ResultFile `json:"SUCCEEDED"`
}

// Group returns the files of one group (ResultsSucceeded, ...).
func (f ResultFiles) Group(name string) []ResultFile {
	switch name {
	case ResultsSucceeded:
		return f.Succeeded
	case ResultsFailed:
		return f.Failed
	case ResultsPending:
		return f.Pending
	}
	return nil
}

func (f *ResultFiles) add(group string, file ResultFile) {
	switch group {
	case ResultsSucceeded:
		f.Succeeded = append(f.Succeeded, file)
	case ResultsFailed:
		f.Failed = append(f.Failed, file)
	case ResultsPending:
		f.Pending = append(f.Pending, file)
	}
}

// ResultFile is one result file: its key in DestinationBucket and its size
// in bytes.
type ResultFile struct {
	Key  string `json:"Key"`
	Size int64  `json:"Size"`
}

// ChildResult is one child execution in a result file: every record of
// FAILED and PENDING files, and of SUCCEEDED files when the Transformation
// is NONE (the default when exporting). Input and Output are the child's
// JSON payloads as strings. A PENDING child (never started) has no
// ExecutionArn, Name or dates; only a SUCCEEDED one has Output, only a
// failed one Error and Cause. Fields are in AWS's (alphabetical) order.
type ChildResult struct {
	Cause               string          `json:"Cause,omitempty"`
	Error               string          `json:"Error,omitempty"`
	ExecutionArn        string          `json:"ExecutionArn,omitempty"`
	Input               string          `json:"Input"`
	InputDetails        PayloadDetails  `json:"InputDetails"`
	Name                string          `json:"Name,omitempty"`
	Output              string          `json:"Output,omitempty"`
	OutputDetails       *PayloadDetails `json:"OutputDetails,omitempty"`
	RedriveCount        int             `json:"RedriveCount"`
	RedriveStatus       string          `json:"RedriveStatus"`
	RedriveStatusReason string          `json:"RedriveStatusReason"`
	StartDate           string          `json:"StartDate,omitempty"`
	StateMachineArn     string          `json:"StateMachineArn"`
	Status              Status          `json:"Status"`
	StopDate            string          `json:"StopDate,omitempty"`
}

// PayloadDetails says whether a payload is included in the record.
type PayloadDetails struct {
	Included bool `json:"Included"`
}
