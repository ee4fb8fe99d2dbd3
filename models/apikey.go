package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/hookflow/hookflow/keyfile"
)

// APIKeyPrefix starts every account API key, so a leaked key is easy to
// recognise (and to scan for) and never mistaken for the operator token.
const APIKeyPrefix = "hfk_"

// apiKeyShownPrefix is how much of a key is kept in clear, to tell keys apart in a list.
const apiKeyShownPrefix = len(APIKeyPrefix) + 8

// APIKey lets one account's software use the API. Only its SHA-256 is
// stored: keys are long random strings, so a plain hash is as good as a
// slow one and keeps every request's look-up a single indexed query.
type APIKey struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	Owned
	Name       string     `gorm:"size:255;not null" json:"name"`
	Prefix     string     `gorm:"size:16;not null" json:"prefix"`
	Hash       string     `gorm:"size:64;not null;uniqueIndex" json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// apiKeyTouchEvery is how stale last_used_at may get: refreshing it on
// every request would turn each read into a write.
const apiKeyTouchEvery = time.Minute

// NewAPIKey creates a key for an account and returns it with the secret,
// which is never stored and cannot be shown again.
func (s *Store) NewAPIKey(ctx context.Context, accountID, name string) (*APIKey, string, error) {
	random, err := keyfile.RandomToken(32)
	if err != nil {
		return nil, "", err
	}
	secret := APIKeyPrefix + random
	k := &APIKey{
		ID:     NewID(PrefixAPIKey),
		Owned:  Owned{AccountID: accountID},
		Name:   name,
		Prefix: secret[:apiKeyShownPrefix],
		Hash:   hashAPIKey(secret),
	}
	if err := s.Create(ctx, k); err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// APIKeyBySecret finds the key a request presented, or ErrNotFound. It
// records the use, at most once a minute per key.
func (s *Store) APIKeyBySecret(ctx context.Context, secret string) (*APIKey, error) {
	if !strings.HasPrefix(secret, APIKeyPrefix) {
		return nil, ErrNotFound
	}
	var k APIKey
	if err := s.db.WithContext(ctx).Where("hash = ?", hashAPIKey(secret)).Take(&k).Error; err != nil {
		return nil, translate(err)
	}
	now := Now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= apiKeyTouchEvery {
		err := s.db.WithContext(ctx).Model(&APIKey{}).Where("id = ?", k.ID).Update("last_used_at", now).Error
		if err == nil {
			k.LastUsedAt = &now
		}
	}
	return &k, nil
}

func hashAPIKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
