package gtn

// Mean records the mean of one-element Vars (for example the losses of the
// examples of a batch). Vars without gradient are averaged but receive
// none.
func (tp *Tape) Mean(vs []*Var) *Var {
	needGrad := false
	sum := 0.0
	for _, v := range vs {
		sum += float64(v.Value.Data[0])
		needGrad = needGrad || v.Grad != nil
	}
	out := tp.NewVar(needGrad, 1)
	if len(vs) == 0 {
		return out
	}
	n := float64(len(vs))
	out.Value.Data[0] = float32(sum / n)
	if out.Grad != nil {
		tp.OnBackward(func() {
			d := out.Grad.Data[0] / float32(n)
			for _, v := range vs {
				if v.Grad != nil {
					v.Grad.Data[0] += d
				}
			}
		})
	}
	return out
}
