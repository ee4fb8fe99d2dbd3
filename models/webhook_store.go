package models

import "context"

// ActiveWebhooks returns the account's active webhooks, in id order.
func (s *Store) ActiveWebhooks(ctx context.Context, accountID string) ([]Webhook, error) {
	var ws []Webhook
	err := s.db.WithContext(ctx).Where("account_id = ? AND status = ?", accountID, WebhookActive).Order("id").Find(&ws).Error
	return ws, err
}
