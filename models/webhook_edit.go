package models

// WebhookEdit is an owner's change to a webhook. Each part that is set is
// written, and nothing else, in one conditional UPDATE (see ReviseOwned),
// so concurrent edits of different parts all land and a verification that
// passes meanwhile stays.
type WebhookEdit struct {
	Events      []EventType
	Format      *PayloadFormat
	Description *string
	// Headers, when set, replaces the custom headers; pointing at nil
	// clears them.
	Headers *WebhookHeaders
	// MaxRPS, when set, is the new max_rps (pointing at nil: unlimited).
	MaxRPS      **float64
	MaxInFlight *int
	// Batch, when set, is the new batch settings (pointing at nil: unbatched).
	Batch **WebhookBatch
	// Scope, when set, replaces the database and the collection together:
	// they were checked as a pair, so they are written as one.
	Scope *WebhookScope
	// Transition is a move in the webhook's life cycle (ChangeWebhookURL,
	// or the one OwnerStatusChange found); it moves only from the statuses
	// it allows.
	Transition *WebhookTransition
}

// WebhookScope is the database and collection a webhook is limited to.
type WebhookScope struct{ DatabaseID, CollectionID *string }

// Change is the UPDATE that makes the edit.
func (e WebhookEdit) Change() Change {
	var c Change
	if e.Events != nil {
		c = c.SetJSON("events", e.Events)
	}
	if e.Format != nil {
		c = c.Set("format", *e.Format)
	}
	if e.Description != nil {
		c = c.Set("description", *e.Description)
	}
	if e.Headers != nil {
		if *e.Headers == nil {
			c = c.Set("headers", nil)
		} else {
			c = c.SetJSON("headers", *e.Headers)
		}
	}
	if e.MaxRPS != nil {
		c = c.Set("max_rps", *e.MaxRPS)
	}
	if e.MaxInFlight != nil {
		c = c.Set("max_in_flight", *e.MaxInFlight)
	}
	if e.Batch != nil {
		if *e.Batch == nil {
			c = c.Set("batch", nil)
		} else {
			c = c.SetJSON("batch", *e.Batch)
		}
	}
	if e.Scope != nil {
		c = c.Set("database_id", e.Scope.DatabaseID).Set("collection_id", e.Scope.CollectionID)
	}
	if e.Transition != nil {
		c = c.With(e.Transition.change())
	}
	return c
}
