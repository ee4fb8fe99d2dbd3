package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Flow-control limits of a webhook, as the API takes them.
const (
	DefaultMaxInFlight = 10
	MaxMaxInFlight     = 1000
	MaxMaxRPS          = 10000
)

// AIMD: a receiver that answers 429 or 503 with a Retry-After has its rate
// cut to aimdCutFactor of what it was (at most once per aimdCutSpacing, so
// a burst of such answers to requests already under way counts once), never
// below aimdMinRPS; from then on it grows back by its target rate every
// aimdRecovery (linearly), until it is back at the webhook's max_rps (or,
// for an unlimited webhook, at the rate it was receiving when it was cut,
// after which it is unlimited again).
const (
	aimdCutFactor  = 0.5
	aimdCutSpacing = time.Second
	aimdMinRPS     = 1.0
	aimdRecovery   = time.Minute
	// usageMarkAge is how often the mark an unlimited webhook's received
	// rate is measured from moves on (see WebhookFlow.CountedUses).
	usageMarkAge = 10 * time.Second
	// flowWriteTries bounds the compare-and-set loops on a flow row: each
	// failure means another worker wrote it meanwhile, so progress is made.
	flowWriteTries = 50
)

// WebhookFlow is the flow-control state of one webhook, shared by every
// worker: it lives here, in the database, and is only ever changed by a
// compare-and-set UPDATE on Version. Times are Unix milliseconds, so the
// arithmetic and comparisons are the same on every database.
type WebhookFlow struct {
	WebhookID string `gorm:"primaryKey;size:40"`
	Version   int64  `gorm:"not null;default:0"`
	// NextSlotMs is the rate limiter's theoretical arrival time (GCRA):
	// the earliest slot the next reservation gets.
	NextSlotMs int64 `gorm:"not null;default:0"`
	// BlockedUntilMs is when the receiver's last Retry-After ends: no
	// request goes before it.
	BlockedUntilMs int64 `gorm:"not null;default:0"`
	// CutAtMs is when the rate was last cut (0: never, or recovered);
	// CutRPS is the rate it was cut to, and CutFromRPS the rate it grows
	// back to.
	CutAtMs    int64   `gorm:"not null;default:0"`
	CutRPS     float64 `gorm:"not null;default:0"`
	CutFromRPS float64 `gorm:"not null;default:0"`
	// CountedUses and CountedAtMs mark the webhook's in-flight slot uses
	// at a moment, so the rate an unlimited webhook was receiving is
	// known when it has to be cut.
	CountedUses int64 `gorm:"not null;default:0"`
	CountedAtMs int64 `gorm:"not null;default:0"`
}

// WebhookFlowSlot is one of a webhook's max_in_flight request slots, held
// by one request at a time until it is released or its lease expires (a
// worker that died never keeps one).
type WebhookFlowSlot struct {
	WebhookID string `gorm:"primaryKey;size:40"`
	Slot      int    `gorm:"primaryKey;autoIncrement:false"`
	Holder    string `gorm:"size:64;not null;default:''"`
	ExpiresMs int64  `gorm:"not null;default:0"`
	// Uses counts the requests this slot carried, ever.
	Uses int64 `gorm:"not null;default:0"`
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Rate is the webhook's effective rate at now, in requests per second, and
// whether it is limited at all: its max_rps, or less while it recovers from
// a cut.
func (f *WebhookFlow) Rate(maxRPS *float64, now time.Time) (rps float64, limited bool) {
	if r, recovering := f.recoveringRate(maxRPS, now); recovering {
		return r, true
	}
	if maxRPS == nil {
		return 0, false
	}
	return *maxRPS, true
}

// recoveringRate is the rate at now of a webhook whose rate was cut, and
// whether it is still below the rate it grows back to.
func (f *WebhookFlow) recoveringRate(maxRPS *float64, now time.Time) (float64, bool) {
	if f.CutAtMs == 0 {
		return 0, false
	}
	target := f.CutFromRPS
	if maxRPS != nil {
		target = *maxRPS
	}
	elapsed := time.Duration(millis(now)-f.CutAtMs) * time.Millisecond
	r := f.CutRPS + target*max(elapsed, 0).Seconds()/aimdRecovery.Seconds()
	return r, r < target
}

// BlockedUntil is when the receiver's last Retry-After ends (zero if none).
func (f *WebhookFlow) BlockedUntil() time.Time {
	if f.BlockedUntilMs == 0 {
		return time.Time{}
	}
	return fromMillis(f.BlockedUntilMs)
}

// WebhookFlowOf reads a webhook's flow state; a webhook that has none yet
// gets the zero state (unlimited, never cut).
func (s *Store) WebhookFlowOf(ctx context.Context, webhookID string) (*WebhookFlow, error) {
	flows, err := s.WebhookFlowsOf(ctx, []string{webhookID})
	if err != nil {
		return nil, err
	}
	return flows[webhookID], nil
}

// WebhookFlowsOf reads the flow state of several webhooks at once (the
// webhooks of one event's first attempts), by webhook id; a webhook that
// has none yet gets the zero state.
func (s *Store) WebhookFlowsOf(ctx context.Context, webhookIDs []string) (map[string]*WebhookFlow, error) {
	var rows []WebhookFlow
	if err := s.db.WithContext(ctx).Where("webhook_id IN ?", webhookIDs).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	flows := make(map[string]*WebhookFlow, len(webhookIDs))
	for _, id := range webhookIDs {
		flows[id] = &WebhookFlow{WebhookID: id}
	}
	for i := range rows {
		flows[rows[i].WebhookID] = &rows[i]
	}
	return flows, nil
}

// writeFlow stores next in place of the state read as current: it creates
// the row if current was the zero state of a webhook that had none, and
// reports false when another worker wrote it first.
func (s *Store) writeFlow(ctx context.Context, current, next *WebhookFlow) (bool, error) {
	next.Version = current.Version + 1
	if current.Version == 0 {
		// Not INSERT … ON CONFLICT: MySQL, counting matched rows, counts
		// the conflict as a row written.
		err := translate(s.db.WithContext(ctx).Create(next).Error)
		if errors.Is(err, ErrConflict) {
			return false, nil
		}
		return err == nil, err
	}
	res := s.db.WithContext(ctx).Model(&WebhookFlow{}).
		Where("webhook_id = ? AND version = ?", current.WebhookID, current.Version).
		Updates(map[string]any{
			"version": next.Version, "next_slot_ms": next.NextSlotMs, "blocked_until_ms": next.BlockedUntilMs,
			"cut_at_ms": next.CutAtMs, "cut_rps": next.CutRPS, "cut_from_rps": next.CutFromRPS,
			"counted_uses": next.CountedUses, "counted_at_ms": next.CountedAtMs,
		})
	return res.RowsAffected > 0, translate(res.Error)
}

// ReserveFlowSlot reserves the next request slot of a webhook whose flow
// state was read as f (nil: read it), and returns when that slot is: now,
// or later when the webhook's rate or a Retry-After says so. Every caller
// gets a slot of its own; slots are 1/rate apart, so however many workers
// reserve, requests sent no earlier than their slots never exceed the rate
// (a token bucket of one token). An unlimited webhook's slot is now, or
// the end of a Retry-After, and costs no write.
func (s *Store) ReserveFlowSlot(ctx context.Context, w *Webhook, f *WebhookFlow, now time.Time) (time.Time, error) {
	for range flowWriteTries {
		if f == nil {
			var err error
			if f, err = s.WebhookFlowOf(ctx, w.ID); err != nil {
				return time.Time{}, err
			}
		}
		start := max(millis(now), f.BlockedUntilMs)
		rps, limited := f.Rate(w.MaxRPS, now)
		if !limited {
			if err := s.markUsage(ctx, f, now); err != nil {
				return time.Time{}, err
			}
			return fromMillis(start), nil
		}
		next := *f
		slot := max(start, f.NextSlotMs)
		next.NextSlotMs = slot + intervalMillis(rps)
		if _, recovering := f.recoveringRate(w.MaxRPS, now); f.CutAtMs != 0 && !recovering {
			next.CutAtMs, next.CutRPS, next.CutFromRPS = 0, 0, 0 // recovered: forget the cut
		}
		wrote, err := s.writeFlow(ctx, f, &next)
		if err != nil {
			return time.Time{}, err
		}
		if wrote {
			return fromMillis(slot), nil
		}
		f = nil // another worker reserved meanwhile: read again
	}
	return time.Time{}, fmt.Errorf("reserve a request slot of webhook %s: %w (too much contention)", w.ID, ErrConflict)
}

// intervalMillis is the time between two slots at rps, at least 1 ms.
func intervalMillis(rps float64) int64 {
	return max(int64(math.Ceil(1000/rps)), 1)
}

// markUsage moves an unlimited webhook's usage mark on when it is older
// than usageMarkAge; a worker that loses the race leaves it to the winner.
func (s *Store) markUsage(ctx context.Context, f *WebhookFlow, now time.Time) error {
	if millis(now)-f.CountedAtMs < usageMarkAge.Milliseconds() {
		return nil
	}
	uses, err := s.flowUses(ctx, f.WebhookID)
	if err != nil {
		return err
	}
	next := *f
	next.CountedUses, next.CountedAtMs = uses, millis(now)
	_, err = s.writeFlow(ctx, f, &next)
	return err
}

// flowUses is how many requests a webhook's in-flight slots carried, ever.
func (s *Store) flowUses(ctx context.Context, webhookID string) (int64, error) {
	var uses int64
	err := s.db.WithContext(ctx).Model(&WebhookFlowSlot{}).Where("webhook_id = ?", webhookID).
		Select("COALESCE(SUM(uses), 0)").Scan(&uses).Error
	return uses, translate(err)
}

// SlowWebhookFlow is what a 429 or 503 with a Retry-After does to its
// webhook: nothing is sent to it before now+retryAfter, and its rate is cut
// (see aimdCutFactor) from the rate it had: its max_rps or where it was
// recovering to, or, when unlimited, the rate it was receiving. It returns
// the state it left.
//
// An answer to a request sent before the last cut does not cut again: it
// answered the old rate.
func (s *Store) SlowWebhookFlow(ctx context.Context, w *Webhook, retryAfter time.Duration, sentAt, now time.Time) (*WebhookFlow, error) {
	for range flowWriteTries {
		f, err := s.WebhookFlowOf(ctx, w.ID)
		if err != nil {
			return nil, err
		}
		next := *f
		next.BlockedUntilMs = max(f.BlockedUntilMs, millis(now.Add(retryAfter)))
		if f.CutAtMs == 0 || (millis(now)-f.CutAtMs >= aimdCutSpacing.Milliseconds() && millis(sentAt) > f.CutAtMs) {
			rps, limited := f.Rate(w.MaxRPS, now)
			if !limited {
				if rps, err = s.receivedRate(ctx, f, now); err != nil {
					return nil, err
				}
				next.CutFromRPS = rps
			} else if f.CutAtMs == 0 {
				next.CutFromRPS = rps
			}
			next.CutAtMs, next.CutRPS = millis(now), max(rps*aimdCutFactor, aimdMinRPS)
			// Slots reserved at the old rate stay; new ones follow the
			// new rate from the end of the Retry-After.
			next.NextSlotMs = max(f.NextSlotMs, next.BlockedUntilMs)
		}
		wrote, err := s.writeFlow(ctx, f, &next)
		if err != nil {
			return nil, err
		}
		if wrote {
			return &next, nil
		}
	}
	return nil, fmt.Errorf("slow webhook %s down: %w (too much contention)", w.ID, ErrConflict)
}

// receivedRate is the rate an unlimited webhook was receiving since its
// usage mark (counted over one second at least: a fresh mark errs low,
// which slows the webhook more, not less).
func (s *Store) receivedRate(ctx context.Context, f *WebhookFlow, now time.Time) (float64, error) {
	uses, err := s.flowUses(ctx, f.WebhookID)
	if err != nil {
		return 0, err
	}
	elapsed := time.Duration(millis(now)-f.CountedAtMs) * time.Millisecond
	if f.CountedAtMs == 0 {
		elapsed = usageMarkAge
	}
	return max(float64(uses-f.CountedUses)/max(elapsed, time.Second).Seconds(), aimdMinRPS), nil
}

// AcquireFlowSlot takes one of a webhook's limit in-flight slots for
// holder (a token unique to one request) until now+ttl, and reports
// whether it got one. One UPDATE does it when a slot is free; a slot whose
// lease expired is free. Of three tries, one may create the slots and one
// may be ended by MySQL to break a deadlock. Acquisitions made at about
// the same time (an event's fan-out) share a transaction (see
// groupCommit).
func (s *Store) AcquireFlowSlot(ctx context.Context, webhookID string, limit int, holder string, now time.Time, ttl time.Duration) (bool, error) {
	req := &slotRequest{webhookID: webhookID, limit: limit, holder: holder, now: now, ttl: ttl}
	if s.acquisitions == nil {
		return s.acquireFlowSlot(ctx, req)
	}
	err := s.acquisitions.do(ctx, req)
	return req.got, err
}

// slotRequest asks for an in-flight slot of a webhook, and says whether
// it got one.
type slotRequest struct {
	webhookID, holder string
	limit             int
	now               time.Time
	ttl               time.Duration
	got               bool
}

// acquireFlowSlots makes acquisitions (group commit) in one
// transaction. If it fails, each is made on its own, so that one's error
// is its own.
func (s *Store) acquireFlowSlots(ctx context.Context, reqs []*slotRequest) []error {
	errs := make([]error, len(reqs))
	if len(reqs) > 1 {
		err := s.Transaction(ctx, func(tx *Store) error {
			for _, r := range reqs {
				if err := tx.tryFlowSlot(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			return errs
		}
	}
	for i, r := range reqs {
		_, errs[i] = s.acquireFlowSlot(ctx, r)
	}
	return errs
}

// acquireFlowSlot makes one acquisition, run again when MySQL ends it to
// break a deadlock.
func (s *Store) acquireFlowSlot(ctx context.Context, r *slotRequest) (bool, error) {
	var err error
	for range deadlockTries {
		if err = s.tryFlowSlot(ctx, r); !isDeadlock(err) {
			break
		}
		// A deadlock is rare now that slots are taken in order and read
		// committed, but MySQL may still pick this statement to roll
		// back; it tries again.
	}
	return r.got, translate(err)
}

// tryFlowSlot takes a free slot for r if there is one, creating the
// webhook's slots first if it has none yet (or its limit grew).
func (s *Store) tryFlowSlot(ctx context.Context, r *slotRequest) error {
	r.got = false
	for created := false; ; created = true {
		res := s.takeFreeSlot(ctx, r)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			r.got = true
			return nil
		}
		if created {
			return nil
		}
		if err := s.createFlowSlots(ctx, r.webhookID, r.limit); err != nil {
			return err
		}
	}
}

// takeFreeSlot gives r the lowest free slot of its webhook, if there is
// one, in one statement. MySQL takes it as it scans the slots in order:
// a slot another request is taking at that instant is passed over once
// taken (read committed), so no request is refused while a slot is free.
// SQLite cannot order an UPDATE (it has one writer anyway) and names the
// slot in a subquery instead.
func (s *Store) takeFreeSlot(ctx context.Context, r *slotRequest) *gorm.DB {
	until, now := millis(r.now.Add(r.ttl)), millis(r.now)
	if s.dialect == DialectMySQL {
		return s.db.WithContext(ctx).Exec(`UPDATE webhook_flow_slots SET holder = ?, expires_ms = ?, uses = uses + 1
			WHERE webhook_id = ? AND slot < ? AND expires_ms <= ? ORDER BY slot LIMIT 1`,
			r.holder, until, r.webhookID, r.limit, now)
	}
	return s.db.WithContext(ctx).Exec(`UPDATE webhook_flow_slots SET holder = ?, expires_ms = ?, uses = uses + 1
		WHERE webhook_id = ? AND slot = (SELECT MIN(slot) FROM webhook_flow_slots
			WHERE webhook_id = ? AND slot < ? AND expires_ms <= ?)`,
		r.holder, until, r.webhookID, r.webhookID, r.limit, now)
}

// createFlowSlots makes sure the webhook has slots 0..limit-1.
func (s *Store) createFlowSlots(ctx context.Context, webhookID string, limit int) error {
	var have int64
	if err := s.db.WithContext(ctx).Model(&WebhookFlowSlot{}).Where("webhook_id = ? AND slot < ?", webhookID, limit).Count(&have).Error; err != nil {
		return translate(err)
	}
	if have >= int64(limit) {
		return nil
	}
	slots := make([]WebhookFlowSlot, limit)
	for i := range slots {
		slots[i] = WebhookFlowSlot{WebhookID: webhookID, Slot: i}
	}
	return translate(s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(slots, 200).Error)
}

// ReleaseFlowSlot gives back the slot holder took, so the next request
// need not wait for its lease to expire. Its UPDATE can meet an
// acquisition's shared locks in a MySQL deadlock (seen in CI), so one that
// MySQL ends is run again.
func (s *Store) ReleaseFlowSlot(ctx context.Context, webhookID, holder string) error {
	return translate(s.transactionRetryingDeadlocks(ctx, func(tx *Store) error {
		return tx.releaseFlowSlots(ctx, []string{webhookID}, []string{holder})
	}))
}

// releaseFlowSlots gives back the slots holders took of webhooks
// (webhookIDs[i] is holders[i]'s webhook), in one statement.
func (s *Store) releaseFlowSlots(ctx context.Context, webhookIDs, holders []string) error {
	if len(holders) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Model(&WebhookFlowSlot{}).
		Where("webhook_id IN ? AND holder IN ?", webhookIDs, holders).
		Updates(map[string]any{"holder": "", "expires_ms": 0}).Error
}

// FlowInFlight counts the requests to a webhook under way at now.
func (s *Store) FlowInFlight(ctx context.Context, webhookID string, now time.Time) (int, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&WebhookFlowSlot{}).Where("webhook_id = ? AND expires_ms > ?", webhookID, millis(now)).Count(&n).Error
	return int(n), translate(err)
}

// ThrottleDelivery keeps a pending delivery waiting, without an attempt,
// until next, remembering the request slot it reserved (nil: none) so
// that its next attempt uses it instead of reserving another. It applies
// only while the delivery is pending with the attempts it had when read.
func (s *Store) ThrottleDelivery(ctx context.Context, d *Delivery, slot *time.Time, next time.Time) error {
	res := s.db.WithContext(ctx).Model(&Delivery{}).
		Where("id = ? AND status = ? AND attempts = ?", d.ID, DeliveryPending, d.Attempts).
		Updates(map[string]any{"reserved_slot_at": slot, "next_attempt_at": next, "updated_at": Now()})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%w: delivery %s is no longer pending at attempt %d", ErrConflict, d.ID, d.Attempts)
	}
	d.ReservedSlotAt, d.NextAttemptAt = slot, &next
	return nil
}

// FlowStatus is a webhook's flow control as it stands, for the API.
type FlowStatus struct {
	// EffectiveRPS is the rate requests go at now: max_rps, or less while
	// the webhook recovers from a Retry-After; nil while unlimited.
	EffectiveRPS *float64 `json:"effective_rps"`
	// InFlight counts the requests to the webhook under way.
	InFlight int `json:"in_flight"`
	// ThrottledUntil is when the receiver's last Retry-After ends, while
	// it has not: nothing is sent before.
	ThrottledUntil *time.Time `json:"throttled_until"`
	// SlowedAt is when a Retry-After last cut the rate, while the webhook
	// is still recovering from it.
	SlowedAt *time.Time `json:"slowed_at"`
}

// WebhookFlowStatus is w's flow control at now.
func (s *Store) WebhookFlowStatus(ctx context.Context, w *Webhook, now time.Time) (FlowStatus, error) {
	f, err := s.WebhookFlowOf(ctx, w.ID)
	if err != nil {
		return FlowStatus{}, err
	}
	var st FlowStatus
	if st.InFlight, err = s.FlowInFlight(ctx, w.ID, now); err != nil {
		return FlowStatus{}, err
	}
	if rps, limited := f.Rate(w.MaxRPS, now); limited {
		rps = math.Round(rps*1000) / 1000
		st.EffectiveRPS = &rps
	}
	if blocked := f.BlockedUntil(); blocked.After(now) {
		st.ThrottledUntil = &blocked
	}
	if _, recovering := f.recoveringRate(w.MaxRPS, now); recovering {
		cut := fromMillis(f.CutAtMs)
		st.SlowedAt = &cut
	}
	return st, nil
}
