// Command search is the search step's Lambda: see shared/steps (Steps.Search).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/names"
)

func main() { lambdamain.Run(names.StepSearch) }
