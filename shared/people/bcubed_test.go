package people

// bcubed is the BCubed precision and recall of a clustering (Bagga and
// Baldwin 1998; Amigó et al. 2009): for each face, the share of its
// cluster that has its label (precision) and the share of its label that
// is in its cluster (recall), averaged over faces. Faces absent from every
// person count as clusters of their own.
func bcubed(persons []Person, label map[string]int) (precision, recall float64) {
	clusterOf := map[string]int{}
	for i, p := range persons {
		for _, f := range p.Faces {
			clusterOf[f] = i
		}
	}
	next := len(persons)
	for f := range label {
		if _, ok := clusterOf[f]; !ok {
			clusterOf[f] = next
			next++
		}
	}
	size := map[int]int{}
	labelSize := map[int]int{}
	both := map[[2]int]int{}
	for f, l := range label {
		c := clusterOf[f]
		size[c]++
		labelSize[l]++
		both[[2]int{c, l}]++
	}
	for f, l := range label {
		c := clusterOf[f]
		n := float64(both[[2]int{c, l}])
		precision += n / float64(size[c])
		recall += n / float64(labelSize[l])
	}
	return precision / float64(len(label)), recall / float64(len(label))
}
