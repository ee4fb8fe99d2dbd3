package main

// Static checks of the Docker Compose stack, the Dockerfile and .env.example
// (CI machines have no Docker engine to run them): they keep the files in
// step with the settings hookflow really reads.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"
	"gopkg.in/yaml.v3"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/workflows"
)

const repoRoot = "../.."

// hookflowServices are the services that run the hookflow image, and the
// command each runs.
var hookflowServices = map[string]string{
	"migrate":  config.CmdMigrate,
	"server":   config.CmdServer,
	"worker":   config.CmdWorker,
	"receiver": config.CmdReceiver,
}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string         `yaml:"image"`
	Build       any            `yaml:"build"`
	Command     any            `yaml:"command"`
	Environment any            `yaml:"environment"`
	DependsOn   map[string]any `yaml:"depends_on"`
	Volumes     []string       `yaml:"volumes"`
	Healthcheck map[string]any `yaml:"healthcheck"`
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loadCompose parses docker-compose.yml; yaml.v3 resolves its anchors and
// "<<" merge keys the way Compose does.
func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "docker-compose.yml")), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// env returns a service's environment, given as a map or as KEY=VALUE items.
func (s composeService) env(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch e := s.Environment.(type) {
	case nil:
	case map[string]any:
		for k, v := range e {
			out[k] = fmt.Sprint(v)
		}
	case []any:
		for _, item := range e {
			k, v, _ := strings.Cut(fmt.Sprint(item), "=")
			out[k] = v
		}
	default:
		t.Fatalf("environment has unexpected form %T", e)
	}
	return out
}

// command returns the service's command as a list.
func (s composeService) command() []string {
	switch c := s.Command.(type) {
	case string:
		return strings.Fields(c)
	case []any:
		var out []string
		for _, v := range c {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	return nil
}

func TestComposeHasEveryService(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{"mysql", "temporal", "temporal-setup", "temporal-ui", "migrate", "server", "worker", "receiver"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("docker-compose.yml has no service %q", name)
		}
	}
	for name, cmd := range hookflowServices {
		s := c.Services[name]
		if got := s.command(); len(got) == 0 || got[0] != cmd {
			t.Errorf("service %s runs %q, want the %q command", name, got, cmd)
		}
		if s.Build == nil || s.Image != "hookflow:local" {
			t.Errorf("service %s: build %v image %q, want the image built from the Dockerfile as hookflow:local", name, s.Build, s.Image)
		}
	}
	for _, name := range []string{"server", "worker"} {
		deps := c.Services[name].DependsOn
		for dep, cond := range map[string]string{
			"migrate":        "service_completed_successfully",
			"temporal":       "service_healthy",
			"temporal-setup": "service_completed_successfully",
		} {
			d, _ := deps[dep].(map[string]any)
			if d["condition"] != cond {
				t.Errorf("service %s: depends_on %s %v, want condition %s", name, dep, deps[dep], cond)
			}
		}
	}
	for _, name := range []string{"mysql", "temporal"} {
		if c.Services[name].Healthcheck == nil {
			t.Errorf("service %s has no healthcheck; others wait for it to be healthy", name)
		}
	}
}

// Every variable handed to a hookflow container must be a setting of the
// command it runs: a misspelt or misplaced one would be silently ignored.
func TestComposeEnvironmentIsRealSettings(t *testing.T) {
	c := loadCompose(t)
	for name, cmd := range hookflowServices {
		env := c.Services[name].env(t)
		if len(env) == 0 {
			t.Errorf("service %s has no environment", name)
		}
		for k := range env {
			s, ok := settingByEnv(k)
			switch {
			case !ok:
				t.Errorf("service %s sets %s, which is no hookflow setting", name, k)
			case !slices.Contains(s.Commands, cmd):
				t.Errorf("service %s (hookflow %s) sets %s, a setting only of %v", name, cmd, k, s.Commands)
			}
		}
	}
	for svc, want := range map[string][]string{
		"server":   {"HOOKFLOW_DATABASE_DSN", "HOOKFLOW_API_ADDR", "HOOKFLOW_API_TOKEN", "HOOKFLOW_TRACKING_SECRET", "HOOKFLOW_SIGNING_KEY", "HOOKFLOW_PUBLIC_URL", "TEMPORAL_ADDRESS"},
		"worker":   {"HOOKFLOW_DATABASE_DSN", "HOOKFLOW_SIGNING_KEY", "TEMPORAL_ADDRESS"},
		"migrate":  {"HOOKFLOW_DATABASE_DSN"},
		"receiver": {"HOOKFLOW_RECEIVER_ADDR"},
	} {
		env := c.Services[svc].env(t)
		for _, k := range want {
			if env[k] == "" {
				t.Errorf("service %s does not set %s", svc, k)
			}
		}
	}
	if got := c.Services["server"].env(t)["HOOKFLOW_API_ADDR"]; !strings.HasPrefix(got, "0.0.0.0:") {
		t.Errorf("server listens on %q inside its container; the published port needs 0.0.0.0", got)
	}
}

func settingByEnv(env string) (config.Setting, bool) {
	for _, s := range config.Settings() {
		if s.Env == env {
			return s, true
		}
	}
	return config.Setting{}, false
}

// The worker signs with the key; the server publishes its public half.
// Different keys would make every v1a signature fail for receivers.
func TestComposeServerAndWorkerShareTheSigningKey(t *testing.T) {
	c := loadCompose(t)
	server := c.Services["server"].env(t)["HOOKFLOW_SIGNING_KEY"]
	worker := c.Services["worker"].env(t)["HOOKFLOW_SIGNING_KEY"]
	if server == "" || server != worker {
		t.Fatalf("HOOKFLOW_SIGNING_KEY: server %q, worker %q; want the same", server, worker)
	}
	if !strings.Contains(server, "${HOOKFLOW_SIGNING_KEY") {
		t.Errorf("HOOKFLOW_SIGNING_KEY is %q; want it from .env, not written in the file", server)
	}
	for _, k := range []string{"HOOKFLOW_DATABASE_DSN", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "HOOKFLOW_ALLOW_PRIVATE_NETWORKS"} {
		if s, w := c.Services["server"].env(t)[k], c.Services["worker"].env(t)[k]; s != w {
			t.Errorf("%s: server %q, worker %q; want the same", k, s, w)
		}
	}
}

var (
	composeVar = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
	envLine    = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=`)
)

func TestComposeVariablesAreInEnvExample(t *testing.T) {
	compose := strings.ReplaceAll(readRepoFile(t, "docker-compose.yml"), "$$", "") // $$ is a literal $
	documented := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(readRepoFile(t, ".env.example")))
	for sc.Scan() {
		if m := envLine.FindStringSubmatch(sc.Text()); m != nil {
			documented[m[1]] = true
		}
	}
	used := map[string]bool{}
	for _, m := range composeVar.FindAllStringSubmatch(compose, -1) {
		if !used[m[1]] && !documented[m[1]] {
			t.Errorf("docker-compose.yml uses ${%s}, which .env.example does not list", m[1])
		}
		used[m[1]] = true
	}
	if len(used) == 0 {
		t.Fatal("found no ${VAR} in docker-compose.yml")
	}
	for k := range documented {
		if !used[k] {
			t.Errorf(".env.example lists %s, which docker-compose.yml does not use", k)
		}
	}
}

// Bind mounts must point at files in the repository, or Docker creates
// empty directories in their place.
func TestComposeBindMountsExist(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, "./") {
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("service %s mounts volume %q, which is not declared", name, src)
				}
				continue
			}
			if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
				t.Errorf("service %s mounts %s: %v", name, src, err)
			}
		}
	}
}

// MySQL's init script must create the databases the services use.
func TestComposeDatabasesAreCreated(t *testing.T) {
	c := loadCompose(t)
	initSQL := readRepoFile(t, "deploy/mysql-init/01-databases.sql")
	dsn := c.Services["server"].env(t)["HOOKFLOW_DATABASE_DSN"]
	temporal := c.Services["temporal"].env(t)
	dbs := []string{dsn[strings.LastIndex(dsn, "/")+1:], temporal["DBNAME"], temporal["VISIBILITY_DBNAME"]}
	for _, db := range dbs {
		if db == "" || !strings.Contains(initSQL, "CREATE DATABASE IF NOT EXISTS `"+db+"`") {
			t.Errorf("deploy/mysql-init/01-databases.sql does not create database %q", db)
		}
	}
	users := readRepoFile(t, "deploy/mysql-init/02-users.sh")
	if u := temporal["MYSQL_USER"]; !strings.Contains(users, "CREATE USER IF NOT EXISTS '"+u+"'") {
		t.Errorf("deploy/mysql-init/02-users.sh does not create Temporal's user %q", u)
	}
	if !strings.HasPrefix(dsn, "mysql://hookflow:") || !strings.Contains(users, "CREATE USER IF NOT EXISTS 'hookflow'") {
		t.Errorf("the DSN %q and deploy/mysql-init/02-users.sh disagree on hookflow's user", dsn)
	}
}

// The one-shot temporal-setup registers exactly the search attributes the
// workflows set.
func TestComposeRegistersTheSearchAttributes(t *testing.T) {
	script := readRepoFile(t, "deploy/temporal-setup.sh")
	cliType := map[enums.IndexedValueType]string{
		enums.INDEXED_VALUE_TYPE_KEYWORD:      "Keyword",
		enums.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
		enums.INDEXED_VALUE_TYPE_TEXT:         "Text",
		enums.INDEXED_VALUE_TYPE_INT:          "Int",
		enums.INDEXED_VALUE_TYPE_DOUBLE:       "Double",
		enums.INDEXED_VALUE_TYPE_BOOL:         "Bool",
		enums.INDEXED_VALUE_TYPE_DATETIME:     "Datetime",
	}
	for name, typ := range workflows.SearchAttributes() {
		want := "--name " + name + " --type " + cliType[typ]
		if !strings.Contains(script, want) {
			t.Errorf("deploy/temporal-setup.sh does not run %q", want)
		}
	}
}

// dockerStage is one FROM … stage of a Dockerfile, continuation lines joined.
type dockerStage struct {
	from, name string
	lines      []string
}

func parseDockerfile(t *testing.T) []dockerStage {
	t.Helper()
	var stages []dockerStage
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		fields := strings.Fields(line)
		if strings.EqualFold(fields[0], "FROM") {
			st := dockerStage{from: fields[1]}
			if len(fields) >= 4 && strings.EqualFold(fields[2], "AS") {
				st.name = fields[3]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %q before any FROM", line)
		}
		stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, line)
	}
	for _, line := range strings.Split(readRepoFile(t, "Dockerfile"), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a final one", len(stages))
	}
	return stages
}

func instructions(st dockerStage, keyword string) []string {
	var out []string
	for _, l := range st.lines {
		if f := strings.Fields(l); strings.EqualFold(f[0], keyword) {
			out = append(out, strings.TrimSpace(l[len(f[0]):]))
		}
	}
	return out
}

// The image is built by the script CI runs, so a green CI means the
// image's build step works.
func TestDockerfileBuildsWithTheCIScript(t *testing.T) {
	stages := parseDockerfile(t)
	final := stages[len(stages)-1]
	var builder *dockerStage
	for _, c := range instructions(final, "COPY") {
		if from, ok := strings.CutPrefix(c, "--from="); ok {
			name := strings.Fields(from)[0]
			for i := range stages {
				if stages[i].name == name {
					builder = &stages[i]
				}
			}
		}
	}
	if builder == nil {
		t.Fatal("the final stage copies from no named build stage")
	}
	if !strings.HasPrefix(builder.from, "golang:") {
		t.Errorf("build stage is FROM %s, want golang:…", builder.from)
	}
	var built bool
	for _, run := range instructions(*builder, "RUN") {
		if strings.Contains(run, "./.ci/build-binary /out/hookflow") {
			built = true
			for _, cache := range []string{"--mount=type=cache,target=/go/pkg/mod", "--mount=type=cache,target=/root/.cache/go-build"} {
				if !strings.Contains(run, cache) {
					t.Errorf("build step %q lacks %s", run, cache)
				}
			}
		}
	}
	if !built {
		t.Error("the build stage does not RUN ./.ci/build-binary /out/hookflow")
	}

	ci := readRepoFile(t, ".ci/run")
	step := `.ci/build-binary "$(mktemp -d)/hookflow"`
	vet, build := strings.Index(ci, "go vet ./..."), strings.Index(ci, step)
	if build < 0 || vet < 0 || build < vet {
		t.Errorf(".ci/run must run %s after go vet", step)
	}
	script := readRepoFile(t, ".ci/build-binary")
	for _, want := range []string{"set -euo pipefail", "CGO_ENABLED=0 go build -trimpath", "-X main.version=${HOOKFLOW_VERSION:-dev}", "./cmd/hookflow"} {
		if !strings.Contains(script, want) {
			t.Errorf(".ci/build-binary lacks %q", want)
		}
	}
	if info, err := os.Stat(filepath.Join(repoRoot, ".ci/build-binary")); err != nil || info.Mode().Perm()&0o111 == 0 {
		t.Errorf(".ci/build-binary must be executable (the Dockerfile runs it directly): %v", err)
	}
}

func TestDockerfileFinalStageIsNonRootAndStatic(t *testing.T) {
	stages := parseDockerfile(t)
	final := stages[len(stages)-1]
	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") {
		t.Errorf("final stage is FROM %s, want distroless static (the binary is built without cgo)", final.from)
	}
	users := instructions(final, "USER")
	switch {
	case len(users) > 0:
		user, _, _ := strings.Cut(users[len(users)-1], ":")
		if user == "root" || user == "0" {
			t.Errorf("final stage runs as USER %s", users[len(users)-1])
		}
	case !strings.HasSuffix(final.from, ":nonroot"):
		t.Error("final stage sets no USER and its base image is not :nonroot")
	}
	if got := instructions(final, "ENTRYPOINT"); len(got) != 1 || got[0] != `["/hookflow"]` {
		t.Errorf("ENTRYPOINT %q, want [\"/hookflow\"]", got)
	}
	if !slices.Contains(instructions(final, "EXPOSE"), "8080") {
		t.Error("final stage does not EXPOSE 8080")
	}
	ignore := readRepoFile(t, ".dockerignore")
	for _, p := range []string{".git", ".hookflow", "node_modules", ".env"} {
		if !slices.Contains(strings.Split(ignore, "\n"), p) {
			t.Errorf(".dockerignore does not exclude %s", p)
		}
	}
}
