package models_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func TestFieldsRoundTripAsJSONText(t *testing.T) {
	store := modelstest.Open(t)
	e := &models.Event{
		ID: models.NewID(models.PrefixEvent), Type: models.EventBounce, OccurredAt: models.Now(), ReceivedAt: models.Now(),
		Data: models.Fields{"envelope": "550 <unknown> & gone", "codes": []any{5.0, "x"}},
	}
	if err := store.Create(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	got, err := models.Get[models.Event](t.Context(), store, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["envelope"] != "550 <unknown> & gone" || got.Data["codes"].([]any)[0] != json.Number("5") || got.Payload != nil {
		t.Errorf("event came back as data %v, payload %v", got.Data, got.Payload)
	}
	var raw string
	if err := store.DB(t.Context()).Table("events").Select("data").Where("id = ?", e.ID).Scan(&raw).Error; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, `\u003cunknown\u003e \u0026 gone`) {
		t.Errorf("stored %s, want the JSON text json.Marshal writes (as GORM's serializer did)", raw)
	}
	var payload *string
	if err := store.DB(t.Context()).Table("events").Select("payload").Where("id = ?", e.ID).Scan(&payload).Error; err != nil {
		t.Fatal(err)
	}
	if payload != nil {
		t.Errorf("nil fields stored as %q, want NULL", *payload)
	}
}

// Customers' numbers come back exactly as they gave them: not rounded
// through float64 (2^53+1, a decimal's trailing zero) nor flushed to zero
// (1e-400), through the API's decoding, the database and back out.
func TestFieldsKeepNumbersExactly(t *testing.T) {
	store := modelstest.Open(t)
	const given = `{"big":9007199254740993,"list":[1e2,-0.0],"price":1.50,"tiny":1e-400}`
	var data models.Fields
	if err := json.Unmarshal([]byte(given), &data); err != nil {
		t.Fatal(err)
	}
	e := &models.Event{ID: models.NewID(models.PrefixEvent), Type: models.EventOpen, OccurredAt: models.Now(), ReceivedAt: models.Now(), Data: data}
	if err := store.Create(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	got, err := models.Get[models.Event](t.Context(), store, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(got.Data)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != given {
		t.Errorf("data came back as %s, want %s", out, given)
	}
}

// An event whose data nests deeper than encoding/json reads is stored
// (json.Marshal has no such limit) but cannot be read back: that is
// ErrUnreadable, not an error worth retrying.
func TestTooDeeplyNestedFieldsAreUnreadable(t *testing.T) {
	store := modelstest.Open(t)
	e := &models.Event{
		ID: models.NewID(models.PrefixEvent), Type: models.EventBounce, OccurredAt: models.Now(), ReceivedAt: models.Now(),
		Data: modelstest.DeeplyNested(10001),
	}
	if err := store.Create(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	_, err := models.Get[models.Event](t.Context(), store, e.ID)
	if !errors.Is(err, models.ErrUnreadable) || !strings.Contains(err.Error(), "exceeded max depth") {
		t.Fatalf("err = %v, want ErrUnreadable saying why", err)
	}
}
