// Package arn is the one place where the pipeline's ARNs (Amazon Resource
// Names) are formatted and taken apart: Step Functions state machines,
// executions and Map Runs, Lambda functions, and the IAM role the local
// Step Functions reports for a state machine. The local States Language
// engine (shared/states), its Step Functions API (shared/sfnapi), the
// Step Functions client (shared/sfnclient), the embedded pipeline and the
// CLI all use it, so the layouts below are written here only:
//
//	arn:aws:states:REGION:ACCOUNT:stateMachine:NAME
//	arn:aws:states:REGION:ACCOUNT:execution:NAME:EXECUTION       (express: for EXPRESS executions)
//	arn:aws:states:REGION:ACCOUNT:mapRun:NAME/LABEL:ID           (a Distributed Map's run)
//	arn:aws:states:REGION:ACCOUNT:stateMachine:NAME/LABEL        (the machine of that run's children)
//	arn:aws:states:REGION:ACCOUNT:execution:NAME/LABEL:CHILD     (one child)
//	arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
//	arn:aws:iam::ACCOUNT:role/StepFunctions-NAME
//
// It is pure Go and imports nothing of the project.
package arn

import (
	"errors"
	"fmt"
	"strings"
)

// Partition is the partition of every ARN this package formats when none
// is given.
const Partition = "aws"

// The resource types of Step Functions ARNs.
const (
	KindStateMachine = "stateMachine"
	KindExecution    = "execution"
	KindExpress      = "express" // an EXPRESS execution
	KindMapRun       = "mapRun"
)

// ErrNotARN is what every parse error matches (errors.Is).
var ErrNotARN = errors.New("not an ARN of that kind")

// parseError says what was given, what was wanted and its layout.
type parseError struct{ value, want, layout string }

func (e *parseError) Error() string {
	return fmt.Sprintf("%q is not a %s ARN (%s)", e.value, e.want, e.layout)
}

func (e *parseError) Is(target error) bool { return target == ErrNotARN }

// StateMachine is a Step Functions state machine's ARN. A Distributed Map's
// children run in a state machine named <parent>/<label> (Child).
type StateMachine struct {
	Partition string // "" means Partition
	Region    string
	Account   string
	Name      string
}

func (m StateMachine) partition() string {
	if m.Partition == "" {
		return Partition
	}
	return m.Partition
}

func (m StateMachine) prefix(kind string) string {
	return "arn:" + m.partition() + ":states:" + m.Region + ":" + m.Account + ":" + kind + ":"
}

// String is arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME.
func (m StateMachine) String() string { return m.prefix(KindStateMachine) + m.Name }

// Execution is the ARN of the machine's execution of that name.
func (m StateMachine) Execution(name string) Execution {
	return Execution{Machine: m, Name: name}
}

// Child is the state machine of a Distributed Map's children: the same
// machine, named <name>/<label>.
func (m StateMachine) Child(label string) StateMachine {
	c := m
	c.Name = m.Name + "/" + label
	return c
}

// MapRun is the ARN of a Distributed Map run of this machine.
func (m StateMachine) MapRun(label, id string) MapRun {
	return MapRun{Machine: m, Label: label, ID: id}
}

// Role is the IAM role the local Step Functions reports as the machine's
// execution role: arn:PARTITION:iam::ACCOUNT:role/StepFunctions-NAME.
func (m StateMachine) Role() string {
	return "arn:" + m.partition() + ":iam::" + m.Account + ":role/StepFunctions-" + m.Name
}

// Execution is an execution's ARN.
type Execution struct {
	Machine StateMachine
	Name    string
	// Kind is KindExecution (when empty) or KindExpress.
	Kind string
}

// String is arn:PARTITION:states:REGION:ACCOUNT:execution:MACHINE:NAME.
func (x Execution) String() string {
	kind := x.Kind
	if kind == "" {
		kind = KindExecution
	}
	return x.Machine.prefix(kind) + x.Machine.Name + ":" + x.Name
}

// MapRun is a Distributed Map run's ARN.
type MapRun struct {
	Machine StateMachine // the parent execution's state machine
	Label   string       // the Map state's Label, or its name
	ID      string
}

// String is arn:PARTITION:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:ID.
func (r MapRun) String() string {
	return r.Machine.prefix(KindMapRun) + r.Machine.Name + "/" + r.Label + ":" + r.ID
}

// Children is the state machine the run's child executions belong to.
func (r MapRun) Children() StateMachine { return r.Machine.Child(r.Label) }

// Function is a Lambda function's ARN.
type Function struct {
	Partition string // "" means Partition
	Region    string
	Account   string
	Name      string
	Qualifier string // a version or alias, or ""
}

// String is arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER].
func (f Function) String() string {
	p := f.Partition
	if p == "" {
		p = Partition
	}
	s := "arn:" + p + ":lambda:" + f.Region + ":" + f.Account + ":function:" + f.Name
	if f.Qualifier != "" {
		s += ":" + f.Qualifier
	}
	return s
}

// fields splits arn:PARTITION:SERVICE:REGION:ACCOUNT:TYPE:REST; REST may
// hold more colons.
func fields(s, service string) (parts []string, ok bool) {
	parts = strings.SplitN(s, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[1] == "" || parts[2] != service || parts[6] == "" {
		return nil, false
	}
	return parts, true
}

func bad(s, want string) error { return &parseError{value: s, want: want, layout: layouts[want]} }

var layouts = map[string]string{
	"state machine":   "arn:aws:states:REGION:ACCOUNT:stateMachine:NAME",
	"execution":       "arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME",
	"Map Run":         "arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:ID",
	"Lambda function": "arn:aws:lambda:REGION:ACCOUNT:function:NAME",
	"Step Functions":  "arn:aws:states:REGION:ACCOUNT:TYPE:NAME",
}

// States splits a Step Functions ARN into its resource type (KindStateMachine,
// KindExecution, KindExpress, KindMapRun or another) and what follows it.
func States(s string) (kind, resource string, err error) {
	p, ok := fields(s, "states")
	if !ok {
		return "", "", bad(s, "Step Functions")
	}
	return p[5], p[6], nil
}

func machineOf(p []string, name string) StateMachine {
	return StateMachine{Partition: p[1], Region: p[3], Account: p[4], Name: name}
}

// ParseStateMachine parses a state machine's ARN.
func ParseStateMachine(s string) (StateMachine, error) {
	p, ok := fields(s, "states")
	if !ok || p[5] != KindStateMachine || strings.Contains(p[6], ":") {
		return StateMachine{}, bad(s, "state machine")
	}
	return machineOf(p, p[6]), nil
}

// ParseExecution parses an execution's ARN (execution or express).
func ParseExecution(s string) (Execution, error) {
	p, ok := fields(s, "states")
	if !ok || (p[5] != KindExecution && p[5] != KindExpress) {
		return Execution{}, bad(s, "execution")
	}
	machine, name, ok := strings.Cut(p[6], ":")
	if !ok || machine == "" || name == "" || strings.Contains(name, ":") {
		return Execution{}, bad(s, "execution")
	}
	x := Execution{Machine: machineOf(p, machine), Name: name}
	if p[5] == KindExpress {
		x.Kind = KindExpress
	}
	return x, nil
}

// ParseMapRun parses a Map Run's ARN.
func ParseMapRun(s string) (MapRun, error) {
	p, ok := fields(s, "states")
	if !ok || p[5] != KindMapRun {
		return MapRun{}, bad(s, "Map Run")
	}
	path, id, ok := strings.Cut(p[6], ":")
	machine, label, ok2 := strings.Cut(path, "/")
	if !ok || !ok2 || machine == "" || label == "" || id == "" || strings.Contains(id, ":") {
		return MapRun{}, bad(s, "Map Run")
	}
	return MapRun{Machine: machineOf(p, machine), Label: label, ID: id}, nil
}

// ParseFunction parses a Lambda function's ARN, with or without a
// qualifier.
func ParseFunction(s string) (Function, error) {
	p, ok := fields(s, "lambda")
	if !ok || p[5] != "function" {
		return Function{}, bad(s, "Lambda function")
	}
	name, qualifier, _ := strings.Cut(p[6], ":")
	if name == "" || strings.Contains(qualifier, ":") {
		return Function{}, bad(s, "Lambda function")
	}
	return Function{Partition: p[1], Region: p[3], Account: p[4], Name: name, Qualifier: qualifier}, nil
}
