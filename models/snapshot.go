package models

import "maps"

// Events announcing a change to audience data carry what it was and what it
// became (data.before and data.after) as these snapshots.

// Snapshot is the profile as events about it show it.
func (p *Profile) Snapshot() Fields {
	return Fields{"id": p.ID, "database": p.DatabaseID, "email": p.Email, "fields": copyOf(p.Fields), "interests": p.Interests}
}

// Snapshot is the subprofile as events about it show it.
func (s *Subprofile) Snapshot() Fields {
	return Fields{"id": s.ID, "profile": s.ProfileID, "collection": s.CollectionID, "fields": copyOf(s.Fields)}
}

// ChangeData is the data of an event announcing a change from before to
// after; before is nil for a create, after for a delete.
func ChangeData(before, after Fields) Fields {
	data := Fields{}
	if before != nil {
		data["before"] = before
	}
	if after != nil {
		data["after"] = after
	}
	return data
}

// copyOf copies fields, so a snapshot stays what it was when the row
// changes later; no fields are an empty object.
func copyOf(f Fields) Fields {
	c := Fields{}
	maps.Copy(c, f)
	return c
}
