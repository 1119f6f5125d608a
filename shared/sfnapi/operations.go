package sfnapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
)

// operation serves one API operation: body is the request's JSON, the
// result is one of the SDK's output structs (or a value wire accepts).
type operation func(s *Server, ctx context.Context, body []byte) (any, *apiError)

var operations = map[string]operation{
	"StartExecution":                   (*Server).startExecution,
	"DescribeExecution":                (*Server).describeExecution,
	"StopExecution":                    (*Server).stopExecution,
	"ListExecutions":                   (*Server).listExecutions,
	"GetExecutionHistory":              (*Server).getExecutionHistory,
	"DescribeStateMachine":             (*Server).describeStateMachine,
	"DescribeStateMachineForExecution": (*Server).describeStateMachineForExecution,
	"ListStateMachines":                (*Server).listStateMachines,
	"ListMapRuns":                      (*Server).listMapRuns,
	"DescribeMapRun":                   (*Server).describeMapRun,
}

// Limits of the API.
const (
	maxErrorLen   = 256
	maxCauseLen   = 32768
	defaultPage   = 100
	maxPage       = 1000
	stopWaitLimit = 10 * time.Second
)

func (s *Server) startExecution(_ context.Context, body []byte) (any, *apiError) {
	var in sfn.StartExecutionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if _, err := parseARN(in.StateMachineArn, "stateMachine"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.Name)
	if in.Name == nil {
		name = s.uuid()
	} else if !names.ValidExecutionName(name) {
		return nil, clientError(errInvalidName, "Invalid Name: '"+name+"'")
	}
	input := aws.ToString(in.Input)
	if input == "" {
		input = "{}"
	}
	if !json.Valid([]byte(input)) {
		return nil, clientError(errInvalidExecutionInput, "Invalid State Machine Execution Input: 'the input is not valid JSON'")
	}
	if len(input) > states.MaxPayloadBytes {
		return nil, clientError(errInvalidExecutionInput, fmt.Sprintf("Invalid State Machine Execution Input: 'the input is %d bytes, over the %d-byte limit'", len(input), states.MaxPayloadBytes))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, &apiError{status: http.StatusServiceUnavailable, typ: "ServiceUnavailable", msg: "the server is shutting down"}
	}
	m := s.machines[*in.StateMachineArn]
	if m == nil {
		return nil, clientError(errStateMachineDoesNotExist, "State Machine Does Not Exist: '"+*in.StateMachineArn+"'")
	}
	if prev := m.byName[name]; prev != nil {
		// A STANDARD execution started again with the same name and input
		// while it runs is the same execution; otherwise the name is taken.
		if m.opt.Type == types.StateMachineTypeStandard && prev.input == input && prev.x.Status() == states.StatusRunning {
			return &sfn.StartExecutionOutput{ExecutionArn: aws.String(prev.x.ARN), StartDate: aws.Time(prev.x.StartTime)}, nil
		}
		return nil, clientError(errExecutionAlreadyExists, "Execution Already Exists: '"+prev.x.ARN+"'")
	}
	opts := []states.StartOption{states.WithName(name)}
	if m.opt.Listener != nil {
		opts = append(opts, states.WithListener(m.opt.Listener))
	}
	x, err := m.sm.Start(s.ctx, []byte(input), opts...)
	if err != nil {
		return nil, clientError(errInvalidExecutionInput, "Invalid State Machine Execution Input: '"+err.Error()+"'")
	}
	s.seq++
	e := &execution{seq: s.seq, m: m, x: x, input: input, traceHeader: aws.ToString(in.TraceHeader)}
	m.byName[name] = e
	m.execs = append(m.execs, e)
	s.execs[x.ARN] = e
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(x.ARN), StartDate: aws.Time(x.StartTime)}, nil
}

// found is an execution found by ARN: one started through the API, or a
// child execution of a Distributed Map run.
type found struct {
	x           *states.Execution
	smARN       string
	input       string
	traceHeader string
	mapRun      *states.MapRun // for a child execution
	top         *execution     // for an execution started through the API
}

func (s *Server) findExecution(arn *string) (*found, *apiError) {
	if _, err := parseARN(arn, "execution", "express"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	e := s.execs[*arn]
	s.mu.Unlock()
	if e != nil {
		return &found{x: e.x, smARN: e.m.sm.ARN, input: e.input, traceHeader: e.traceHeader, top: e}, nil
	}
	if x, run := s.findChild(*arn); x != nil {
		return &found{x: x, smARN: childMachineARN(x.ARN), input: x.Input(), mapRun: run}, nil
	}
	return nil, clientError(errExecutionDoesNotExist, "Execution Does Not Exist: '"+*arn+"'")
}

// all returns the executions started through the API, oldest first.
func (s *Server) all() []*execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*execution, 0, len(s.execs))
	for _, m := range s.order {
		out = append(out, m.execs...)
	}
	return out
}

// walkMapRuns calls fn for every Map Run of the API's executions and of
// their child executions, with the execution that started it, until fn
// returns true.
func (s *Server) walkMapRuns(fn func(parent *states.Execution, run *states.MapRun) bool) bool {
	var walk func(x *states.Execution) bool
	walk = func(x *states.Execution) bool {
		for _, run := range x.MapRuns() {
			if fn(x, run) {
				return true
			}
			for _, c := range run.Children() {
				if c != nil && walk(c) {
					return true
				}
			}
		}
		return false
	}
	for _, e := range s.all() {
		if walk(e.x) {
			return true
		}
	}
	return false
}

func (s *Server) findChild(arn string) (child *states.Execution, in *states.MapRun) {
	s.walkMapRuns(func(_ *states.Execution, run *states.MapRun) bool {
		for _, c := range run.Children() {
			if c != nil && c.ARN == arn {
				child, in = c, run
				return true
			}
		}
		return false
	})
	return child, in
}

func (s *Server) findMapRun(arn *string) (*states.Execution, *states.MapRun, *apiError) {
	if _, err := parseARN(arn, "mapRun"); err != nil {
		return nil, nil, err
	}
	var parent *states.Execution
	var found *states.MapRun
	s.walkMapRuns(func(p *states.Execution, run *states.MapRun) bool {
		if run.ARN == *arn {
			parent, found = p, run
			return true
		}
		return false
	})
	if found == nil {
		return nil, nil, clientError(errResourceNotFound, "Resource not found: '"+*arn+"'")
	}
	return parent, found, nil
}

// childMachineARN is the state machine ARN of an execution ARN
// (arn:aws:states:r:a:execution:machine:name → ...:stateMachine:machine).
func childMachineARN(execARN string) string {
	x, err := arn.ParseExecution(execARN)
	if err != nil {
		return ""
	}
	return x.Machine.String()
}

func (s *Server) describeExecution(_ context.Context, body []byte) (any, *apiError) {
	var in sfn.DescribeExecutionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	f, err := s.findExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	x := f.x
	st := x.Status()
	out := &sfn.DescribeExecutionOutput{
		ExecutionArn:    aws.String(x.ARN),
		StateMachineArn: aws.String(f.smARN),
		Name:            aws.String(x.Name),
		Status:          types.ExecutionStatus(st),
		StartDate:       aws.Time(x.StartTime),
		Input:           aws.String(f.input),
		InputDetails:    &types.CloudWatchEventsExecutionDataDetails{Included: true},
	}
	if f.traceHeader != "" {
		out.TraceHeader = aws.String(f.traceHeader)
	}
	if f.mapRun != nil {
		out.MapRunArn = aws.String(f.mapRun.ARN)
	}
	if st != states.StatusRunning {
		out.StopDate = aws.Time(x.StopTime())
	}
	switch {
	case st == states.StatusSucceeded:
		out.Output = aws.String(string(x.Output()))
		out.OutputDetails = &types.CloudWatchEventsExecutionDataDetails{Included: true}
	case st != states.StatusRunning:
		if e := x.Err(); e != nil {
			if e.Name != "" {
				out.Error = aws.String(e.Name)
			}
			if e.Cause != "" {
				out.Cause = aws.String(e.Cause)
			}
		}
	}
	return out, nil
}

func (s *Server) stopExecution(ctx context.Context, body []byte) (any, *apiError) {
	var in sfn.StopExecutionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(aws.ToString(in.Error)) > maxErrorLen {
		return nil, clientError(errValidation, fmt.Sprintf("1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to %d", maxErrorLen))
	}
	if len(aws.ToString(in.Cause)) > maxCauseLen {
		return nil, clientError(errValidation, fmt.Sprintf("1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to %d", maxCauseLen))
	}
	f, err := s.findExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	x := f.x
	if x.Status() == states.StatusRunning {
		x.Stop(aws.ToString(in.Error), aws.ToString(in.Cause))
		t := time.NewTimer(stopWaitLimit)
		defer t.Stop()
		select {
		case <-x.Done():
		case <-ctx.Done():
		case <-t.C:
		}
	}
	stop := x.StopTime()
	if stop.IsZero() {
		stop = time.Now()
	}
	return &sfn.StopExecutionOutput{StopDate: aws.Time(stop)}, nil
}

func pageSize(n int32) (int, *apiError) {
	switch {
	case n < 0 || n > maxPage:
		return 0, clientError(errValidation, fmt.Sprintf("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and %d", n, maxPage))
	case n == 0:
		return defaultPage, nil
	}
	return int(n), nil
}

func (s *Server) listExecutions(_ context.Context, body []byte) (any, *apiError) {
	var in sfn.ListExecutionsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if (in.StateMachineArn == nil) == (in.MapRunArn == nil) {
		return nil, clientError(errValidation, "exactly one of stateMachineArn and mapRunArn must be given")
	}
	limit, aerr := pageSize(in.MaxResults)
	if aerr != nil {
		return nil, aerr
	}
	if in.StatusFilter != "" && !slices.Contains(in.StatusFilter.Values(), in.StatusFilter) {
		return nil, clientError(errValidation, fmt.Sprintf("1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: %v", in.StatusFilter, in.StatusFilter.Values()))
	}
	type listed struct {
		key  int64
		item types.ExecutionListItem
	}
	var items []listed // newest first
	add := func(key int64, x *states.Execution, smARN string, run *states.MapRun) {
		st := x.Status()
		if in.StatusFilter != "" && string(in.StatusFilter) != string(st) {
			return
		}
		it := types.ExecutionListItem{
			ExecutionArn: aws.String(x.ARN), StateMachineArn: aws.String(smARN), Name: aws.String(x.Name),
			Status: types.ExecutionStatus(st), StartDate: aws.Time(x.StartTime),
		}
		if st != states.StatusRunning {
			it.StopDate = aws.Time(x.StopTime())
		}
		if run != nil {
			it.MapRunArn = aws.String(run.ARN)
		}
		items = append(items, listed{key, it})
	}
	var scope string
	if in.StateMachineArn != nil {
		if _, err := parseARN(in.StateMachineArn, "stateMachine"); err != nil {
			return nil, err
		}
		scope = "executions " + *in.StateMachineArn + " " + string(in.StatusFilter)
		s.mu.Lock()
		m := s.machines[*in.StateMachineArn]
		var execs []*execution
		if m != nil {
			execs = slices.Clone(m.execs)
		}
		s.mu.Unlock()
		if m == nil {
			return nil, clientError(errStateMachineDoesNotExist, "State Machine Does Not Exist: '"+*in.StateMachineArn+"'")
		}
		for i := len(execs) - 1; i >= 0; i-- {
			add(execs[i].seq, execs[i].x, m.sm.ARN, nil)
		}
	} else {
		_, run, err := s.findMapRun(in.MapRunArn)
		if err != nil {
			return nil, err
		}
		scope = "executions " + *in.MapRunArn + " " + string(in.StatusFilter)
		children := run.Children()
		for i := len(children) - 1; i >= 0; i-- {
			if c := children[i]; c != nil {
				add(int64(i), c, childMachineARN(c.ARN), run)
			}
		}
	}
	page, next, err := paginate(scope, items, func(l listed) int64 { return l.key }, true, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	out := &sfn.ListExecutionsOutput{Executions: []types.ExecutionListItem{}, NextToken: next}
	for _, l := range page {
		out.Executions = append(out.Executions, l.item)
	}
	return out, nil
}

func (s *Server) getExecutionHistory(_ context.Context, body []byte) (any, *apiError) {
	var in sfn.GetExecutionHistoryInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, aerr := pageSize(in.MaxResults)
	if aerr != nil {
		return nil, aerr
	}
	f, err := s.findExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	events := f.x.History()
	if in.ReverseOrder {
		slices.Reverse(events)
	}
	scope := fmt.Sprintf("history %s %t", f.x.ARN, in.ReverseOrder)
	page, next, err := paginate(scope, events, func(e types.HistoryEvent) int64 { return e.Id }, in.ReverseOrder, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []types.HistoryEvent{}
	}
	noData := in.IncludeExecutionData != nil && !*in.IncludeExecutionData
	out := map[string]any{"events": wire(page, noData)}
	if next != nil {
		out["nextToken"] = *next
	}
	return out, nil
}

func (s *Server) findMachine(arn *string) (*machine, *apiError) {
	if _, err := parseARN(arn, "stateMachine"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	m := s.machines[*arn]
	s.mu.Unlock()
	if m == nil {
		return nil, clientError(errStateMachineDoesNotExist, "State Machine Does Not Exist: '"+*arn+"'")
	}
	return m, nil
}

func (s *Server) describeStateMachine(_ context.Context, body []byte) (any, *apiError) {
	var in sfn.DescribeStateMachineInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	m, err := s.findMachine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	return &sfn.DescribeStateMachineOutput{
		StateMachineArn: aws.String(m.sm.ARN),
		Name:            aws.String(m.sm.Name),
		Status:          types.StateMachineStatusActive,
		Definition:      aws.String(string(m.opt.Definition)),
		RoleArn:         aws.String(m.opt.RoleARN),
		Type:            m.opt.Type,
		CreationDate:    aws.Time(m.created),
		Description:     nonEmpty(m.sm.Comment),
	}, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) describeStateMachineForExecution(_ context.Context, body []byte) (any, *apiError) {
	var in sfn.DescribeStateMachineForExecutionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	f, err := s.findExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if f.top == nil {
		return nil, clientError(errValidation, "DescribeStateMachineForExecution takes an execution started with StartExecution, not a Map Run's child execution")
	}
	m := f.top.m
	return &sfn.DescribeStateMachineForExecutionOutput{
		StateMachineArn: aws.String(m.sm.ARN),
		Name:            aws.String(m.sm.Name),
		Definition:      aws.String(string(m.opt.Definition)),
		RoleArn:         aws.String(m.opt.RoleARN),
		UpdateDate:      aws.Time(m.created),
	}, nil
}

func (s *Server) listStateMachines(_ context.Context, body []byte) (any, *apiError) {
	var in sfn.ListStateMachinesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, aerr := pageSize(in.MaxResults)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	ms := slices.Clone(s.order)
	s.mu.Unlock()
	page, next, err := paginate("stateMachines", ms, func(m *machine) int64 { return int64(slices.Index(ms, m)) }, false, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	out := &sfn.ListStateMachinesOutput{StateMachines: []types.StateMachineListItem{}, NextToken: next}
	for _, m := range page {
		out.StateMachines = append(out.StateMachines, types.StateMachineListItem{
			StateMachineArn: aws.String(m.sm.ARN), Name: aws.String(m.sm.Name), Type: m.opt.Type, CreationDate: aws.Time(m.created),
		})
	}
	return out, nil
}

func (s *Server) listMapRuns(_ context.Context, body []byte) (any, *apiError) {
	var in sfn.ListMapRunsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, aerr := pageSize(in.MaxResults)
	if aerr != nil {
		return nil, aerr
	}
	f, err := s.findExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	runs := f.x.MapRuns()
	slices.Reverse(runs) // newest first
	index := func(r *states.MapRun) int64 { return int64(len(runs) - 1 - slices.Index(runs, r)) }
	page, next, err := paginate("mapRuns "+f.x.ARN, runs, index, true, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	out := &sfn.ListMapRunsOutput{MapRuns: []types.MapRunListItem{}, NextToken: next}
	for _, run := range page {
		info := mapRunInfo(f.x, run)
		out.MapRuns = append(out.MapRuns, types.MapRunListItem{
			ExecutionArn: aws.String(f.x.ARN), MapRunArn: aws.String(run.ARN), StateMachineArn: aws.String(mapRunMachineARN(run.ARN)),
			StartDate: info.start, StopDate: info.stop,
		})
	}
	return out, nil
}

func (s *Server) describeMapRun(_ context.Context, body []byte) (any, *apiError) {
	var in sfn.DescribeMapRunInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	parent, run, err := s.findMapRun(in.MapRunArn)
	if err != nil {
		return nil, err
	}
	info := mapRunInfo(parent, run)
	counts := info.counts
	return &sfn.DescribeMapRunOutput{
		MapRunArn:                  aws.String(run.ARN),
		ExecutionArn:               aws.String(parent.ARN),
		Status:                     info.status,
		StartDate:                  info.start,
		StopDate:                   info.stop,
		ItemCounts:                 &counts,
		MaxConcurrency:             int32(run.MaxConcurrency),
		ToleratedFailurePercentage: float32(run.ToleratedFailurePercentage),
		ToleratedFailureCount:      run.ToleratedFailureCount,
		ExecutionCounts:            &types.MapRunExecutionCounts{Pending: counts.Pending, Running: counts.Running, Succeeded: counts.Succeeded, Failed: counts.Failed, TimedOut: counts.TimedOut, Aborted: counts.Aborted, Total: counts.Total},
	}, nil
}

// mapRunMachineARN is the state machine ARN of a Map Run's children
// (arn:aws:states:r:a:mapRun:machine/label:id → ...:stateMachine:machine/label).
func mapRunMachineARN(runARN string) string {
	r, err := arn.ParseMapRun(runARN)
	if err != nil {
		return ""
	}
	return r.Children().String()
}

type runInfo struct {
	status      types.MapRunStatus
	start, stop *time.Time
	counts      types.MapRunItemCounts
}

// mapRunInfo derives a Map Run's status and times from its parent's
// history (MapRunStarted and the matching MapRunSucceeded/Failed), and its
// counts from its child executions.
func mapRunInfo(parent *states.Execution, run *states.MapRun) runInfo {
	info := runInfo{status: types.MapRunStatusRunning}
	hist := parent.History()
	depth := -1
	for _, ev := range hist {
		switch {
		case depth < 0:
			if ev.Type == types.HistoryEventTypeMapRunStarted && ev.MapRunStartedEventDetails != nil && aws.ToString(ev.MapRunStartedEventDetails.MapRunArn) == run.ARN {
				info.start = ev.Timestamp
				depth = 0
			}
		case ev.Type == types.HistoryEventTypeMapRunStarted:
			depth++
		case ev.Type == types.HistoryEventTypeMapRunSucceeded || ev.Type == types.HistoryEventTypeMapRunFailed || ev.Type == types.HistoryEventTypeMapRunAborted:
			if depth > 0 {
				depth--
				continue
			}
			info.stop = ev.Timestamp
			info.status = map[types.HistoryEventType]types.MapRunStatus{
				types.HistoryEventTypeMapRunSucceeded: types.MapRunStatusSucceeded,
				types.HistoryEventTypeMapRunFailed:    types.MapRunStatusFailed,
				types.HistoryEventTypeMapRunAborted:   types.MapRunStatusAborted,
			}[ev.Type]
			depth = -2
		}
		if depth == -2 {
			break
		}
	}
	if info.stop == nil && parent.Status() != states.StatusRunning {
		// The parent ended while the run was not finished: it was stopped.
		info.status = types.MapRunStatusAborted
		info.stop = aws.Time(parent.StopTime())
	}
	children := run.Children()
	c := &info.counts
	c.Total = int64(len(children))
	for _, x := range children {
		if x == nil {
			c.Pending++
			continue
		}
		if info.start == nil || x.StartTime.Before(*info.start) {
			info.start = aws.Time(x.StartTime)
		}
		switch x.Status() {
		case states.StatusRunning:
			c.Running++
		case states.StatusSucceeded:
			c.Succeeded++
		case states.StatusFailed:
			c.Failed++
		case states.StatusTimedOut:
			c.TimedOut++
		case states.StatusAborted:
			c.Aborted++
		}
	}
	if info.start == nil {
		info.start = aws.Time(parent.StartTime)
	}
	return info
}
