package stack

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/divinepic/pipeline/shared/metrics"
	"github.com/divinepic/pipeline/shared/names"
)

// Alarm thresholds.
const (
	// PhotoFailureAlarmPercent: photos failed per photo processed, over an
	// hour, above which an operator is paged: well before the Map's
	// tolerated failure percentage (5) fails whole albums.
	PhotoFailureAlarmPercent = 2
	// PhotoErrorAlarmPercent: detect's and embed's error rate over 15
	// minutes. A bad photo is a function error (ImageUnreadable), so one
	// is not an alarm; a broken deployment fails most invocations.
	PhotoErrorAlarmPercent = 5
)

// Alarm names, the keys of Stack.Alarms.
const (
	AlarmExecutionsFailed    = "ExecutionsFailed"
	AlarmExecutionsTimedOut  = "ExecutionsTimedOut"
	AlarmPhotoFailureRatio   = "PhotoFailureRatio"
	AlarmNightlyDeadLetters  = "NightlyDeadLetters"
	AlarmNightlyAlbumsFailed = "NightlyAlbumsFailed"
)

// AlarmFunctionErrors and AlarmFunctionThrottles name a step's alarms.
func AlarmFunctionErrors(step string) string    { return logicalSuffix(step) + "Errors" }
func AlarmFunctionThrottles(step string) string { return logicalSuffix(step) + "Throttles" }

// lambda is a step's function, or the app's.
func (s *Stack) lambda(name string) awslambda.Function {
	if name == names.App {
		return s.App
	}
	return s.Functions[name]
}

// metricsNamespace is where the Lambdas write the pipeline's metrics.
func metricsNamespace(stackName string) string { return "DivinePic/" + stackName }

// newOperations adds what an operator watches: the alarms, to an SNS topic
// (with an e-mail subscription when Props.AlarmEmail is set), and a
// dashboard of album throughput and failures and of the nightly job.
func (s *Stack) newOperations(p *Props, stackName string) {
	st := s.Stack
	s.AlarmTopic = awssns.NewTopic(st, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("DivinePic " + stackName + " alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	if p.AlarmEmail != "" {
		s.AlarmTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(p.AlarmEmail), nil))
	}
	action := awscloudwatchactions.NewSnsAction(s.AlarmTopic)
	s.Alarms = map[string]awscloudwatch.Alarm{}
	alarm := func(name, desc string, m awscloudwatch.IMetric, threshold float64, op awscloudwatch.ComparisonOperator) {
		a := awscloudwatch.NewAlarm(st, jsii.String(name+"Alarm"), &awscloudwatch.AlarmProps{
			Metric:             m,
			AlarmName:          jsii.String(stackName + "-" + name),
			AlarmDescription:   jsii.String(desc),
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: op,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		s.Alarms[name] = a
	}
	atLeastOne := awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	above := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
	five := awscdk.Duration_Minutes(jsii.Number(5))
	sum := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five}
	pipeline := func(name string, period awscdk.Duration) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(metricsNamespace(stackName)),
			MetricName: jsii.String(name), Statistic: jsii.String("Sum"), Period: period})
	}

	sm := s.StateMachine
	alarm(AlarmExecutionsFailed, "an album execution failed (listing, the photos' Map Run as a whole, too many failed photos in ReportFailures, aggregation or people): see its history; once the cause is fixed, start the album again for failed photos (a redrive reports the same ones), redrive it otherwise",
		sm.MetricFailed(sum), 1, atLeastOne)
	alarm(AlarmExecutionsTimedOut, "an album execution timed out", sm.MetricTimedOut(sum), 1, atLeastOne)

	hour := awscdk.Duration_Hours(jsii.Number(1))
	ratio := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(processed > 0, 100 * failed / processed, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"failed":    pipeline(metrics.PhotosFailed, hour),
			"processed": pipeline(metrics.PhotosProcessed, hour),
		},
		Period: hour,
		Label:  jsii.String("photos failed, % of processed"),
	})
	alarm(AlarmPhotoFailureRatio, fmt.Sprintf("over %d%% of the photos processed in the last hour failed (the Map runs' failures, as Aggregate counts them): see the albums' summaries", PhotoFailureAlarmPercent),
		ratio, PhotoFailureAlarmPercent, above)

	for _, step := range names.Lambdas {
		fn := s.lambda(step)
		if fn == nil {
			continue
		}
		if step == names.StepDetect || step == names.StepEmbed {
			quarter := awscdk.Duration_Minutes(jsii.Number(15))
			rate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression: jsii.String("IF(invocations > 0, 100 * errors / invocations, 0)"),
				UsingMetrics: &map[string]awscloudwatch.IMetric{
					"errors":      fn.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: quarter}),
					"invocations": fn.MetricInvocations(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: quarter}),
				},
				Period: quarter,
				Label:  jsii.String(step + " errors, % of invocations"),
			})
			alarm(AlarmFunctionErrors(step), fmt.Sprintf("over %d%% of %s's invocations failed in 15 minutes", PhotoErrorAlarmPercent, step),
				rate, PhotoErrorAlarmPercent, above)
		} else {
			alarm(AlarmFunctionErrors(step), step+" returned an error", fn.MetricErrors(sum), 1, atLeastOne)
		}
		alarm(AlarmFunctionThrottles(step), step+" was throttled (its reserved concurrency or the account's is exhausted)",
			fn.MetricThrottles(sum), 1, atLeastOne)
	}
	alarm(AlarmNightlyDeadLetters, "the nightly schedule could not invoke reprocess after its retries: the message in the queue has the scheduled time; invoke reprocess with it",
		s.ScheduleDLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: five}), 1, atLeastOne)
	alarm(AlarmNightlyAlbumsFailed, "the nightly job could not start some albums: its log line lists them with the reason",
		pipeline(metrics.NightlyAlbumsFailed, awscdk.Duration_Hours(jsii.Number(24))), 1, atLeastOne)

	s.newDashboard(stackName, pipeline, ratio)
}

func (s *Stack) newDashboard(stackName string, pipeline func(string, awscdk.Duration) awscloudwatch.Metric, ratio awscloudwatch.IMetric) {
	hour := awscdk.Duration_Hours(jsii.Number(1))
	day := awscdk.Duration_Days(jsii.Number(1))
	graph := func(title string, ms ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &ms, Width: jsii.Number(12)})
	}
	sum := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: hour}
	sm := s.StateMachine
	var durations, errors []awscloudwatch.IMetric
	for _, step := range names.Lambdas {
		fn := s.lambda(step)
		if fn == nil {
			continue
		}
		durations = append(durations, fn.MetricDuration(&awscloudwatch.MetricOptions{Statistic: jsii.String("p90"), Period: hour, Label: jsii.String(step + " p90")}))
		errors = append(errors, fn.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: hour, Label: jsii.String(step)}))
	}
	var alarms []interfacesawscloudwatch.IAlarmRef
	for _, name := range slices.Sorted(maps.Keys(s.Alarms)) {
		alarms = append(alarms, s.Alarms[name])
	}
	s.Dashboard = awscloudwatch.NewDashboard(s.Stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(stackName + "-pipeline"),
		Widgets: &[]*[]awscloudwatch.IWidget{
			{graph("Album executions", sm.MetricStarted(sum), sm.MetricSucceeded(sum), sm.MetricFailed(sum), sm.MetricTimedOut(sum)),
				graph("Photos per hour", pipeline(metrics.PhotosProcessed, hour), pipeline(metrics.PhotosFailed, hour), pipeline(metrics.PhotosSkipped, hour))},
			{graph("Photos failed, % of processed", ratio),
				graph("Nightly job (per day)", pipeline(metrics.NightlyAlbumsStarted, day), pipeline(metrics.NightlyAlbumsUpToDate, day), pipeline(metrics.NightlyAlbumsFailed, day))},
			{graph("Function duration p90 (ms)", durations...), graph("Function errors", errors...)},
			{awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(24)})},
		},
	})
}
