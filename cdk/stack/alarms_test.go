package stack

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/metrics"
	"github.com/divinepic/pipeline/shared/names"
)

func TestAlarms(t *testing.T) {
	s, err := synth(t, filepath.Join(t.TempDir(), "repo"), filepath.Join(t.TempDir(), "out"), func(p *Props) {
		p.AlarmEmail = "ops@example.com"
	})
	require.NoError(t, err)
	var topicID string
	for id := range s.resources("AWS::SNS::Topic") {
		topicID = id
	}
	require.NotEmpty(t, topicID)
	subs := s.resources("AWS::SNS::Subscription")
	require.Len(t, subs, 1)
	for _, r := range subs {
		assert.Equal(t, "email", props(r)["Protocol"])
		assert.Equal(t, "ops@example.com", props(r)["Endpoint"])
	}

	byName := map[string]map[string]any{}
	for _, r := range s.resources("AWS::CloudWatch::Alarm") {
		byName[props(r)["AlarmName"].(string)] = props(r)
	}
	want := map[string]float64{
		AlarmExecutionsFailed:    1,
		AlarmExecutionsTimedOut:  1,
		AlarmPhotoFailureRatio:   PhotoFailureAlarmPercent,
		AlarmNightlyDeadLetters:  1,
		AlarmNightlyAlbumsFailed: 1,
	}
	for _, step := range names.Lambdas {
		want[AlarmFunctionThrottles(step)] = 1
		want[AlarmFunctionErrors(step)] = 1
	}
	want[AlarmFunctionErrors(names.StepDetect)] = PhotoErrorAlarmPercent
	want[AlarmFunctionErrors(names.StepEmbed)] = PhotoErrorAlarmPercent
	assert.Len(t, byName, len(want))
	for name, threshold := range want {
		a, ok := byName["DivinePicTest-"+name]
		if !assert.True(t, ok, "alarm %s", name) {
			continue
		}
		assert.Equal(t, threshold, a["Threshold"], name)
		assert.Equal(t, []any{ref(topicID)}, a["AlarmActions"], "%s pages through the topic", name)
		assert.Equal(t, "notBreaching", a["TreatMissingData"], name)
	}
	ratio := byName["DivinePicTest-"+AlarmPhotoFailureRatio]
	var metricNames []string
	for _, m := range ratio["Metrics"].([]any) {
		if stat, ok := m.(map[string]any)["MetricStat"].(map[string]any); ok {
			metric := stat["Metric"].(map[string]any)
			assert.Equal(t, "DivinePic/DivinePicTest", metric["Namespace"])
			metricNames = append(metricNames, metric["MetricName"].(string))
		}
	}
	assert.ElementsMatch(t, []string{metrics.PhotosFailed, metrics.PhotosProcessed}, metricNames)
	for _, r := range s.resources("AWS::Lambda::Function") {
		env := props(r)["Environment"].(map[string]any)["Variables"].(map[string]any)
		assert.Equal(t, "DivinePic/DivinePicTest", env[names.EnvMetricsNamespace], "the Lambdas write where the alarms read")
	}
	assert.Len(t, s.resources("AWS::CloudWatch::Dashboard"), 1)

	t.Run("without an address, no subscription", func(t *testing.T) {
		assert.Empty(t, defaultStack(t).resources("AWS::SNS::Subscription"))
	})
}

func TestScheduleDeadLetters(t *testing.T) {
	s := defaultStack(t)
	var queueID string
	for id := range s.resources("AWS::SQS::Queue") {
		queueID = id
	}
	require.NotEmpty(t, queueID)
	for _, r := range s.resources("AWS::Scheduler::Schedule") {
		target := props(r)["Target"].(map[string]any)
		assert.Equal(t, map[string]any{"Arn": getAtt(queueID, "Arn")}, target["DeadLetterConfig"])
		assert.Equal(t, map[string]any{"MaximumEventAgeInSeconds": float64(7200), "MaximumRetryAttempts": float64(DefaultScheduleRetries)}, target["RetryPolicy"])
		role := target["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		stmts := s.policyStatements(role)
		assert.True(t, allows(stmts, "sqs:SendMessage", queueID), "the schedule may dead-letter")
		assert.True(t, allows(stmts, "lambda:InvokeFunction", s.functionID(t, names.StepReprocess)))
	}
}
