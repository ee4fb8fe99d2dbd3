package models

import (
	"context"
	"database/sql/driver"
	"errors"
)

// readCommitted opens MySQL connections whose transactions read committed
// rows. Under InnoDB's default, REPEATABLE READ, an UPDATE that reads other
// rows of its table locks them shared, and every row a statement scanned
// stays locked until its transaction ends: concurrent deliveries to one
// webhook, taking and giving back its in-flight slots, deadlocked about
// once an event with eight webhooks, and each deadlock was work done
// again. No write of hookflow's needs a snapshot that repeats: each is
// conditional on the row as it is when written.
type readCommitted struct{ driver.Connector }

func (c readCommitted) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	exec, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("the MySQL driver's connections cannot run statements")
	}
	// This form, unlike the session variable (transaction_isolation in
	// MySQL, tx_isolation in MariaDB before 11.1), works on both.
	if _, err := exec.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
