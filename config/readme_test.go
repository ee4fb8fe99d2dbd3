package config

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration table must document every setting.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		row := "| `" + s.Env + "` | `--" + s.Flag + "` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no configuration row starting %q", row)
		}
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	t.Setenv("HOOKFLOW_API_ADDR", "127.0.0.1:9000")
	t.Setenv("HOOKFLOW_MAX_BODY_BYTES", "2048")
	cfg, err := Load(CmdServer, []string{"--api-addr", "127.0.0.1:9100"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIAddr != "127.0.0.1:9100" {
		t.Errorf("APIAddr = %q, want the flag's value", cfg.APIAddr)
	}
	if cfg.MaxBodyBytes != 2048 {
		t.Errorf("MaxBodyBytes = %v, want the environment's 2048", cfg.MaxBodyBytes)
	}
	if cfg.DatabaseDSN != "sqlite://.hookflow/hookflow.db" || cfg.PublicURL != "http://127.0.0.1:9100" {
		t.Errorf("derived defaults: DSN %q, public URL %q", cfg.DatabaseDSN, cfg.PublicURL)
	}
}

func TestBadEnvironmentValueIsAnError(t *testing.T) {
	t.Setenv("HOOKFLOW_MAX_BODY_BYTES", "lots")
	if _, err := Load(CmdServer, nil); err == nil || !strings.Contains(err.Error(), "HOOKFLOW_MAX_BODY_BYTES") {
		t.Fatalf("err = %v, want one naming HOOKFLOW_MAX_BODY_BYTES", err)
	}
}

// What shapes a delivery is the worker's: the API process does not take it.
func TestDeliverySettingsAreTheWorkers(t *testing.T) {
	t.Setenv("HOOKFLOW_RETRY_WINDOW", "1h")
	cfg, err := Load(CmdWorker, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RetryWindow.String() != "1h0m0s" || cfg.OutageRetryMaxDelay.String() != "1m0s" {
		t.Errorf("worker: RetryWindow %v, OutageRetryMaxDelay %v; want the environment's 1h and the default 1m", cfg.RetryWindow, cfg.OutageRetryMaxDelay)
	}
	for _, flag := range []string{"--retry-window", "--delivery-timeout", "--verification-window", "--retention", "--metrics-addr"} {
		if _, err := Load(CmdServer, []string{flag, "1h"}); err == nil {
			t.Errorf("hookflow server took %s: only workers use it", flag)
		}
	}
}
