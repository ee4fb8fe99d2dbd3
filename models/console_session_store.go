package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// consoleTokenHash is how a console token is stored and looked up.
func consoleTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ConsoleGrant is whom a new console session or login link signs in.
type ConsoleGrant struct {
	AccountID string
	Operator  bool
	APIKeyID  string
}

// NewConsoleSession stores a session or one-time login link valid for ttl
// and returns its token, which is stored only hashed. Expired ones are
// pruned first, so the table holds only live sessions and links.
func (s *Store) NewConsoleSession(ctx context.Context, kind ConsoleSessionKind, grant ConsoleGrant, ttl time.Duration) (string, *ConsoleSession, error) {
	now := Now()
	if err := s.PruneConsoleSessions(ctx, now); err != nil {
		return "", nil, err
	}
	token := rand.Text()
	session := &ConsoleSession{
		IDHash:    consoleTokenHash(token),
		Kind:      kind,
		AccountID: grant.AccountID,
		Operator:  grant.Operator,
		APIKeyID:  grant.APIKeyID,
		CSRFToken: rand.Text(),
		ExpiresAt: now.Add(ttl),
		CreatedAt: now,
	}
	if err := s.Create(ctx, session); err != nil {
		return "", nil, err
	}
	return token, session, nil
}

// ConsoleSession is the live signed-in session of token, or ErrNotFound
// (unknown, a login link, expired, or signed in with an API key revoked since).
func (s *Store) ConsoleSession(ctx context.Context, token string) (*ConsoleSession, error) {
	var session ConsoleSession
	err := s.db.WithContext(ctx).
		Where("id_hash = ? AND kind = ? AND expires_at > ?", consoleTokenHash(token), ConsoleSignedIn, Now()).
		Take(&session).Error
	if err != nil {
		return nil, translate(err)
	}
	if session.APIKeyID != "" {
		if ok, err := Exists[APIKey](ctx, s, session.APIKeyID); err != nil {
			return nil, err
		} else if !ok {
			return nil, ErrNotFound
		}
	}
	return &session, nil
}

// RedeemConsoleLink uses up a one-time login link: it is deleted, and only
// the request whose delete removed it gets its grant; an unknown, used or
// expired link is ErrNotFound.
func (s *Store) RedeemConsoleLink(ctx context.Context, token string) (ConsoleGrant, error) {
	var grant ConsoleGrant
	err := s.Transaction(ctx, func(tx *Store) error {
		var link ConsoleSession
		hash := consoleTokenHash(token)
		if err := tx.db.WithContext(ctx).Where("id_hash = ? AND kind = ? AND expires_at > ?", hash, ConsoleLoginLink, Now()).
			Take(&link).Error; err != nil {
			return translate(err)
		}
		res := tx.db.WithContext(ctx).Where("id_hash = ? AND kind = ?", hash, ConsoleLoginLink).Delete(&ConsoleSession{})
		if res.Error != nil {
			return translate(res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound // redeemed by a concurrent request
		}
		grant = ConsoleGrant{AccountID: link.AccountID, Operator: link.Operator, APIKeyID: link.APIKeyID}
		return nil
	})
	return grant, err
}

// EndConsoleSession deletes the session of token (signing out); an
// unknown one is no error.
func (s *Store) EndConsoleSession(ctx context.Context, token string) error {
	return translate(s.db.WithContext(ctx).Where("id_hash = ?", consoleTokenHash(token)).Delete(&ConsoleSession{}).Error)
}

// SwitchConsoleAccount moves an operator's session to another account;
// a session that is not an operator's is not changed (ErrNotFound).
func (s *Store) SwitchConsoleAccount(ctx context.Context, token, accountID string) error {
	res := s.db.WithContext(ctx).Model(&ConsoleSession{}).
		Where("id_hash = ? AND kind = ? AND operator = ?", consoleTokenHash(token), ConsoleSignedIn, true).
		Update("account_id", accountID)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// PruneConsoleSessions deletes the sessions and links expired at now.
func (s *Store) PruneConsoleSessions(ctx context.Context, now time.Time) error {
	return translate(s.db.WithContext(ctx).Where("expires_at <= ?", now).Delete(&ConsoleSession{}).Error)
}

// SetConsoleFlash keeps text for the session's next page.
func (s *Store) SetConsoleFlash(ctx context.Context, token, flash string) error {
	return translate(s.db.WithContext(ctx).Model(&ConsoleSession{}).
		Where("id_hash = ? AND kind = ?", consoleTokenHash(token), ConsoleSignedIn).Update("flash", flash).Error)
}

// TakeConsoleFlash returns the session's flash and clears it; only the
// page whose conditional clear succeeded shows it, so it is shown once.
func (s *Store) TakeConsoleFlash(ctx context.Context, session *ConsoleSession, token string) (string, error) {
	if session.Flash == "" {
		return "", nil
	}
	res := s.db.WithContext(ctx).Model(&ConsoleSession{}).
		Where("id_hash = ? AND flash = ?", consoleTokenHash(token), session.Flash).Update("flash", "")
	if res.Error != nil || res.RowsAffected == 0 {
		return "", translate(res.Error)
	}
	return session.Flash, nil
}
