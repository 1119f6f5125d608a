// Command aggregate is the aggregate step's Lambda: see shared/steps (Steps.Aggregate).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/names"
)

func main() { lambdamain.Run(names.StepAggregate) }
