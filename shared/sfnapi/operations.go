package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/execstore"
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
	"RedriveExecution":                 (*Server).redriveExecution,
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
	arn := executionARN(m.sm.ARN, name)
	if prev := s.running[arn]; prev != nil {
		// A STANDARD execution started again with the same name and input
		// while it runs is the same execution; otherwise the name is taken.
		if m.opt.Type == types.StateMachineTypeStandard && prev.input == input {
			rec, err := s.store.Execution(context.Background(), arn)
			if err == nil {
				return &sfn.StartExecutionOutput{ExecutionArn: aws.String(arn), StartDate: aws.Time(rec.Start)}, nil
			}
		}
		return nil, clientError(errExecutionAlreadyExists, "Execution Already Exists: '"+arn+"'")
	}
	// Names stay taken after the execution ends, and across restarts.
	if _, err := s.store.Execution(context.Background(), arn); err == nil {
		return nil, clientError(errExecutionAlreadyExists, "Execution Already Exists: '"+arn+"'")
	} else if !errors.Is(err, execstore.ErrNotFound) {
		return nil, internalError(err)
	}
	start := time.Now()
	if err := s.store.Started(arn, m.sm.ARN, name, start, input, aws.ToString(in.TraceHeader)); err != nil {
		return nil, internalError(err)
	}
	e := &execution{m: m, arn: arn, input: input, stop: make(chan struct{})}
	s.running[arn] = e
	s.launch(e, []states.StartOption{states.WithName(name)}, start)
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(arn), StartDate: aws.Time(start)}, nil
}

// launch runs e once a slot is free (s.mu held).
func (s *Server) launch(e *execution, opts []states.StartOption, queued time.Time) {
	opts = append(opts, states.WithRecorder(s.store.Recorder()))
	if e.m.opt.Listener != nil {
		opts = append(opts, states.WithListener(e.m.opt.Listener))
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.finished(e)
		select {
		case s.slots <- struct{}{}:
		case <-e.stop:
			e.mu.Lock()
			st := e.stopEr
			e.mu.Unlock()
			s.store.Aborted(e.arn, st.Name, st.Cause, time.Now())
			s.log.Info("execution stopped before it ran", "execution", e.arn)
			return
		}
		defer func() { <-s.slots }()
		e.mu.Lock()
		x, err := e.m.sm.Start(s.ctx, []byte(e.input), opts...)
		e.x = x
		e.mu.Unlock()
		if err != nil {
			s.store.Aborted(e.arn, states.ErrRuntime, err.Error(), time.Now())
			return
		}
		select {
		case <-e.stop: // stopped between the slot and the start
			x.Stop(e.stopEr.Name, e.stopEr.Cause)
		default:
		}
		s.log.Info("execution started", "execution", x.ARN, "name", x.Name, "waited_ms", time.Since(queued).Milliseconds(), "redrive_count", x.RedriveCount())
		x.Wait()
		attrs := []any{"execution", x.ARN, "name", x.Name, "status", string(x.Status()), "duration_ms", x.StopTime().Sub(x.StartTime).Milliseconds()}
		if err := x.Err(); err != nil {
			attrs = append(attrs, "error", err.Name, "cause", err.Cause)
		}
		s.log.Info("execution finished", attrs...)
	}()
}

func (s *Server) finished(e *execution) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[e.arn] == e {
		delete(s.running, e.arn)
	}
	s.recent = append(s.recent, e)
	if len(s.recent) > keepRecent {
		s.recent = slices.Delete(s.recent, 0, len(s.recent)-keepRecent)
	}
}

// executionARN is the ARN of the execution name of a state machine.
func executionARN(machineARN, name string) string {
	m, err := arn.ParseStateMachine(machineARN)
	if err != nil {
		return ""
	}
	return m.Execution(name).String()
}

func internalError(err error) *apiError {
	return &apiError{status: http.StatusInternalServerError, typ: "InternalFailure", msg: "the execution store failed: " + errText(err)}
}

// errText is an error's message without file paths.
func errText(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "/"); i >= 0 {
		return strings.TrimSpace(msg[:i]) + " (details in the server log)"
	}
	return msg
}

func (s *Server) findExecution(ctx context.Context, arn *string) (*execstore.Record, *apiError) {
	if _, err := parseARN(arn, "execution", "express"); err != nil {
		return nil, err
	}
	rec, err := s.store.Execution(ctx, *arn)
	if errors.Is(err, execstore.ErrNotFound) {
		return nil, clientError(errExecutionDoesNotExist, "Execution Does Not Exist: '"+*arn+"'")
	}
	if err != nil {
		return nil, internalError(err)
	}
	return rec, nil
}

func (s *Server) describeExecution(ctx context.Context, body []byte) (any, *apiError) {
	var in sfn.DescribeExecutionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.findExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := &sfn.DescribeExecutionOutput{
		ExecutionArn:    aws.String(rec.ARN),
		StateMachineArn: aws.String(rec.Machine),
		Name:            aws.String(rec.Name),
		Status:          types.ExecutionStatus(rec.Status),
		StartDate:       aws.Time(rec.Start),
		Input:           aws.String(rec.Input),
		InputDetails:    &types.CloudWatchEventsExecutionDataDetails{Included: true},
		RedriveCount:    aws.Int32(int32(rec.RedriveCount)),
	}
	out.RedriveStatus, out.RedriveStatusReason = s.redriveStatus(rec)
	if !rec.RedriveDate.IsZero() {
		out.RedriveDate = aws.Time(rec.RedriveDate)
	}
	if rec.TraceHeader != "" {
		out.TraceHeader = aws.String(rec.TraceHeader)
	}
	if rec.MapRun != "" {
		out.MapRunArn = aws.String(rec.MapRun)
	}
	if rec.Status != string(states.StatusRunning) {
		out.StopDate = aws.Time(rec.Stop)
	}
	switch {
	case rec.Status == string(states.StatusSucceeded):
		out.Output = aws.String(rec.Output)
		out.OutputDetails = &types.CloudWatchEventsExecutionDataDetails{Included: true}
	case rec.Status != string(states.StatusRunning):
		out.Error = nonEmpty(rec.Error)
		out.Cause = nonEmpty(rec.Cause)
	}
	return out, nil
}

// redriveStatus says whether RedriveExecution takes the execution.
func (s *Server) redriveStatus(rec *execstore.Record) (types.ExecutionRedriveStatus, *string) {
	switch {
	case rec.MapRun != "":
		return types.ExecutionRedriveStatusRedrivableByMapRun, nil
	case rec.Status == string(states.StatusRunning) || rec.Status == string(states.StatusSucceeded):
		return types.ExecutionRedriveStatusNotRedrivable, aws.String("Execution is " + rec.Status + " and cannot be redriven")
	}
	if m, _ := s.Machine(rec.Machine); m == nil {
		return types.ExecutionRedriveStatusNotRedrivable, aws.String("The state machine of the execution is not served")
	}
	return types.ExecutionRedriveStatusRedrivable, nil
}

func (s *Server) redriveExecution(ctx context.Context, body []byte) (any, *apiError) {
	var in sfn.RedriveExecutionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, aerr := s.findExecution(ctx, in.ExecutionArn)
	if aerr != nil {
		return nil, aerr
	}
	st, why := s.redriveStatus(rec)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, &apiError{status: http.StatusServiceUnavailable, typ: "ServiceUnavailable", msg: "the server is shutting down"}
	}
	if s.running[rec.ARN] != nil {
		st, why = types.ExecutionRedriveStatusNotRedrivable, aws.String("Execution is RUNNING and cannot be redriven")
	}
	if st != types.ExecutionRedriveStatusRedrivable {
		msg := aws.ToString(why)
		if rec.MapRun != "" {
			msg = "A Map Run's child execution is redriven by redriving its parent execution"
		}
		return nil, clientError(errExecutionNotRedrivable, "Execution is not redrivable: "+msg)
	}
	m := s.machines[rec.Machine]
	if m.opt.Type != types.StateMachineTypeStandard {
		return nil, clientError(errExecutionNotRedrivable, "Execution is not redrivable: EXPRESS executions cannot be redriven")
	}
	rd, err := s.store.Prior(rec, m.sm)
	if err != nil {
		return nil, internalError(err)
	}
	if err := s.store.Redriving(rec.ARN, rd.Count, rd.Date); err != nil {
		return nil, internalError(err)
	}
	e := &execution{m: m, arn: rec.ARN, input: rec.Input, stop: make(chan struct{})}
	s.running[rec.ARN] = e
	s.launch(e, []states.StartOption{states.WithName(rec.Name), states.WithRedrive(rd)}, rd.Date)
	return &sfn.RedriveExecutionOutput{RedriveDate: aws.Time(rd.Date)}, nil
}

// Redrive redrives an execution as RedriveExecution does (for the console).
func (s *Server) Redrive(ctx context.Context, arn string) error {
	body, _ := json.Marshal(map[string]string{"executionArn": arn})
	if _, err := s.redriveExecution(ctx, body); err != nil {
		return err
	}
	return nil
}

// Stop stops an execution as StopExecution does (for the console).
func (s *Server) Stop(ctx context.Context, arn, errName, cause string) error {
	body, _ := json.Marshal(map[string]string{"executionArn": arn, "error": errName, "cause": cause})
	if _, err := s.stopExecution(ctx, body); err != nil {
		return err
	}
	return nil
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
	rec, err := s.findExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	e := s.running[rec.ARN]
	s.mu.Unlock()
	if e != nil {
		e.abort(aws.ToString(in.Error), aws.ToString(in.Cause))
		t := time.NewTimer(stopWaitLimit)
		defer t.Stop()
		for {
			s.mu.Lock()
			still := s.running[rec.ARN] == e
			s.mu.Unlock()
			if !still {
				break
			}
			select {
			case <-ctx.Done():
			case <-t.C:
			case <-time.After(5 * time.Millisecond):
				continue
			}
			break
		}
		if r, err := s.store.Execution(ctx, rec.ARN); err == nil {
			rec = r
		}
	}
	stop := rec.Stop
	if stop.IsZero() {
		stop = time.Now()
	}
	return &sfn.StopExecutionOutput{StopDate: aws.Time(stop)}, nil
}

func (s *Server) listExecutions(ctx context.Context, body []byte) (any, *apiError) {
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
	q := execstore.Query{Status: string(in.StatusFilter), Limit: limit, Descending: true}
	var scope string
	if in.StateMachineArn != nil {
		if _, err := parseARN(in.StateMachineArn, "stateMachine"); err != nil {
			return nil, err
		}
		if m, _ := s.Machine(*in.StateMachineArn); m == nil {
			return nil, clientError(errStateMachineDoesNotExist, "State Machine Does Not Exist: '"+*in.StateMachineArn+"'")
		}
		q.Machine = *in.StateMachineArn
		scope = "executions " + *in.StateMachineArn + " " + string(in.StatusFilter)
	} else {
		if _, err := s.findMapRun(ctx, in.MapRunArn); err != nil {
			return nil, err
		}
		q.MapRun = *in.MapRunArn
		scope = "executions " + *in.MapRunArn + " " + string(in.StatusFilter)
	}
	after, terr := readToken(scope, in.NextToken)
	if terr != nil {
		return nil, terr
	}
	q.After = after
	recs, more, err := s.store.List(ctx, q)
	if err != nil {
		return nil, internalError(err)
	}
	out := &sfn.ListExecutionsOutput{Executions: []types.ExecutionListItem{}}
	for _, r := range recs {
		it := types.ExecutionListItem{
			ExecutionArn: aws.String(r.ARN), StateMachineArn: aws.String(r.Machine), Name: aws.String(r.Name),
			Status: types.ExecutionStatus(r.Status), StartDate: aws.Time(r.Start), RedriveCount: aws.Int32(int32(r.RedriveCount)),
		}
		if r.Status != string(states.StatusRunning) {
			it.StopDate = aws.Time(r.Stop)
		}
		if !r.RedriveDate.IsZero() {
			it.RedriveDate = aws.Time(r.RedriveDate)
		}
		if r.MapRun != "" {
			it.MapRunArn = aws.String(r.MapRun)
		}
		out.Executions = append(out.Executions, it)
	}
	if more {
		last := recs[len(recs)-1]
		key := last.Seq
		if q.MapRun != "" {
			key = int64(last.Item)
		}
		out.NextToken = makeToken(scope, key)
	}
	return out, nil
}

func (s *Server) getExecutionHistory(ctx context.Context, body []byte) (any, *apiError) {
	var in sfn.GetExecutionHistoryInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, aerr := pageSize(in.MaxResults)
	if aerr != nil {
		return nil, aerr
	}
	rec, err := s.findExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	scope := fmt.Sprintf("history %s %t", rec.ARN, in.ReverseOrder)
	after, terr := readToken(scope, in.NextToken)
	if terr != nil {
		return nil, terr
	}
	if rec.Status == string(states.StatusRunning) || rec.MapRun != "" {
		s.store.Flush() // what a running execution did so far
	}
	page, more, serr := s.store.History(ctx, rec.ARN, after, limit, in.ReverseOrder)
	if serr != nil {
		return nil, internalError(serr)
	}
	if page == nil {
		page = []types.HistoryEvent{}
	}
	noData := in.IncludeExecutionData != nil && !*in.IncludeExecutionData
	out := map[string]any{"events": wire(page, noData)}
	if more {
		out["nextToken"] = *makeToken(scope, page[len(page)-1].Id)
	}
	return out, nil
}

func (s *Server) describeStateMachineForExecution(ctx context.Context, body []byte) (any, *apiError) {
	var in sfn.DescribeStateMachineForExecutionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.findExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if rec.MapRun != "" {
		return nil, clientError(errValidation, "DescribeStateMachineForExecution takes an execution started with StartExecution, not a Map Run's child execution")
	}
	m, aerr := s.findMachine(&rec.Machine)
	if aerr != nil {
		return nil, aerr
	}
	return &sfn.DescribeStateMachineForExecutionOutput{
		StateMachineArn: aws.String(m.sm.ARN),
		Name:            aws.String(m.sm.Name),
		Definition:      aws.String(string(m.opt.Definition)),
		RoleArn:         aws.String(m.opt.RoleARN),
		UpdateDate:      aws.Time(m.created),
	}, nil
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

func (s *Server) findMapRun(ctx context.Context, arn *string) (*execstore.MapRun, *apiError) {
	if _, err := parseARN(arn, "mapRun"); err != nil {
		return nil, err
	}
	run, err := s.store.MapRun(ctx, *arn)
	if errors.Is(err, execstore.ErrNotFound) {
		return nil, clientError(errResourceNotFound, "Resource not found: '"+*arn+"'")
	}
	if err != nil {
		return nil, internalError(err)
	}
	return run, nil
}

func (s *Server) listMapRuns(ctx context.Context, body []byte) (any, *apiError) {
	var in sfn.ListMapRunsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, aerr := pageSize(in.MaxResults)
	if aerr != nil {
		return nil, aerr
	}
	rec, err := s.findExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	s.store.Flush()
	runs, serr := s.store.MapRuns(ctx, rec.ARN)
	if serr != nil {
		return nil, internalError(serr)
	}
	slices.Reverse(runs) // newest first
	index := func(r *execstore.MapRun) int64 { return int64(len(runs) - 1 - slices.Index(runs, r)) }
	page, next, err := paginate("mapRuns "+rec.ARN, runs, index, true, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	out := &sfn.ListMapRunsOutput{MapRuns: []types.MapRunListItem{}, NextToken: next}
	for _, run := range page {
		it := types.MapRunListItem{
			ExecutionArn: aws.String(rec.ARN), MapRunArn: aws.String(run.ARN), StateMachineArn: aws.String(mapRunMachineARN(run.ARN)),
			StartDate: aws.Time(run.Start),
		}
		if !run.Stop.IsZero() {
			it.StopDate = aws.Time(run.Stop)
		}
		out.MapRuns = append(out.MapRuns, it)
	}
	return out, nil
}

func (s *Server) describeMapRun(ctx context.Context, body []byte) (any, *apiError) {
	var in sfn.DescribeMapRunInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.store.Flush()
	run, err := s.findMapRun(ctx, in.MapRunArn)
	if err != nil {
		return nil, err
	}
	c, serr := s.store.Counts(ctx, run)
	if serr != nil {
		return nil, internalError(serr)
	}
	ic, serr := s.store.ItemCounts(ctx, run)
	if serr != nil {
		return nil, internalError(serr)
	}
	counts := types.MapRunItemCounts{Pending: int64(ic.Pending), Running: int64(ic.Running), Succeeded: int64(ic.Succeeded), Failed: int64(ic.Failed),
		TimedOut: int64(ic.TimedOut), Aborted: int64(ic.Aborted), Total: int64(ic.Total)}
	out := &sfn.DescribeMapRunOutput{
		MapRunArn:                  aws.String(run.ARN),
		ExecutionArn:               aws.String(run.Execution),
		Status:                     types.MapRunStatus(run.Status),
		StartDate:                  aws.Time(run.Start),
		ItemCounts:                 &counts,
		MaxConcurrency:             int32(run.MaxConcurrency),
		ToleratedFailurePercentage: float32(run.ToleratedFailurePercentage),
		ToleratedFailureCount:      run.ToleratedFailureCount,
		ExecutionCounts: &types.MapRunExecutionCounts{Pending: int64(c.Pending), Running: int64(c.Running), Succeeded: int64(c.Succeeded), Failed: int64(c.Failed),
			TimedOut: int64(c.TimedOut), Aborted: int64(c.Aborted), Total: int64(c.Total)},
		RedriveCount: aws.Int32(int32(run.RedriveCount)),
	}
	if !run.Stop.IsZero() {
		out.StopDate = aws.Time(run.Stop)
	}
	if !run.RedriveDate.IsZero() {
		out.RedriveDate = aws.Time(run.RedriveDate)
	}
	return out, nil
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

// mapRunMachineARN is the state machine ARN of a Map Run's children
// (arn:aws:states:r:a:mapRun:machine/label:id → ...:stateMachine:machine/label).
func mapRunMachineARN(runARN string) string {
	r, err := arn.ParseMapRun(runARN)
	if err != nil {
		return ""
	}
	return r.Children().String()
}
