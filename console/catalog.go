package console

import (
	"github.com/hookflow/hookflow/models"
)

// catalog is the account's databases, each with its collections: the
// choices of a webhook's scope and the names it is shown with.
type catalog []catalogDatabase

type catalogDatabase struct {
	models.Database
	Collections []models.Collection
}

func loadCatalog(q *request) (catalog, error) {
	dbs, err := list[models.Database](q, "/v1/databases")
	if err != nil {
		return nil, err
	}
	cat := make(catalog, len(dbs))
	for i, db := range dbs {
		cols, err := list[models.Collection](q, "/v1/databases/"+pathEscape(db.ID)+"/collections")
		if err != nil {
			return nil, err
		}
		cat[i] = catalogDatabase{Database: db, Collections: cols}
	}
	return cat, nil
}

// scope names what a webhook is limited to: a collection (with its
// database), a database, or any.
func (cat catalog) scope(w models.Webhook) string {
	if w.DatabaseID == nil {
		return "any"
	}
	for _, db := range cat {
		if db.ID != *w.DatabaseID {
			continue
		}
		if w.CollectionID == nil {
			return "database " + db.Name
		}
		for _, col := range db.Collections {
			if col.ID == *w.CollectionID {
				return "database " + db.Name + ", collection " + col.Name
			}
		}
	}
	if w.CollectionID != nil {
		return "collection " + *w.CollectionID
	}
	return "database " + *w.DatabaseID
}
