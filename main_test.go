package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hazardbot/config"
	"hazardbot/models"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestReadmeConfigTableMatchesDocs(t *testing.T) {
	docs, err := os.ReadFile("docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(string(docs), "\n") {
		if strings.HasPrefix(line, "| `HAZARDBOT_") || strings.HasPrefix(line, "| —") {
			rows++
			if !strings.Contains(string(readme), line) {
				t.Errorf("README.md lacks the configuration row:\n%s", line)
			}
		}
	}
	if rows < 30 {
		t.Fatalf("found only %d option rows in docs/CONFIG.md", rows)
	}
}

func TestSubcommands(t *testing.T) {
	dir := t.TempDir()
	e := env(map[string]string{"HAZARDBOT_DB_DSN": filepath.Join(dir, "t.db"), "HAZARDBOT_STORAGE_DIR": dir})
	cases := []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{"version", []string{"hazardbot", "version"}, "hazardbot dev", ""},
		{"help lists every command", []string{"hazardbot", "--help"}, "import FILE", ""},
		{"help for one command", []string{"hazardbot", "help", "chat"}, "/photo FILE", ""},
		{"serve --help explains serve", []string{"hazardbot", "serve", "--help"}, "finish requests in flight", ""},
		{"unknown command", []string{"hazardbot", "fly"}, "Usage", `unknown command "fly"`},
		{"import needs a file", []string{"hazardbot", "import"}, "", "exactly one FILE"},
		{"migrate", []string{"hazardbot", "migrate"}, fmt.Sprintf("schema version %d", models.LatestVersion()), ""},
		{"import the shipped directory", []string{"hazardbot", "import", "config/directory.shiyan.yaml"}, "units", ""},
		{"import again updates", []string{"hazardbot", "import", "config/directory.shiyan.yaml"}, "users", ""},
		{"import a missing file", []string{"hazardbot", "import", filepath.Join(dir, "none.yaml")}, "", "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), c.args, e, &out)
			if c.wantErr == "" && err != nil {
				t.Fatalf("err = %v", err)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			if !strings.Contains(out.String(), c.want) {
				t.Fatalf("output %q lacks %q", out.String(), c.want)
			}
		})
	}
	// The second import changed nothing and duplicated nothing: the
	// database holds exactly the file's units and users, each once.
	d, err := config.ParseDirectory(config.ShiyanDirectory)
	if err != nil {
		t.Fatal(err)
	}
	in, err := models.DirectoryFromFile(d)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := run(context.Background(), []string{"hazardbot", "import", "config/directory.shiyan.yaml"}, e, &again); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("imported config/directory.shiyan.yaml: %d units, %d users, %d campaigns\n", len(in.Units), len(in.Users), len(in.Campaigns))
	if again.String() != want {
		t.Fatalf("third import said %q, want %q", again.String(), want)
	}
	st, err := models.Open(models.DBConfig{Driver: "sqlite", DSN: filepath.Join(dir, "t.db")}, time.UTC, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var units, users, codes, userids int64
	st.DB.Table("units").Count(&units)
	st.DB.Table("users").Count(&users)
	st.DB.Table("units").Distinct("code").Count(&codes)
	st.DB.Table("users").Distinct("userid").Count(&userids)
	if units != int64(len(in.Units)) || users != int64(len(in.Users)) || codes != units || userids != users {
		t.Fatalf("after importing three times: %d units (%d codes), %d users (%d ids); the file has %d and %d",
			units, codes, users, userids, len(in.Units), len(in.Users))
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("units:\n  - {code: x, name: X, kind: castle}\n"), 0o644)
	var out bytes.Buffer
	err = run(context.Background(), []string{"hazardbot", "import", bad}, e, &out)
	if err == nil || !strings.Contains(err.Error(), "nothing was imported") || !strings.Contains(err.Error(), "castle") {
		t.Fatalf("importing a bad directory: %v", err)
	}
}
