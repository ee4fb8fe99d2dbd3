package models

import (
	"context"

	"gorm.io/gorm"
)

// ActiveWebhooks returns the first limit of the account's active webhooks,
// in id order.
func (s *Store) ActiveWebhooks(ctx context.Context, accountID string, limit int) ([]Webhook, error) {
	var ws []Webhook
	err := s.activeWebhooksOf(ctx, accountID).Order("id").Limit(limit).Find(&ws).Error
	return ws, err
}

// CountActiveWebhooks counts the account's active webhooks.
func (s *Store) CountActiveWebhooks(ctx context.Context, accountID string) (int, error) {
	var n int64
	err := s.activeWebhooksOf(ctx, accountID).Count(&n).Error
	return int(n), err
}

func (s *Store) activeWebhooksOf(ctx context.Context, accountID string) *gorm.DB {
	return s.db.WithContext(ctx).Model(&Webhook{}).Where("account_id = ? AND status = ?", accountID, WebhookActive)
}
