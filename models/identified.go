package models

func (v Database) GetID() string        { return v.ID }
func (v Collection) GetID() string      { return v.ID }
func (v Profile) GetID() string         { return v.ID }
func (v Subprofile) GetID() string      { return v.ID }
func (v Message) GetID() string         { return v.ID }
func (v Event) GetID() string           { return v.ID }
func (v Webhook) GetID() string         { return v.ID }
func (v Delivery) GetID() string        { return v.ID }
func (v DeliveryAttempt) GetID() string { return v.ID }
func (v Account) GetID() string         { return v.ID }
func (v APIKey) GetID() string          { return v.ID }
