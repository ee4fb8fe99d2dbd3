package bench

import (
	"slices"
	"syscall"
	"time"
)

// percentile is the p-th percentile (0..100) of sorted durations, by the
// nearest-rank method; 0 for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// latencies are the times from sending each event to its arrival at each
// endpoint, sorted; sent has the send time of each event.
func latencies(sent map[string]time.Time, arrived map[arrival]time.Time) []time.Duration {
	out := make([]time.Duration, 0, len(arrived))
	for a, at := range arrived {
		if s, ok := sent[a.event]; ok {
			out = append(out, at.Sub(s))
		}
	}
	slices.Sort(out)
	return out
}

// cpuTime is the CPU this process has used so far, user and system: the
// benchmark runs Temporal, the worker, the API, the database (SQLite) and
// the receiver in one process, so it is the whole system's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the most resident memory this process has had, in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}
