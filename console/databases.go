package console

import (
	"net/http"

	"github.com/hookflow/hookflow/models"
)

// databasesView is each database and collection with the webhooks linked
// to it: those limited to it (a database's include none limited to one of
// its collections, which are listed with the collection).
type databasesView struct {
	Databases []databaseEntry
	// Unscoped are the webhooks of any database.
	Unscoped []models.Webhook
}

type databaseEntry struct {
	models.Database
	Webhooks    []models.Webhook
	Collections []collectionEntry
}

type collectionEntry struct {
	models.Collection
	Webhooks []models.Webhook
}

func (c *console) databases(q *request) {
	cat, err := loadCatalog(q)
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	hooks, err := list[models.Webhook](q, "/v1/webhooks")
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	var view databasesView
	for _, db := range cat {
		entry := databaseEntry{Database: db.Database}
		for _, w := range hooks {
			if w.DatabaseID != nil && *w.DatabaseID == db.ID && w.CollectionID == nil {
				entry.Webhooks = append(entry.Webhooks, w)
			}
		}
		for _, col := range db.Collections {
			ce := collectionEntry{Collection: col}
			for _, w := range hooks {
				if w.CollectionID != nil && *w.CollectionID == col.ID {
					ce.Webhooks = append(ce.Webhooks, w)
				}
			}
			entry.Collections = append(entry.Collections, ce)
		}
		view.Databases = append(view.Databases, entry)
	}
	for _, w := range hooks {
		if w.DatabaseID == nil {
			view.Unscoped = append(view.Unscoped, w)
		}
	}
	d := q.page("Databases and collections")
	d.Data = view
	c.show(q, http.StatusOK, "databases.html", d)
}
