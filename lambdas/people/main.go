// Command people is the people step's Lambda: see shared/steps (Steps.People).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/names"
)

func main() { lambdamain.Run(names.StepPeople) }
