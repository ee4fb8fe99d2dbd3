package bench

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws one line, redrawn in place on a terminal (else written
// anew every few seconds): events sent and deliveries arrived of the phase
// running, with the delivery rate so far.
type progress struct {
	out        io.Writer
	tty        bool
	name       string
	want       int
	start      time.Time
	mu         sync.Mutex
	sentN, got int
	drawn      time.Time
}

func newProgress(out io.Writer, name string, want int) *progress {
	return &progress{out: out, tty: isTerminal(out), name: name, want: want, start: time.Now()}
}

func (p *progress) sent(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sentN += n
	p.draw(false)
}

func (p *progress) delivered(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = n
	p.draw(false)
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(true)
	if p.out != nil && p.tty {
		fmt.Fprintln(p.out)
	}
}

// draw redraws at most ten times a second (every five seconds when the
// output is not a terminal), unless forced.
func (p *progress) draw(force bool) {
	every, start, end := 100*time.Millisecond, "\r", ""
	if !p.tty {
		every, start, end = 5*time.Second, "", "\n"
	}
	if p.out == nil || (!force && time.Since(p.drawn) < every) {
		return
	}
	p.drawn = time.Now()
	const width = 30
	filled := width * min(p.got, p.want) / max(1, p.want)
	rate := float64(p.got) / max(time.Since(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.out, "%s%-18s [%s%s] %6d/%d delivered  %7.1f/s  (%d sent)%s", start,
		p.name, strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.got, p.want, rate, p.sentN, end)
}

// isTerminal reports whether w is a terminal, where a line can be redrawn.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
