package store

// A transaction's length grows with the bytes it writes, and every capture in
// it waits for all of them. A burst of bodies at --max-body arriving together
// once made one transaction of a gigabyte, which outlasted the commit deadline
// of every capture in it and of every small webhook queued behind it. So a
// batch carries at most maxBatchBytes of large rows; small rows always fit, so
// a webhook of ordinary size never waits behind more than one batch of large
// ones (at most maxBatchBytes + maxBatch × smallRow bytes per transaction).
const (
	maxBatchBytes = 32 << 20
	smallRow      = 64 << 10
)

// batchPlan decides what one commit holds. Rows that do not fit wait in held,
// oldest first, for the next batch; rows whose waiters gave up meanwhile are
// dropped there, so their bodies are not kept alive for nothing.
type batchPlan struct {
	jobs     []*job
	bytes    int
	held     []*job
	maxBytes int
}

// start begins a new batch with as many held rows as fit.
func (p *batchPlan) start() {
	clear(p.jobs)
	p.jobs, p.bytes = p.jobs[:0], 0
	held := p.held
	p.held = p.held[:0:0]
	for _, j := range held {
		if j.state.Load() == jobAbandoned {
			continue
		}
		p.add(j)
	}
}

// fits reports whether a row of n bytes may join the batch.
func (p *batchPlan) fits(n int) bool {
	return len(p.jobs) == 0 || n <= smallRow || p.bytes+n <= p.maxBytes
}

// add puts j in the batch if it fits, else holds it for a later one.
func (p *batchPlan) add(j *job) {
	n := j.size()
	if len(p.held) > 0 && n > smallRow || !p.fits(n) {
		// Large rows keep their order: one that did not fit is not
		// overtaken by a later large one that would.
		p.held = append(p.held, j)
		return
	}
	p.jobs = append(p.jobs, j)
	p.bytes += n
}

// full reports that nothing more should be taken into this batch.
func (p *batchPlan) full(maxBatch int) bool { return len(p.jobs) >= maxBatch }
