package models_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func TestStoreRunsOnTheConfiguredDatabase(t *testing.T) {
	store := modelstest.Open(t)
	want := models.DialectSQLite
	if os.Getenv(modelstest.EnvMySQLDSN) != "" {
		want = models.DialectMySQL
	}
	if store.Dialect() != want {
		t.Fatalf("dialect %s, want %s", store.Dialect(), want)
	}
	t.Logf("storage tests run on %s", modelstest.Describe())
}

func TestMigrateIsIdempotent(t *testing.T) {
	store := modelstest.Open(t)
	if err := store.Migrate(t.Context()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

func TestModelsRoundTrip(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	db := models.Database{ID: models.NewID(models.PrefixDatabase), Name: "Newsletter"}
	col := models.Collection{ID: models.NewID(models.PrefixCollection), DatabaseID: db.ID, Name: "Orders"}
	prof := models.Profile{
		ID: models.NewID(models.PrefixProfile), DatabaseID: db.ID, Email: "ann@example.com",
		Fields: models.Fields{"name": "Ann", "age": 41.0, "vip": true}, Interests: []string{"cycling"},
	}
	sub := models.Subprofile{ID: models.NewID(models.PrefixSubprofile), ProfileID: prof.ID, CollectionID: col.ID, Fields: models.Fields{"order": "A-1"}}
	msg := models.Message{
		ID: models.NewID(models.PrefixMessage), DatabaseID: db.ID, ProfileID: prof.ID, SubprofileID: &sub.ID,
		Recipient: prof.Email, Tags: []string{"spring"},
		Links: []models.Link{
			{ID: models.NewID(models.PrefixLink), Position: 1, URL: "https://example.com/b", Tags: []string{"b"}},
			{ID: models.NewID(models.PrefixLink), Position: 0, URL: "https://example.com/a", Tags: []string{"a"}},
		},
	}
	for _, v := range []any{&db, &col, &prof, &sub, &msg} {
		if err := store.Create(ctx, v); err != nil {
			t.Fatalf("create %T: %v", v, err)
		}
	}

	gotProf, err := models.Get[models.Profile](ctx, store, prof.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gotProf.Email != prof.Email || gotProf.Fields["name"] != "Ann" || gotProf.Fields["age"] != json.Number("41") || gotProf.Interests[0] != "cycling" {
		t.Errorf("profile came back as %+v", gotProf)
	}
	if gotProf.CreatedAt.Location() != time.UTC || gotProf.CreatedAt.IsZero() {
		t.Errorf("created_at %v is not a UTC time", gotProf.CreatedAt)
	}

	gotMsg, err := store.GetMessage(ctx, msg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotMsg.Links) != 2 || gotMsg.Links[0].URL != "https://example.com/a" || gotMsg.Links[1].Tags[0] != "b" {
		t.Errorf("links came back as %+v, want ordered by position", gotMsg.Links)
	}
	if *gotMsg.SubprofileID != sub.ID || gotMsg.Tags[0] != "spring" {
		t.Errorf("message came back as %+v", gotMsg)
	}
}

func TestGetUnknownIDIsNotFound(t *testing.T) {
	store := modelstest.Open(t)
	_, err := models.Get[models.Webhook](t.Context(), store, "wh_nope")
	if !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if err := models.Delete[models.Webhook](t.Context(), store, "wh_nope"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("delete err = %v, want ErrNotFound", err)
	}
}

func TestDuplicateKeyIsConflict(t *testing.T) {
	store := modelstest.Open(t)
	clientID := "mailer-42"
	first := models.Event{ID: models.NewID(models.PrefixEvent), ClientID: &clientID, Type: models.EventDelivery, OccurredAt: models.Now(), ReceivedAt: models.Now()}
	if err := store.Create(t.Context(), &first); err != nil {
		t.Fatal(err)
	}
	second := first
	second.ID = models.NewID(models.PrefixEvent)
	if err := store.Create(t.Context(), &second); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
}

func TestListPagesInCreationOrder(t *testing.T) {
	store := modelstest.Open(t)
	var ids []string
	for i := 0; i < 5; i++ {
		db := models.Database{ID: models.NewID(models.PrefixDatabase), Name: "db"}
		if err := store.Create(t.Context(), &db); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, db.ID)
	}
	var seen []string
	page := models.PageRequest{Limit: 2}
	for {
		got, err := models.List[models.Database](t.Context(), store, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range got.Items {
			seen = append(seen, d.ID)
		}
		if got.NextCursor == "" {
			break
		}
		page.Cursor = got.NextCursor
	}
	if len(seen) != 5 {
		t.Fatalf("saw %d databases, want 5", len(seen))
	}
	for i := range ids {
		if seen[i] != ids[i] {
			t.Fatalf("page order %v, want %v", seen, ids)
		}
	}
}

func TestDeleteDatabaseRemovesItsAudience(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	db := models.Database{ID: models.NewID(models.PrefixDatabase), Name: "db"}
	col := models.Collection{ID: models.NewID(models.PrefixCollection), DatabaseID: db.ID, Name: "c"}
	prof := models.Profile{ID: models.NewID(models.PrefixProfile), DatabaseID: db.ID, Email: "a@example.com"}
	sub := models.Subprofile{ID: models.NewID(models.PrefixSubprofile), ProfileID: prof.ID, CollectionID: col.ID}
	msg := models.Message{ID: models.NewID(models.PrefixMessage), DatabaseID: db.ID, ProfileID: prof.ID, Recipient: prof.Email,
		Links: []models.Link{{ID: models.NewID(models.PrefixLink), URL: "https://example.com"}}}
	for _, v := range []any{&db, &col, &prof, &sub, &msg} {
		if err := store.Create(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.DeleteDatabase(ctx, db.AccountID, db.ID, models.Precondition{}); err != nil {
		t.Fatal(err)
	}
	for id, exists := range map[string]func() (bool, error){
		col.ID:  func() (bool, error) { return models.Exists[models.Collection](ctx, store, col.ID) },
		prof.ID: func() (bool, error) { return models.Exists[models.Profile](ctx, store, prof.ID) },
		sub.ID:  func() (bool, error) { return models.Exists[models.Subprofile](ctx, store, sub.ID) },
		msg.ID:  func() (bool, error) { return models.Exists[models.Message](ctx, store, msg.ID) },
		"links": func() (bool, error) {
			var n int64
			err := store.DB(ctx).Model(&models.Link{}).Where("message_id = ?", msg.ID).Count(&n).Error
			return n > 0, err
		},
	} {
		if ok, err := exists(); err != nil || ok {
			t.Errorf("%s still exists (err %v)", id, err)
		}
	}
}

func TestWebhookMatches(t *testing.T) {
	dbA, dbB, colA := "db_a", "db_b", "col_a"
	since := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	active := models.Webhook{Events: []models.EventType{models.EventOpen}, Status: models.WebhookActive, ActiveSince: &since}
	scoped := active
	scoped.DatabaseID, scoped.CollectionID = &dbA, &colA
	paused := active
	paused.Status = models.WebhookPaused
	disabled := active
	disabled.Status = models.WebhookDisabled
	unverified := active
	unverified.Status, unverified.ActiveSince = models.WebhookUnverified, nil
	failed := active
	failed.Status = models.WebhookVerificationFailed
	after := models.Event{Type: models.EventOpen, OccurredAt: since.Add(time.Second), DatabaseID: &dbA, CollectionID: &colA}
	before := after
	before.OccurredAt = since.Add(-time.Second)
	click := after
	click.Type = models.EventClick
	otherDB := after
	otherDB.DatabaseID = &dbB
	for name, tc := range map[string]struct {
		w    models.Webhook
		e    models.Event
		want bool
	}{
		"subscribed and active":         {active, after, true},
		"event before activation":       {active, before, false},
		"type not subscribed":           {active, click, false},
		"paused (held)":                 {paused, after, true},
		"disabled (held)":               {disabled, after, true},
		"paused, event before":          {paused, before, false},
		"unverified":                    {unverified, after, false},
		"verification failed":           {failed, after, false},
		"in scope":                      {scoped, after, true},
		"other database":                {scoped, otherDB, false},
		"unscoped takes every database": {active, otherDB, true},
	} {
		if got := tc.w.Matches(&tc.e); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", name, got, tc.want)
		}
	}
}
