package models

// Figures are the ledger's counts for one group of hazards, in the seed's
// words: 发现 (found: all but withdrawn), 已整改完成 (rectified: pending
// review or closed), 已销号 (closed), plus 逾期 (overdue now).
type Figures struct {
	Found     int64 `json:"found"`
	Rectified int64 `json:"rectified"`
	Closed    int64 `json:"closed"`
	Overdue   int64 `json:"overdue"`
}

// Rate is the rectification rate 整改率: closed ÷ found, 0 when nothing was found.
func (f Figures) Rate() float64 {
	if f.Found == 0 {
		return 0
	}
	return float64(f.Closed) / float64(f.Found)
}

// Add returns the sum of two sets of figures.
func (f Figures) Add(o Figures) Figures {
	return Figures{f.Found + o.Found, f.Rectified + o.Rectified, f.Closed + o.Closed, f.Overdue + o.Overdue}
}

// SummaryRow is the figures of one group (a region, a sector or a unit).
type SummaryRow struct {
	Key  string `json:"key"`  // unit code or sector name
	Name string `json:"name"` // what a person reads: 茅箭区, 燃气
	Figures
}
