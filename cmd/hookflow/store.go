package main

import (
	"context"
	"log/slog"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/models"
)

// openStore connects to the configured database, migrating it first if asked.
func openStore(ctx context.Context, log *slog.Logger, cfg config.Config, migrate bool) (*models.Store, error) {
	store, err := models.Open(cfg.DatabaseDSN, models.PoolConfig{
		MaxOpenConns:    cfg.DBMaxOpenConns,
		MaxIdleConns:    cfg.DBMaxIdleConns,
		ConnMaxLifetime: cfg.DBConnMaxLifetime,
	})
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := store.Migrate(ctx); err != nil {
			store.Close()
			return nil, err
		}
		log.Info("database schema is up to date", "dialect", store.Dialect())
	}
	return store, nil
}

func runMigrate(ctx context.Context, log *slog.Logger, cfg config.Config) error {
	store, err := openStore(ctx, log, cfg, true)
	if err != nil {
		return err
	}
	return store.Close()
}
